"""Bad input on the Zalo and Telegram webhooks: bodies nested too deep, signed events of another
shape, dates out of range, lone surrogates and very long texts. Each is answered with a status the
platform understands and one log line, never a 500 with a traceback, and long texts are cut to
the web chat's limit and marked so. Against the fake platforms on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from fakes.aio import async_test
from fakes.dispatch import RecordingDispatch

from bot.channels._payloads import MAX_TEXT_CHARS
from bot.channels._telegram import SECRET_HEADER, TelegramChannel
from bot.channels._telegram import TEXT_LIMIT as TELEGRAM_TEXT_LIMIT
from bot.channels._telegram import WEBHOOK_PATH as TELEGRAM_PATH
from bot.channels._zalo import SIGNATURE_HEADER, ZaloChannel
from bot.channels._zalo import WEBHOOK_PATH as ZALO_PATH
from bot.channels._zalo_tokens import ZaloTokens
from bot.testing.telegram import FakeTelegramServer
from bot.testing.zalo import APP_ID, APP_SECRET, OA_SECRET, FakeZaloServer

USER = "2468458835296197922"
SECRET = "s3cret-webhook_token"
DEEP = b"[" * 5000 + b"]" * 5000


async def serve(routes: list[web.RouteDef], sock: socket.socket | None = None) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.add_routes(routes)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    if sock is None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
    await web.SockSite(runner, sock).start()
    return runner, f"http://127.0.0.1:{sock.getsockname()[1]}"


def only_records(caplog: pytest.LogCaptureFixture, logger: str) -> list[logging.LogRecord]:
    records = [record for record in caplog.records if record.name == logger]
    assert all(record.exc_info is None for record in records), "no traceback"
    return records


# ---------------------------------------------------------------------------------------- Zalo


@contextlib.asynccontextmanager
async def zalo(tmp_path: Path) -> AsyncIterator[tuple[FakeZaloServer, RecordingDispatch, aiohttp.ClientSession]]:
    async with FakeZaloServer() as server, aiohttp.ClientSession() as http:
        tokens = ZaloTokens(
            app_id=APP_ID,
            app_secret=APP_SECRET,
            access_token=server.access_token,
            refresh_token=server.refresh_token,
            oauth_url=server.url,
            store_path=tmp_path / "zalo_tokens.json",
        )
        channel = ZaloChannel(app_id=APP_ID, signature_secret=OA_SECRET, tokens=tokens, api_url=server.url)
        runner, base = await serve(channel.routes())
        server.webhook_url = base + ZALO_PATH
        dispatch = RecordingDispatch()
        await channel.start(dispatch)
        try:
            yield server, dispatch, http
        finally:
            await channel.stop()
            await runner.cleanup()


async def post_zalo(
    server: FakeZaloServer, http: aiohttp.ClientSession, event: dict[str, Any] | bytes, signature: str | None = None
) -> int:
    """POST ``event`` as Zalo would, signed unless ``signature`` is given; bytes go as they are."""
    raw = event if isinstance(event, bytes) else json.dumps(event, ensure_ascii=False).encode()
    if signature is None:
        signature = server.sign(raw, event) if isinstance(event, dict) else "mac="
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature}
    async with http.post(server.webhook_url, data=raw, headers=headers) as response:
        return response.status


@async_test
async def test_a_zalo_body_nested_too_deep_is_refused_with_400_and_one_line(tmp_path, caplog) -> None:
    async with zalo(tmp_path) as (server, dispatch, http):
        with caplog.at_level(logging.INFO, logger="bot.channels._zalo"):
            assert await post_zalo(server, http, DEEP) == 400
            event = server.text_event(USER, "x")
            raw = json.dumps(event).encode().replace(b'"x"', DEEP)
            assert await post_zalo(server, http, raw, server.sign(raw, event)) == 400  # signed or not: not read
    records = only_records(caplog, "bot.channels._zalo")  # one line a request
    assert [(r.levelno, "nested deeper" in r.getMessage()) for r in records] == [(logging.WARNING, True)] * 2
    assert dispatch.messages == []


@async_test
async def test_signed_zalo_events_of_another_shape_are_answered_200_and_ignored(tmp_path, caplog) -> None:
    async with zalo(tmp_path) as (server, dispatch, http):
        malformed = []
        for change in (
            {"sender": [USER]},
            {"sender": USER},
            {"message": "xin chào"},
            {"message": {"msg_id": "1", "text": "ảnh", "attachments": 3}},
        ):
            malformed.append(server.text_event(USER, "xin chào") | change)
        with caplog.at_level(logging.INFO, logger="bot.channels._zalo"):
            statuses = [await post_zalo(server, http, event) for event in malformed]
        # Unsigned, the same events are refused as before: nothing of theirs is trusted.
        assert [await post_zalo(server, http, event, signature="mac=") for event in malformed] == [401] * 4
        assert await post_zalo(server, http, server.text_event(USER, "chào lại")) == 200
        received = await dispatch.wait_for(1)
    assert statuses == [200] * 4  # Zalo re-sends anything else, for hours
    ignored = [
        record for record in only_records(caplog, "bot.channels._zalo") if "unexpected shape" in record.getMessage()
    ]
    assert len(ignored) == 4 and all(record.levelno == logging.WARNING for record in ignored)
    assert [message.text for message in received] == ["chào lại"]


@async_test
async def test_a_zalo_signature_header_that_is_not_text_is_a_wrong_signature(tmp_path) -> None:
    async with zalo(tmp_path) as (server, dispatch, _):
        raw = json.dumps(server.text_event(USER, "xin chào")).encode()
        host, port = server.webhook_url.removeprefix("http://").split("/")[0].split(":")
        request = (
            f"POST {ZALO_PATH} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(raw)}\r\nConnection: close\r\n".encode()
            + SIGNATURE_HEADER.encode()
            + b": mac=\xff\xfe\r\n\r\n"
            + raw
        )
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(request)
        status_line = await reader.readline()
        writer.close()
    assert status_line.split()[1] == b"401"
    assert dispatch.messages == []


@async_test
async def test_a_very_long_zalo_message_is_cut_to_the_limit_and_marked(tmp_path) -> None:
    async with zalo(tmp_path) as (server, dispatch, http):
        assert await post_zalo(server, http, server.text_event(USER, "ư" * 330_000)) == 200
        assert await post_zalo(server, http, server.text_event(USER, "lệ phí bao nhiêu?")) == 200
        long, short = await dispatch.wait_for(2)
    assert (long.text, long.truncated) == ("ư" * MAX_TEXT_CHARS, True)
    assert (short.text, short.truncated) == ("lệ phí bao nhiêu?", False)


@async_test
async def test_a_lone_surrogate_in_a_zalo_message_is_replaced_not_lost(tmp_path) -> None:
    async with zalo(tmp_path) as (server, dispatch, http):
        event = server.text_event(USER, "ổ gà")
        raw = json.dumps(event).replace("\\u1ed5", "\\ud83d").encode()  # "ổ" becomes half an emoji
        assert await post_zalo(server, http, raw, signature=server.sign(raw, event)) == 200
        (message,) = await dispatch.wait_for(1)
    assert message.text == "\ufffd gà"


# ------------------------------------------------------------------------------------ Telegram


@contextlib.asynccontextmanager
async def telegram() -> AsyncIterator[tuple[RecordingDispatch, aiohttp.ClientSession, str]]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    async with FakeTelegramServer() as server, aiohttp.ClientSession() as http:
        url = f"http://127.0.0.1:{sock.getsockname()[1]}{TELEGRAM_PATH}"
        channel = TelegramChannel(
            server.token, api_url=server.api_url, mode="webhook", webhook_url=url, webhook_secret=SECRET
        )
        runner, _ = await serve(channel.routes(), sock)
        dispatch = RecordingDispatch()
        await channel.start(dispatch)
        try:
            yield dispatch, http, url
        finally:
            await channel.stop()
            await runner.cleanup()


def update(update_id: int, *, chat: dict[str, Any] | None = None, **message: Any) -> dict[str, Any]:
    fields = {
        "message_id": update_id,
        "date": 1_700_000_000,
        "chat": chat or {"id": 7, "type": "private"},
        "from": {"id": 7, "is_bot": False, "first_name": "Lan"},
        "text": "xin chào",
    }
    return {"update_id": update_id, "message": fields | message}


async def post_telegram(http: aiohttp.ClientSession, url: str, body: dict[str, Any] | bytes) -> int:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json", SECRET_HEADER: SECRET}
    async with http.post(url, data=data, headers=headers) as response:
        return response.status


@async_test
async def test_telegram_updates_nested_too_deep_or_of_another_shape_get_one_line_each(caplog) -> None:
    async with telegram() as (dispatch, http, url):
        with caplog.at_level(logging.INFO, logger="bot.channels._telegram"):
            statuses = [
                await post_telegram(http, url, DEEP),
                await post_telegram(http, url, update(1, date=1e20)),  # python-telegram-bot overflows
                await post_telegram(http, url, update(2, date=10**20)),
                await post_telegram(http, url, update(3, text=5)),
                await post_telegram(http, url, {"update_id": 4, "message": update(4)}),  # nested wrongly
            ]
            assert await post_telegram(http, url, update(5, text="/help")) == 200
            received = await dispatch.wait_for(1)
    # Not JSON: 400. Read but of another shape: 200 (Telegram re-sends anything else).
    assert statuses == [400, 200, 200, 200, 200]
    records = only_records(caplog, "bot.channels._telegram")
    refused = [r for r in records if r.levelno == logging.WARNING and "update" in r.getMessage()]
    assert len(refused) == 5
    assert [message.text for message in received] == ["/help"]


@async_test
async def test_a_long_telegram_message_is_cut_to_the_limit_but_not_in_the_officials_group() -> None:
    group = {"id": -1001234567890, "type": "supergroup", "title": "Cán bộ phường"}
    async with telegram() as (dispatch, http, url):
        assert await post_telegram(http, url, update(1, text="ư" * TELEGRAM_TEXT_LIMIT)) == 200
        assert await post_telegram(http, url, update(2, text="ổ \ud83d gà")) == 200  # JSON escapes half an emoji
        # A group is where officials work: a /reply there may use Telegram's whole message.
        assert await post_telegram(http, url, update(3, chat=group, text="/reply " + "ư" * 3000)) == 200
        private, surrogate, official = await dispatch.wait_for(3)
    assert (private.text, private.truncated) == ("ư" * MAX_TEXT_CHARS, True)
    assert (surrogate.text, surrogate.truncated) == ("ổ \ufffd gà", False)
    assert (len(official.text), official.truncated) == (3007, False)
