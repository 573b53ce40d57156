"""The console channel: typed lines in, replies with numbered choices out, numbers press buttons."""

from __future__ import annotations

import asyncio
import io

from fakes.aio import async_test
from fakes.dispatch import AnsweringDispatch

from bot.channels._console import ConsoleChannel
from handlers import Button, IncomingMessage, Reply, catalogue

CHOICES = Reply(
    "Ý anh/chị là nội dung nào dưới đây ạ?",
    (
        (Button("Đăng ký khai sinh", data="pick:1.001193"),),
        (Button("Đăng ký kết hôn", data="pick:1.000894"),),
        (Button("Cổng Dịch vụ công", url="https://dichvucong.gov.vn"),),
    ),
)


async def converse(typed: str) -> tuple[list[IncomingMessage], str]:
    """Run a console on ``typed`` until it closes; what it dispatched and what it printed."""
    output = io.StringIO()
    received: list[IncomingMessage] = []
    console = ConsoleChannel(input=io.StringIO(typed), output=output)

    async def answer(message: IncomingMessage) -> None:
        received.append(message)
        await console.send(message.chat_id, CHOICES if message.text == "khai sinh" else Reply("Dạ."))

    await console.start(AnsweringDispatch(answer))
    await asyncio.wait_for(console.closed.wait(), 5)
    await console.stop()
    return received, output.getvalue()


@async_test
async def test_choices_print_as_numbered_lines_and_a_number_presses_one() -> None:
    received, printed = await converse("khai sinh\n2\n")
    assert printed.startswith(catalogue.CONSOLE_HINT)
    assert "1. Đăng ký khai sinh\n2. Đăng ký kết hôn\n🔗 Cổng Dịch vụ công: https://dichvucong.gov.vn" in printed
    assert [(m.text, m.callback_data) for m in received] == [("khai sinh", ""), ("Đăng ký kết hôn", "pick:1.000894")]
    assert all((m.channel, m.chat_id) == ("console", "console") for m in received)


@async_test
async def test_a_number_without_choices_on_screen_is_plain_text() -> None:
    received, _ = await converse("3\n")
    assert [(m.text, m.callback_data) for m in received] == [("3", "")]


@async_test
async def test_blank_lines_are_skipped_and_quit_closes() -> None:
    received, _ = await converse("\n   \nxin chào\n/quit\nnot read\n")
    assert [m.text for m in received] == ["xin chào"]


@async_test
async def test_the_end_of_input_closes_the_console() -> None:
    received, printed = await converse("")
    assert received == [] and printed == catalogue.CONSOLE_HINT + "\n"
