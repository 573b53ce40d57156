"""The web chat page in headless Chromium (Debian's /usr/bin/chromium driven by Playwright for
Python; Playwright's own browser download is never used), on a phone-sized screen.

The server runs on its own event loop in a background thread, so the tests can use Playwright's
synchronous API."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from playwright.sync_api import Browser, Page, Request, expect, sync_playwright

from bot._http import HttpServer
from bot.channels._web import WebChannel
from handlers import Button, IncomingMessage, Reply

CHROMIUM = "/usr/bin/chromium"
# As root and on a closed network: no sandbox, and no background calls to Google's services.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}

GREETING = "Xin chào! Tôi là trợ lý hành chính của Phường Mẫu. Anh/chị muốn hỏi thủ tục nào?"
CARD = (
    "Cấp thẻ căn cước lần đầu\n"
    "• Giấy tờ: tờ khai CC01 (1 bản)\n"
    "• Thời hạn: 7 ngày làm việc\n"
    "• Lệ phí: miễn phí lần đầu\n"
    "• Nơi nộp: Trung tâm Phục vụ hành chính công phường"
)
THANKS = "Cảm ơn anh/chị đã đánh giá!"
# An FAQ answer as written in the knowledge base: Markdown bold and a list.
FAQ_ANSWER = "**Bản sao điện tử** là bản dạng tệp.\n\nTùy **thủ tục**:\n- **Hộ tịch**: bản chụp\n- Khác: <chứng thực>"


class FakeBot:
    """Answers like the real handlers would: a greeting with a menu, a procedure card with a
    portal link and 👍/👎, a thank-you for a vote. The card waits while ``answering`` is clear."""

    def __init__(self, channel: WebChannel) -> None:
        self.channel = channel
        self.received: list[IncomingMessage] = []
        self.answering = asyncio.Event()
        self.answering.set()

    async def __call__(self, message: IncomingMessage) -> None:
        self.received.append(message)
        if message.text == "/start":
            menu = ((Button("Cấp căn cước", data="proc:cccd"), Button("Đăng ký khai sinh", data="proc:ks")),)
            await self.channel.send(message.chat_id, Reply(GREETING, menu))
        elif message.callback_data.startswith("vote:"):
            await self.channel.send(message.chat_id, Reply(THANKS))
        elif message.text == "Bản sao điện tử là gì?":
            await self.channel.send(message.chat_id, Reply(FAQ_ANSWER))
        else:
            await self.answering.wait()
            buttons = (
                (Button("Nộp trực tuyến", url="https://dichvucong.gov.vn/"),),
                (Button("👍", data="vote:up"), Button("👎", data="vote:down")),
            )
            await self.channel.send(message.chat_id, Reply(CARD, buttons))


class ChatServer:
    """The bot's HTTP server with a web channel, on an event loop in a background thread."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.channel = WebChannel(title="Phường Mẫu — Hỏi đáp thủ tục")
        self.bot = FakeBot(self.channel)
        self.server = HttpServer("127.0.0.1", 0)
        self.server.add_routes([*self.channel.routes(), web.get("/ward-site", self._ward_site)])
        self.run(self.server.start())
        self.run(self.channel.start(self.bot))

    async def _ward_site(self, request: web.Request) -> web.Response:
        """A ward's home page that embeds the widget. The test opens it as http://localhost:PORT,
        another origin than the bot's http://127.0.0.1:PORT, both on loopback (Chromium forbids
        a page on an unknown network from loading scripts from loopback)."""
        script = f"{self.server.url}/widget.js"
        body = f'<!doctype html><title>UBND phường</title><h1>UBND phường</h1><script src="{script}"></script>'
        return web.Response(text=body, content_type="text/html")

    @property
    def ward_site_url(self) -> str:
        return self.server.url.replace("127.0.0.1", "localhost") + "/ward-site"

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=30)

    def hold_answers(self, held: bool = True) -> None:
        """Keep the bot's procedure cards back (``held``) or let them go."""

        async def switch() -> None:  # on the server's loop: asyncio.Event is not thread-safe
            if held:
                self.bot.answering.clear()
            else:
                self.bot.answering.set()

        self.run(switch())

    def close(self) -> None:
        self.run(self.channel.stop())
        self.run(self.server.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()


@pytest.fixture
def chat() -> Iterator[ChatServer]:
    server = ChatServer()
    yield server
    server.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(**PHONE)
    page = context.new_page()
    yield page
    context.close()


def test_a_citizen_asks_sees_the_answer_and_votes(chat: ChatServer, page: Page, tmp_path: Path) -> None:
    page.goto(chat.server.url)
    # A new visitor is greeted without typing anything.
    expect(page.locator(".msg.bot").first).to_have_text(GREETING)
    expect(page.get_by_role("button", name="Cấp căn cước")).to_be_visible()

    question = page.get_by_label("Câu hỏi của anh/chị")
    chat.hold_answers()  # the bot is still answering while the page shows it typing
    question.fill("Làm căn cước cần giấy tờ gì?")
    question.press("Enter")

    expect(page.locator(".msg.me")).to_have_text("Làm căn cước cần giấy tờ gì?")
    expect(page.locator(".typing")).to_be_visible()
    chat.hold_answers(False)
    expect(page.locator(".msg.bot").nth(1)).to_have_text(CARD)
    expect(page.locator(".typing")).to_be_hidden()
    expect(question).to_have_value("")
    portal = page.get_by_role("link", name="Nộp trực tuyến")
    expect(portal).to_have_attribute("href", "https://dichvucong.gov.vn/")
    expect(portal).to_have_attribute("target", "_blank")

    page.get_by_role("button", name="👍").tap()

    expect(page.locator(".msg.bot").nth(2)).to_have_text(THANKS)
    start, asked, voted = chat.bot.received  # the thanks answers the vote: all three have arrived
    assert (start.text, asked.text, voted.callback_data) == ("/start", "Làm căn cước cần giấy tờ gì?", "vote:up")
    assert start.chat_id == asked.chat_id == voted.chat_id  # one session for the whole visit
    assert len({start.message_id, asked.message_id, voted.message_id}) == 3

    page.get_by_role("button", name="👍").scroll_into_view_if_needed()
    screenshot = tmp_path / "web-chat-phone.png"
    page.screenshot(path=screenshot)
    assert screenshot.stat().st_size > 10_000


def test_formatting_shows_as_bold_and_lists_never_as_markup(chat: ChatServer, page: Page) -> None:
    page.goto(chat.server.url)
    question = page.get_by_label("Câu hỏi của anh/chị")
    question.fill("Bản sao điện tử là gì?")
    question.press("Enter")
    answer = page.locator(".msg.bot").nth(1)
    expect(answer).to_have_text("Bản sao điện tử là bản dạng tệp.\n\nTùy thủ tục:\n• Hộ tịch: bản chụp\n• Khác: <chứng thực>")
    expect(answer.locator("strong")).to_have_text(["Bản sao điện tử", "thủ tục", "Hộ tịch"])
    assert "**" not in page.locator("#log").inner_text()
    page.reload()  # the stored conversation is drawn the same way
    expect(page.locator(".msg.bot").nth(1).locator("strong")).to_have_count(3)


def test_an_empty_question_gets_a_vietnamese_hint(chat: ChatServer, page: Page) -> None:
    page.goto(chat.server.url)
    expect(page.locator(".msg.bot").first).to_have_text(GREETING)

    page.get_by_label("Câu hỏi của anh/chị").press("Enter")

    expect(page.locator(".notice")).to_have_text("Anh/chị vui lòng nhập câu hỏi.")
    assert [m.text for m in chat.bot.received] == ["/start"]


def test_the_conversation_survives_a_reload(chat: ChatServer, page: Page) -> None:
    page.goto(chat.server.url)
    expect(page.locator(".msg.bot").first).to_have_text(GREETING)
    page.get_by_role("button", name="Cấp căn cước").click()
    expect(page.locator(".msg.bot").nth(1)).to_have_text(CARD)

    requests: list[Request] = []
    page.on("request", lambda request: requests.append(request))

    def first_poll_after_reload(request: Request) -> bool:
        reloaded = any(r.is_navigation_request() for r in requests)
        return reloaded and request.method == "GET" and "/api/messages?" in request.url

    # A new visitor's page posts its "/start" before it first polls: once the reloaded page
    # polls, it has sent any greeting request it was going to send.
    with page.expect_request(first_poll_after_reload):
        page.reload()

    expect(page.locator(".msg")).to_have_count(3)  # greeting, the chosen chip, the card
    expect(page.locator(".msg.me")).to_have_text("Cấp căn cước")
    assert [r.url for r in requests if r.method == "POST"] == []  # no second greeting asked for
    assert [m.text or m.callback_data for m in chat.bot.received] == ["/start", "proc:cccd"]


def test_replies_sent_while_offline_arrive_after_reconnecting(chat: ChatServer, page: Page) -> None:
    page.goto(chat.server.url)
    expect(page.locator(".msg.bot").first).to_have_text(GREETING)
    session = chat.bot.received[0].chat_id

    page.context.set_offline(True)
    # Answer the poll in flight so the page's next poll meets the dead network.
    chat.run(chat.channel.send(session, Reply("Trước khi mất mạng.")))
    expect(page.get_by_role("status")).to_have_text("Mất kết nối. Đang kết nối lại…")
    chat.run(chat.channel.send(session, Reply("Hồ sơ của anh/chị đã được tiếp nhận.")))

    page.context.set_offline(False)

    expect(page.locator(".msg.bot").last).to_have_text("Hồ sơ của anh/chị đã được tiếp nhận.")
    expect(page.get_by_role("status")).to_be_hidden()


def test_the_widget_opens_the_chat_in_a_frame_on_another_site(chat: ChatServer, page: Page) -> None:
    page.goto(chat.ward_site_url)
    expect(page.get_by_role("heading", name="UBND phường")).to_be_visible()
    assert page.locator("iframe").count() == 0  # no session until the citizen opens the chat

    page.get_by_role("button", name="Hỏi đáp thủ tục hành chính").click()

    frame = page.frame_locator("iframe[title='Hỏi đáp thủ tục hành chính']")
    expect(frame.locator(".msg.bot").first).to_have_text(GREETING)
    frame.get_by_role("button", name="Đóng cửa sổ trò chuyện").click()
    expect(page.locator("iframe")).to_be_hidden()
