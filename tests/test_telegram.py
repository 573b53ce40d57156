"""The Telegram channel end to end: python-telegram-bot, unmodified, against the fake Bot API
server on 127.0.0.1, in polling and webhook modes. No real network."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from fakes.aio import WAIT_TIMEOUT_S, async_test, wait_until
from fakes.delivery_bound import POLICY, requests_under_persistent_failure
from fakes.dispatch import RecordingDispatch
from telegram.error import InvalidToken

from bot.channels import Channel, DeliveryError
from bot.channels._telegram import SECRET_HEADER, WEBHOOK_PATH, TelegramChannel
from bot.devtools import bench_telegram_end_to_end
from bot.testing.telegram import MAX_LONG_POLL_S, FakeTelegramServer
from handlers import Button, IncomingMessage, Reply

USER = 5001
SECRET = "s3cret-webhook_token"


@contextlib.asynccontextmanager
async def polling_channel(server: FakeTelegramServer, **options: Any) -> AsyncIterator[tuple[TelegramChannel, RecordingDispatch]]:
    options.setdefault("per_chat_interval", 0.0)
    channel = TelegramChannel(server.token, api_url=server.api_url, **options)
    inbox = RecordingDispatch()
    await channel.start(inbox)
    try:
        yield channel, inbox
    finally:
        await channel.stop()


@contextlib.asynccontextmanager
async def webhook_channel(server: FakeTelegramServer) -> AsyncIterator[tuple[TelegramChannel, RecordingDispatch, str]]:
    """A webhook-mode channel behind its own aiohttp server, as the bot's HTTP server hosts it."""
    # The webhook URL names the port, and the routes must be added before serving: bind first.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    channel = TelegramChannel(
        server.token,
        api_url=server.api_url,
        mode="webhook",
        webhook_url=base + WEBHOOK_PATH,
        webhook_secret=SECRET,
        per_chat_interval=0.0,
    )
    app = web.Application()
    app.add_routes(channel.routes())
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    inbox = RecordingDispatch()
    await channel.start(inbox)
    try:
        yield channel, inbox, base
    finally:
        await channel.stop()
        await runner.cleanup()


# ----------------------------------------------------------------------------- receiving


@async_test
async def test_polling_turns_a_text_message_into_an_incoming_message() -> None:
    async with FakeTelegramServer() as server, polling_channel(server) as (_, inbox):
        server.add_user(USER, "Lan", last_name="Nguyễn")
        server.send_text(USER, "Làm căn cước cần gì?")
        message = await inbox.next()
    assert message.channel == "telegram"
    assert (message.chat_id, message.user_id) == (str(USER), str(USER))
    assert message.text == "Làm căn cước cần gì?"
    assert message.message_id == "1"
    assert message.display_name == "Lan Nguyễn"
    assert message.callback_data == "" and message.location is None and message.attachment == ""
    # Polling started by making sure no webhook is set.
    assert server.calls("deleteWebhook")


@async_test
async def test_commands_lose_our_bot_mention_and_other_bots_commands_are_ignored() -> None:
    async with FakeTelegramServer() as server, polling_channel(server) as (_, inbox):
        server.send_command(USER, "start@otherbot")
        server.send_command(USER, "help@wardbot_test_bot", "tạm trú")
        server.send_command(USER, "reset")
        assert (await inbox.next()).text == "/help tạm trú"
        assert (await inbox.next()).text == "/reset"


@async_test
async def test_locations_and_photos_arrive() -> None:
    async with FakeTelegramServer() as server, polling_channel(server) as (_, inbox):
        server.send_location(USER, 21.0285, 105.8542)
        server.send_photo(USER, caption="Ổ gà trước số 12")
        location = await inbox.next()
        photo = await inbox.next()
    assert location.location == (21.0285, 105.8542) and location.text == ""
    assert photo.text == "Ổ gà trước số 12"
    assert photo.attachment.endswith("-1280")  # the largest size's file id


@async_test
async def test_polling_confirms_an_update_only_once_it_is_recorded(caplog: pytest.LogCaptureFixture) -> None:
    async with FakeTelegramServer() as server, polling_channel(server) as (_, inbox):
        inbox.failing = True  # the database cannot record it
        server.send_text(USER, "a")
        await wait_until(lambda: "Telegram polling failed" in caplog.text)
        inbox.failing = False
        assert (await inbox.next()).text == "a"  # not confirmed, so Telegram sent it again
        server.send_text(USER, "b")
        assert (await inbox.next()).text == "b"
        assert inbox.empty()  # "a" once recorded was confirmed: never sent again


@async_test
async def test_the_webhook_answers_500_for_an_update_it_could_not_record() -> None:
    async with FakeTelegramServer() as server, webhook_channel(server) as (_, inbox, _base):
        inbox.failing = True
        server.send_text(USER, "a")
        await wait_until(lambda: server.webhook_deliveries[:1] == [(1, 500)], what=lambda: server.webhook_deliveries)
        inbox.failing = False
        assert (await inbox.next()).text == "a"  # Telegram sent it again
        assert server.webhook_deliveries[-1][1] == 200


# ------------------------------------------------------------------------ buttons, callbacks


@async_test
async def test_buttons_become_an_inline_keyboard_and_presses_come_back_answered() -> None:
    long_data = "choose:" + "thủ-tục-đăng-ký-thường-trú-" * 4  # well over 64 bytes
    reply = Reply(
        "Ý anh/chị là…?",
        (
            (Button("Khai sinh", data="proc:1.001"), Button("Thường trú", data=long_data)),
            (Button("Cổng dịch vụ công", url="https://dichvucong.gov.vn"),),
        ),
    )
    async with FakeTelegramServer() as server, polling_channel(server) as (channel, inbox):
        server.add_user(USER)
        await channel.send(str(USER), reply)
        (sent,) = server.outbox(USER)
        keyboard = sent.inline_keyboard
        assert [[b["text"] for b in row] for row in keyboard] == [["Khai sinh", "Thường trú"], ["Cổng dịch vụ công"]]
        assert keyboard[0][0]["callback_data"] == "proc:1.001"
        assert len(keyboard[0][1]["callback_data"].encode()) <= 64
        assert keyboard[1][0]["url"] == "https://dichvucong.gov.vn"

        query_id = server.press_button(USER, sent.message["message_id"], "proc:1.001")
        pressed = await inbox.next()
        assert pressed.callback_data == "proc:1.001"
        assert pressed.chat_id == str(USER) and pressed.message_id == f"callback:{query_id}"
        (answer,) = await server.wait_for_call("answerCallbackQuery")
        assert answer.params["callback_query_id"] == query_id and answer.status == 200

        server.press_button(USER, sent.message["message_id"], keyboard[0][1]["callback_data"])
        assert (await inbox.next()).callback_data == long_data


@async_test
async def test_a_long_button_pressed_after_a_restart_arrives_as_its_label() -> None:
    async with FakeTelegramServer() as server:
        server.add_user(USER)
        async with polling_channel(server) as (channel, _):
            await channel.send(str(USER), Reply("Chọn:", ((Button("Đăng ký kết hôn", data="x" * 80),),)))
        (sent,) = server.outbox(USER)
        async with polling_channel(server) as (_, inbox):  # a new process: the token table is empty
            server.press_button(USER, sent.message["message_id"], sent.inline_keyboard[0][0]["callback_data"])
            pressed = await inbox.next()
    assert (pressed.text, pressed.callback_data) == ("Đăng ký kết hôn", "")


@async_test
async def test_formatting_arrives_as_telegram_entities_and_special_characters_as_text() -> None:
    reply = Reply("**Lệ phí**: <miễn> & không thu\n- **Trực tuyến**: 1 ngày\n- Trực tiếp: 2 ngày")
    async with FakeTelegramServer() as server, polling_channel(server) as (channel, _):
        server.add_user(USER)
        await channel.send(str(USER), reply)
        (sent,) = server.outbox(USER)
    assert sent.text == "Lệ phí: <miễn> & không thu\n• Trực tuyến: 1 ngày\n• Trực tiếp: 2 ngày"
    assert sent.message["entities"] == [
        {"type": "bold", "offset": 0, "length": 6},
        {"type": "bold", "offset": sent.text.index("Trực tuyến"), "length": len("Trực tuyến")},
    ]


@async_test
async def test_a_photo_goes_first_then_the_text_with_its_buttons(tmp_path) -> None:
    from PIL import Image

    photo = tmp_path / "street.jpg"
    Image.new("RGB", (64, 48), "gray").save(photo, "JPEG")
    claim = ((Button("Nhận xử lý", data="officials:claim:PA-1"),),)
    async with FakeTelegramServer() as server, polling_channel(server) as (channel, _):
        server.add_user(USER)
        await channel.send(str(USER), Reply("🆕 PA-1: ổ gà", claim, photo=str(photo)))
        shown, announced = server.outbox(USER)
        # A file id the fake gave out, or a web address, is sent as it is; a broken file is refused.
        await channel.send(str(USER), Reply("lần hai", photo=shown.message["photo"][0]["file_id"]))
        (photo.with_name("not.jpg")).write_bytes(b"not an image")
        with pytest.raises(DeliveryError, match="(?i)image_process_failed") as refused:
            await channel.send(str(USER), Reply("lỗi", photo=str(photo.with_name("not.jpg"))))
    assert (shown.message["photo"][0]["width"], shown.message["photo"][0]["height"]) == (64, 48)
    assert shown.inline_keyboard == [] and announced.text == "🆕 PA-1: ổ gà"
    assert announced.inline_keyboard[0][0]["callback_data"] == "officials:claim:PA-1"
    assert not refused.value.retryable
    assert [("photo" in m.message, m.text) for m in server.outbox(USER)[2:]] == [(True, ""), (False, "lần hai")]


@async_test
async def test_the_fake_refuses_html_that_telegram_would_refuse() -> None:
    async with FakeTelegramServer() as server, aiohttp.ClientSession() as http:
        server.add_user(USER)
        for text, error in (("<b>x", "Can't find end tag"), ("<div>x</div>", "Unsupported start tag"), ("x</b>", "Unmatched end tag")):
            body = {"chat_id": USER, "text": text, "parse_mode": "HTML"}
            async with http.post(f"{server.api_url}{server.token}/sendMessage", json=body) as response:
                answer = await response.json()
            assert response.status == 400 and error in answer["description"]
        assert server.outbox(USER) == []


@async_test
async def test_a_5000_character_reply_goes_as_two_messages_with_buttons_on_the_last() -> None:
    text = " ".join(f"từ{i}" for i in range(1000))[:5000]
    async with FakeTelegramServer() as server, polling_channel(server) as (channel, _):
        server.add_user(USER)
        await channel.send(str(USER), Reply(text, ((Button("👍", data="vote:up"),),)))
        first, second = server.outbox(USER)
    assert len(first.text) <= 4096 and len(second.text) <= 4096
    assert (first.text + " " + second.text).split() == text.split()
    assert first.inline_keyboard == [] and second.inline_keyboard[0][0]["callback_data"] == "vote:up"


# ------------------------------------------------------------------------ limits and errors


@async_test
async def test_messages_to_one_chat_are_paced_under_telegram_flood_control() -> None:
    # The fake answers 429 to a chat messaged again within 0.15 s; pacing at 0.2 s avoids it.
    async with FakeTelegramServer(per_chat_min_interval=0.15) as server:
        server.add_user(USER)
        async with polling_channel(server, per_chat_interval=0.2) as (channel, _):
            await asyncio.gather(*(channel.send(str(USER), Reply(f"tin {i}")) for i in range(3)))
    calls = server.calls("sendMessage")
    assert [c.status for c in calls] == [200, 200, 200]
    assert [m.text for m in server.outbox(USER)] == ["tin 0", "tin 1", "tin 2"]
    arrivals = [c.at for c in calls]
    assert all(later - earlier >= 0.15 for earlier, later in zip(arrivals, arrivals[1:], strict=False))


@async_test
async def test_a_429_is_one_request_and_reports_telegrams_retry_after() -> None:
    async with FakeTelegramServer() as server, polling_channel(server) as (channel, _):
        server.add_user(USER)
        server.fail_next("sendMessage", 429, retry_after=0.3)
        with pytest.raises(DeliveryError) as failure:
            await channel.send(str(USER), Reply("Xin chào"))
        assert failure.value.retryable and failure.value.retry_after == 0.3
        # AIORateLimiter waited out nothing: retrying is the delivery layer's.
        assert [c.status for c in server.calls("sendMessage")] == [429]
        await channel.send(str(USER), Reply("Xin chào"))
    assert [m.text for m in server.outbox(USER)] == ["Xin chào"]


@async_test
async def test_a_bad_gateway_is_one_request_and_retryable() -> None:
    async with FakeTelegramServer() as server, polling_channel(server) as (channel, _):
        server.add_user(USER)
        server.fail_next("sendMessage", 502)
        with pytest.raises(DeliveryError) as failure:
            await channel.send(str(USER), Reply("Xin chào"))
    assert failure.value.retryable and failure.value.retry_after is None
    assert [c.status for c in server.calls("sendMessage")] == [502]
    assert server.outbox(USER) == []


@async_test
@pytest.mark.parametrize("status", [502, 429])
async def test_a_reply_makes_exactly_the_http_requests_the_retry_policy_states(status, tmp_path) -> None:
    """RetryPolicy's bound under a persistent failure: attempts_per_round requests a round,
    max_attempts in all, then none; one round for the ticket service. AIORateLimiter adds none."""
    async with FakeTelegramServer() as server, polling_channel(server) as (channel, _):
        server.add_user(USER)
        server.fail_next("sendMessage", status, retry_after=0.01 if status == 429 else None, times=1000)
        measured = await requests_under_persistent_failure(
            channel, str(USER), lambda: len(server.calls("sendMessage")), tmp_path
        )
    assert measured.after_each_round == [3, 6, 7, 7]  # POLICY: 3 a round, 7 in all
    assert measured.status == "failed"
    assert measured.ticket_service == POLICY.attempts_per_round
    if status == 429:
        assert set(measured.delays) == {0.01}  # Telegram's retry_after, honoured by the delivery layer
    assert server.outbox(USER) == []


@async_test
async def test_a_blocked_bot_or_unknown_chat_is_not_retryable() -> None:
    async with FakeTelegramServer() as server, polling_channel(server) as (channel, _):
        server.add_user(USER)
        server.block_bot(USER)
        with pytest.raises(DeliveryError) as blocked:
            await channel.send(str(USER), Reply("Xin chào"))
        with pytest.raises(DeliveryError) as unknown:
            await channel.send("999999", Reply("Xin chào"))
    assert blocked.value.retryable is False and "blocked" in str(blocked.value)
    assert unknown.value.retryable is False and "chat not found" in str(unknown.value).lower()
    assert len(server.calls("sendMessage")) == 2  # refused once each, never retried


def polling_failures(caplog: pytest.LogCaptureFixture) -> int:
    return sum(record.getMessage().startswith("Telegram polling failed") for record in caplog.records)


@async_test
async def test_polling_survives_a_bad_gateway_and_an_outage(caplog: pytest.LogCaptureFixture) -> None:
    async with FakeTelegramServer() as server, polling_channel(server) as (_, inbox):
        server.fail_next("getUpdates", 502)
        server.send_text(USER, "một")
        assert (await inbox.next()).text == "một"

        failures = polling_failures(caplog)
        await server.stop()  # the network goes away...
        await wait_until(lambda: polling_failures(caplog) > failures)  # ...and polling has run into it
        server.send_text(USER, "hai")
        await server.start()  # ...and comes back on the same address
        assert (await inbox.next(timeout=8)).text == "hai"
    assert any(c.status == 502 for c in server.calls("getUpdates"))


@async_test
async def test_start_while_telegram_is_unreachable_connects_later() -> None:
    server = FakeTelegramServer()
    await server.start()
    await server.stop()  # keeps its port, refuses connections
    channel = TelegramChannel(server.token, api_url=server.api_url, per_chat_interval=0.0)
    inbox = RecordingDispatch()
    await channel.start(inbox)  # does not raise: the rest of the bot must still come up
    try:
        await server.start()
        server.send_text(USER, "có ai không?")
        assert (await inbox.next(timeout=8)).text == "có ai không?"
    finally:
        await channel.stop()
        await server.stop()


@async_test
async def test_a_rejected_token_fails_start_without_leaking_it() -> None:
    async with FakeTelegramServer() as server:
        channel = TelegramChannel("999:wrong-token", api_url=server.api_url)
        with pytest.raises(InvalidToken) as error:
            await channel.start(RecordingDispatch())
    assert "wrong-token" not in str(error.value)


# ----------------------------------------------------------------------------------- webhook


@async_test
async def test_webhook_mode_end_to_end() -> None:
    async with FakeTelegramServer() as server, webhook_channel(server) as (channel, inbox, base):
        (set_webhook,) = server.calls("setWebhook")
        assert set_webhook.params["url"] == base + WEBHOOK_PATH
        assert set_webhook.params["secret_token"] == SECRET
        assert not server.calls("getUpdates")

        server.send_text(USER, "Xin chào")
        message = await inbox.next()
        assert message.text == "Xin chào" and message.chat_id == str(USER)

        await channel.send(message.chat_id, Reply("Chào anh/chị", ((Button("Trợ giúp", data="help"),),)))
        (sent,) = server.outbox(USER)
        server.press_button(USER, sent.message["message_id"], "help")
        assert (await inbox.next()).callback_data == "help"
        await server.wait_for_call("answerCallbackQuery")
    assert all(status == 200 for _, status in server.webhook_deliveries)


@async_test
async def test_a_forged_webhook_call_is_rejected() -> None:
    update = {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 7, "type": "private"},
            "from": {"id": 7, "is_bot": False, "first_name": "X"},
            "text": "/start",
        },
    }
    statuses = []
    async with (
        FakeTelegramServer() as server,
        webhook_channel(server) as (_, inbox, base),
        aiohttp.ClientSession() as client,
    ):
        for headers in ({}, {SECRET_HEADER: "guess"}, {SECRET_HEADER: SECRET + "x"}):
            async with client.post(base + WEBHOOK_PATH, json=update, headers=headers) as response:
                statuses.append(response.status)
        async with client.post(base + WEBHOOK_PATH, data="not json", headers={SECRET_HEADER: SECRET}) as response:
            statuses.append(response.status)
        # A genuine update from the same chat: one chat's messages are dispatched in order, so
        # had a refused call been dispatched, it would arrive before this one.
        genuine = {"update_id": 2, "message": {**update["message"], "message_id": 2, "text": "/help"}}
        async with client.post(base + WEBHOOK_PATH, json=genuine, headers={SECRET_HEADER: SECRET}) as response:
            statuses.append(response.status)
        assert (await inbox.next()).text == "/help"
    assert statuses == [403, 403, 403, 400, 200]
    assert inbox.empty()


# ------------------------------------------------------------------------------ the fake itself


@async_test
async def test_fake_server_speaks_the_bot_api_over_form_json_and_multipart() -> None:
    async with FakeTelegramServer() as server, aiohttp.ClientSession() as client:
        server.add_user(USER)
        api = f"{server.api_url}{server.token}"

        async def call(method: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
            async with client.post(f"{api}/{method}", **kwargs) as response:
                return response.status, await response.json()

        async with client.post(f"{server.api_url}0:bad/getMe") as response:
            assert response.status == 401
        assert (await call("noSuchMethod"))[0] == 404
        status, body = await call("getme")  # method names are case-insensitive
        assert status == 200 and body["result"]["username"] == "wardbot_test_bot"

        status, body = await call("sendMessage", json={"chat_id": USER, "text": "json"})
        assert status == 200 and body["result"]["message_id"] == 1 and body["result"]["chat"]["id"] == USER
        markup = json.dumps({"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]})
        status, body = await call("sendMessage", data={"chat_id": str(USER), "text": "123", "reply_markup": markup})
        assert status == 200 and body["result"]["text"] == "123" and body["result"]["message_id"] == 2
        form = aiohttp.FormData()
        form.add_field("chat_id", str(USER))
        form.add_field("text", "multipart")
        form.add_field("document", b"%PDF", filename="a.pdf", content_type="application/pdf")
        assert (await call("sendMessage", data=form))[0] == 200
        assert [m.text for m in server.outbox(USER)] == ["json", "123", "multipart"]

        errors = [
            await call("sendMessage", json={"chat_id": USER, "text": "x" * 4097}),
            await call("sendMessage", json={"chat_id": USER, "text": " "}),
            await call("sendMessage", json={"chat_id": 1, "text": "hi"}),
            await call("editMessageText", json={"chat_id": USER, "message_id": 1, "text": "json"}),
            await call("answerCallbackQuery", json={"callback_query_id": "nope"}),
            await call(
                "sendMessage",
                json={
                    "chat_id": USER,
                    "text": "hi",
                    "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "x" * 65}]]},
                },
            ),
        ]
        assert [(s, b["description"].split(":")[1].strip()) for s, b in errors] == [
            (400, "message is too long"),
            (400, "message text is empty"),
            (400, "chat not found"),
            (400, "message is not modified"),
            (400, "query is too old and response timeout expired or query ID is invalid"),
            (400, "BUTTON_DATA_INVALID"),
        ]
        assert all(b["ok"] is False and "result" not in b for _, b in errors)
        status, body = await call("editMessageText", json={"chat_id": USER, "message_id": 1, "text": "sửa"})
        assert status == 200 and server.outbox(USER)[0].text == "sửa"

        server.fail_next("sendMessage", 429, retry_after=3)
        status, body = await call("sendMessage", json={"chat_id": USER, "text": "x"})
        assert status == 429 and body["parameters"] == {"retry_after": 3}


@async_test
async def test_fake_server_long_polls_with_offsets_and_conflicts() -> None:
    async with FakeTelegramServer() as server, aiohttp.ClientSession() as client:
        api = f"{server.api_url}{server.token}"

        async def get_updates(**params: Any) -> tuple[int, Any]:
            async with client.post(f"{api}/getUpdates", data={k: str(v) for k, v in params.items()}) as response:
                body = await response.json()
                return response.status, body.get("result", body.get("description"))

        first = server.send_text(USER, "1")
        server.send_text(USER, "2")
        status, updates = await get_updates(limit=1)
        assert status == 200 and [u["update_id"] for u in updates] == [first]
        status, updates = await get_updates(offset=first + 1)  # confirms the first
        assert [u["message"]["text"] for u in updates] == ["2"]

        # A long poll waits for the next update and is answered when it arrives: the poll's own
        # timeout is far beyond the ceiling here, so only the update can end it in time...
        waiting = asyncio.create_task(get_updates(offset=updates[-1]["update_id"] + 1, timeout=MAX_LONG_POLL_S))
        await wait_until(lambda: server.long_poll_waiting)
        assert not waiting.done()
        server.send_text(USER, "3")
        status, updates = await asyncio.wait_for(waiting, WAIT_TIMEOUT_S)
        assert status == 200 and [u["message"]["text"] for u in updates] == ["3"]
        # ...and a second poll terminates the first with 409.
        next_offset = updates[-1]["update_id"] + 1
        older = asyncio.create_task(get_updates(offset=next_offset, timeout=MAX_LONG_POLL_S))
        await wait_until(lambda: server.long_poll_waiting)
        newer = asyncio.create_task(get_updates(offset=next_offset, timeout=0))
        assert (await asyncio.wait_for(older, WAIT_TIMEOUT_S))[0] == 409 and await newer == (200, [])

        hook = {"url": "http://127.0.0.1:9/hook", "secret_token": "ok_1"}
        async with client.post(f"{api}/setWebhook", data=hook) as response:
            assert response.status == 200
        status, description = await get_updates()
        assert status == 409 and "webhook is active" in description
        async with client.post(f"{api}/getWebhookInfo") as response:
            info = (await response.json())["result"]
        assert info["url"] == "http://127.0.0.1:9/hook" and info["has_custom_certificate"] is False


# --------------------------------------------------------------------------------- benchmark


@pytest.mark.parametrize("handling_s", [0, 0.05])
@async_test
async def test_the_end_to_end_benchmark_measures_every_turn(handling_s: float) -> None:
    """As the pipeline does, the dispatch returns once the message is recorded, with a future that
    is done when the turn is over: at once, or after the handlers' ``handling_s``."""

    def echo_factory(channel: Channel) -> Callable[[IncomingMessage], Coroutine[Any, Any, asyncio.Future[None]]]:
        async def echo(message: IncomingMessage) -> asyncio.Future[None]:
            async def turn() -> None:
                await asyncio.sleep(handling_s)
                await channel.send(message.chat_id, Reply(message.text))

            return asyncio.ensure_future(turn())

        return echo

    figures = await bench_telegram_end_to_end(echo_factory, chats=5, messages_per_chat=2, per_chat_interval=0.05)
    assert figures["messages"] == figures["answered"] == figures["bot_messages"] == 10
    assert figures["flood_refusals"] == 0
    assert 0 < figures["latency_p50_ms"] <= figures["latency_p95_ms"] <= figures["latency_max_ms"]
    assert figures["messages_per_s"] > 0
