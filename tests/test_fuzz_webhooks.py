"""What the bot's HTTP server answers to any body on the platforms' doors: ``POST /webhooks/zalo``
(correctly signed), ``POST /webhooks/telegram`` and the web chat's ``POST /api/messages``. Never a
5xx, and always one of the statuses the door documents. The three channels serve on one
``HttpServer`` on 127.0.0.1, as in the bot, with Telegram's API faked; it runs on an event loop of
its own thread, so that each Hypothesis case is a plain HTTP request."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import itertools
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pytest
from fakes.dispatch import AnsweringDispatch
from fakes.fuzzing import coordinates, ids, json_body, json_objects, json_values, telegram_updates, texts, zalo_events
from hypothesis import example, given
from hypothesis import strategies as st

from bot._http import HttpServer
from bot.channels._telegram import SECRET_HEADER, TelegramChannel
from bot.channels._telegram import WEBHOOK_PATH as TELEGRAM_PATH
from bot.channels._web import SESSION_ID, WebChannel
from bot.channels._zalo import SIGNATURE_HEADER, ZaloChannel, event_signature
from bot.channels._zalo import WEBHOOK_PATH as ZALO_PATH
from bot.channels._zalo_tokens import ZaloTokens
from bot.testing.telegram import FakeTelegramServer
from handlers import IncomingMessage

APP_ID = "4321987654321"
OA_SECRET = "fuzz-oa-secret"
TELEGRAM_SECRET = "fuzz-webhook_secret"
# The Zalo channel's clock stands still, so that the events generated are fresh: a stale one is
# refused (401) before anything else in it is read.
NOW_MS = 1_780_000_000_000

# What each door answers when its channel is up and the body is JSON it can read or not: the
# statuses of README.md and the channels' docstrings. No 5xx: the dispatch here never fails.
ZALO_STATUSES = {200, 400, 401}  # ok (handled or ignored), not a Zalo event, bad signature or stale
TELEGRAM_STATUSES = {200, 400}  # ok (handled or ignored), not a Telegram update; 403 for a wrong secret
WEB_STATUSES = {202, 400, 413, 429}  # accepted, refused, too large, too many at once

T = TypeVar("T")


class LiveBot:
    """The HTTP server and its channels, on an event loop in a thread of its own."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="fuzz-bot", daemon=True)
        self._thread.start()
        self._stack = contextlib.AsyncExitStack()
        self.web_dispatch: AnsweringDispatch | None = None
        self.host, self.port = "", 0

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=60)

    async def start(self, data_dir: Path) -> None:
        async def answer(message: IncomingMessage) -> None:
            """The turn: nothing to say; the channels are under test, not the dialogue."""

        telegram_api = await self._stack.enter_async_context(FakeTelegramServer())
        tokens = ZaloTokens(
            app_id=APP_ID,
            app_secret="unused",
            access_token="unused",
            refresh_token="unused",
            oauth_url="http://127.0.0.1:9",  # never called: nothing is sent
            store_path=data_dir / "zalo_tokens.json",
        )
        zalo = ZaloChannel(app_id=APP_ID, signature_secret=OA_SECRET, tokens=tokens, clock=lambda: NOW_MS / 1000)
        telegram = TelegramChannel(
            telegram_api.token,
            api_url=telegram_api.api_url,
            mode="webhook",
            webhook_url="https://wardbot.example" + TELEGRAM_PATH,  # the fake never posts to it
            webhook_secret=TELEGRAM_SECRET,
            per_chat_interval=0.0,
        )
        # The web chat's rate limits would refuse a fuzzer's thousands of requests from one
        # address; a clock an hour on at each reading keeps every bucket full.
        hours = itertools.count(0, 3600)
        web = WebChannel(clock=lambda: float(next(hours)))
        server = HttpServer("127.0.0.1", 0)
        for channel in (zalo, telegram, web):
            server.add_routes(channel.routes())
        await server.start()
        self._stack.push_async_callback(server.stop)
        self.web_dispatch = AnsweringDispatch(answer)
        for channel, dispatch in (
            (zalo, AnsweringDispatch(answer)),
            (telegram, AnsweringDispatch(answer)),
            (web, self.web_dispatch),
        ):
            await channel.start(dispatch)
            self._stack.push_async_callback(channel.stop)
        address = urlsplit(server.url)
        self.host, self.port = address.hostname or "", address.port or 0

    def close(self) -> None:
        try:
            self.run(self._stack.aclose())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join()
            self.loop.close()

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        """The status of one POST, on a connection of its own."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            connection.request("POST", path, body=body, headers={"Content-Type": "application/json", **headers})
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveBot]:
    live = LiveBot()
    try:
        live.run(live.start(tmp_path_factory.mktemp("fuzz-bot")))
        yield live
    finally:
        live.close()


# ------------------------------------------------------------------------------------------ Zalo


def zalo_signature(raw: bytes, event: object) -> str:
    """The signature Zalo puts on ``raw``, read from the event's fields as the channel reads them."""
    fields = event if isinstance(event, dict) else {}
    return event_signature(
        raw, first=str(fields.get("app_id", "")), timestamp=str(fields.get("timestamp", "")), secret=OA_SECRET
    )


@given(st.one_of(zalo_events(APP_ID, NOW_MS), json_values), st.booleans())
@example({"app_id": APP_ID, "timestamp": str(NOW_MS), "event_name": "user_send_text", "message": "xin chào"}, False)
@example({"app_id": APP_ID, "timestamp": str(NOW_MS), "event_name": "follow", "follower": [1]}, False)
@example({"app_id": APP_ID, "timestamp": str(NOW_MS), "event_name": "user_send_text", "sender": "1"}, False)
@example(
    {"app_id": APP_ID, "timestamp": str(NOW_MS), "event_name": "user_send_image", "sender": {"id": "1"},
     "message": {"msg_id": "m", "attachments": ["x"]}},
    False,
)  # fmt: skip
def test_a_signed_zalo_event_of_any_shape_gets_a_documented_status(bot: LiveBot, event: object, as_ascii: bool) -> None:
    raw = json_body(event, as_ascii)
    status = bot.post(ZALO_PATH, raw, {SIGNATURE_HEADER: zalo_signature(raw, event)})
    assert status in ZALO_STATUSES, (status, raw[:500])


@given(st.binary(max_size=200))
@example(b"[" * 5_000 + b"]" * 5_000)
@example(b'{"timestamp": "' + b"9" * 5_000 + b'"}')
def test_a_zalo_body_that_is_no_json_object_gets_a_documented_status(bot: LiveBot, raw: bytes) -> None:
    status = bot.post(ZALO_PATH, raw, {SIGNATURE_HEADER: zalo_signature(raw, None)})
    assert status in ZALO_STATUSES, (status, raw[:500])


# -------------------------------------------------------------------------------------- Telegram


@given(st.one_of(telegram_updates, json_values), st.booleans())
@example({"update_id": 1, "message": {"message_id": 1, "date": 10**20, "chat": {"id": 1, "type": "private"}}}, False)
@example({"update_id": 1, "callback_query": {"id": "q", "from": {"id": 1}, "message": 5}}, False)
def test_a_telegram_update_of_any_shape_gets_a_documented_status(bot: LiveBot, update: object, as_ascii: bool) -> None:
    raw = json_body(update, as_ascii)
    status = bot.post(TELEGRAM_PATH, raw, {SECRET_HEADER: TELEGRAM_SECRET})
    assert status in TELEGRAM_STATUSES, (status, raw[:500])


@given(st.binary(max_size=200))
@example(b"[" * 5_000 + b"]" * 5_000)
def test_a_telegram_body_that_is_no_json_object_gets_a_documented_status(bot: LiveBot, raw: bytes) -> None:
    status = bot.post(TELEGRAM_PATH, raw, {SECRET_HEADER: TELEGRAM_SECRET})
    assert status in TELEGRAM_STATUSES, (status, raw[:500])


@given(
    st.one_of(st.binary(max_size=200), st.builds(json_body, telegram_updates, st.booleans())),
    st.sampled_from(["", "guess", TELEGRAM_SECRET + "x", TELEGRAM_SECRET[:-1], TELEGRAM_SECRET.upper()]),
)
def test_a_telegram_body_without_the_secret_is_forbidden_whatever_it_holds(
    bot: LiveBot, raw: bytes, secret: str
) -> None:
    assert bot.post(TELEGRAM_PATH, raw, {SECRET_HEADER: secret}) == 403


# -------------------------------------------------------------------------------------- web chat

web_messages = json_objects(
    {
        "session": st.one_of(st.from_regex(SESSION_ID, fullmatch=True), texts),
        "text": st.one_of(texts, st.text(min_size=1_990, max_size=2_010)),
        "callback_data": st.one_of(st.just("pick:1.001193"), texts),
        "message_id": st.one_of(st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True), ids),
        "location": st.one_of(st.tuples(coordinates, coordinates).map(list), json_values),
    }
)


@given(st.one_of(web_messages, json_values), st.booleans())
@example({"session": "a" * 32, "text": "xin chào", "location": [10**400, 1]}, False)  # int too large for a float
@example({"session": "a" * 32, "text": "\ud800"}, True)
def test_a_web_message_of_any_shape_gets_a_documented_status(bot: LiveBot, body: object, as_ascii: bool) -> None:
    assert bot.web_dispatch is not None
    received = len(bot.web_dispatch.received)
    status = bot.post("/api/messages", json_body(body, as_ascii), {})
    assert status in WEB_STATUSES, (status, body)
    if status == 202:
        assert isinstance(body, dict)
        (message,) = bot.web_dispatch.received[received:]
        assert message.chat_id == body["session"]


@given(st.binary(max_size=200))
@example(b"[" * 5_000 + b"]" * 5_000)
@example(b"{" * 40_000)  # over the body limit
def test_a_web_body_that_is_no_json_object_gets_a_documented_status(bot: LiveBot, raw: bytes) -> None:
    assert bot.post("/api/messages", raw, {}) in WEB_STATUSES
