"""The bot's HTTP server and the web chat's JSON API, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from fakes.aio import WAIT_TIMEOUT_S, async_test, wait_until
from fakes.dispatch import AnsweringDispatch, MemoryMailbox, RecordingDispatch
from PIL import Image

from bot._http import HttpServer
from bot.channels import Mailbox, stored_photo
from bot.channels._photos import PHOTO_SIDE, reencode_photo
from bot.channels._web import WebChannel
from bot.storage import Storage
from handlers import Button, IncomingMessage, Reply
from handlers import _catalogue as catalogue

SESSION_A = "a" * 32
SESSION_B = "b" * 32


class EchoBot:
    """Answers every message through the channel, as the pipeline's worker does; ``dispatch``
    is what the channel is started with."""

    def __init__(self, channel: WebChannel, mailbox: Mailbox | None = None) -> None:
        self.channel = channel
        self.dispatch = AnsweringDispatch(self.answer, mailbox)
        self.release = asyncio.Event()
        self.release.set()  # tests that need a slow turn clear it

    @property
    def received(self) -> list[IncomingMessage]:
        return self.dispatch.received

    async def answer(self, message: IncomingMessage) -> None:
        await self.release.wait()
        said = message.callback_data or message.text
        buttons = ((Button("Có", data="yes"), Button("Cổng DVC", url="https://dichvucong.gov.vn/")),)
        await self.channel.send(message.chat_id, Reply(f"Bạn nói: {said}", buttons))


class PollWatch:
    """Wraps the handler of ``GET /api/messages`` to show what each long poll did, seen from
    outside the channel: ``waiting`` counts the polls held open now; ``held`` says, for each
    poll answered so far, whether it was held open or answered at once."""

    def __init__(self) -> None:
        self.waiting = 0
        self.held: list[bool] = []

    def wrap(self, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> Callable[..., Any]:
        async def watched(request: web.Request) -> web.StreamResponse:
            held = False

            def hold() -> None:  # runs only if the handler gave the loop back, i.e. it waits
                nonlocal held
                held = True
                self.waiting += 1

            check = asyncio.get_running_loop().call_soon(hold)
            try:
                return await handler(request)
            finally:
                check.cancel()
                if held:
                    self.waiting -= 1
                self.held.append(held)

        return watched

    def routes(self, routes: list[web.RouteDef]) -> list[web.RouteDef]:
        return [
            web.RouteDef(r.method, r.path, self.wrap(r.handler), r.kwargs)
            if (r.method, r.path) == ("GET", "/api/messages")
            else r
            for r in routes
        ]


class Bot:
    """A running server with a web channel, and an HTTP client for it."""

    def __init__(
        self, server: HttpServer, channel: WebChannel, echo: EchoBot, http: aiohttp.ClientSession, polls: PollWatch
    ):
        self.server, self.channel, self.echo, self.http, self.polls = server, channel, echo, http, polls

    async def post(self, body: object) -> tuple[int, dict[str, Any]]:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}  # as the page sends it; anything else is 415
        async with self.http.post(f"{self.server.url}/api/messages", data=data, headers=headers) as response:
            return response.status, await response.json()

    async def post_photo(
        self, body: bytes | AsyncIterator[bytes], *, session: str = SESSION_A, content_type: str = "image/jpeg", **query
    ) -> tuple[int, dict[str, Any]]:
        """``POST /api/photos`` as the page sends it (an async iterator goes chunked, with no length)."""
        url = f"{self.server.url}/api/photos"
        params = {"session": session, **query}
        async with self.http.post(url, params=params, data=body, headers={"Content-Type": content_type}) as response:
            return response.status, await response.json()

    async def poll(self, session: str, after: int = 0) -> tuple[int, dict[str, Any]]:
        url = f"{self.server.url}/api/messages"
        async with self.http.get(url, params={"session": session, "after": str(after)}) as response:
            return response.status, await response.json()


@asynccontextmanager
async def running_bot(
    *, start_channel: bool = True, mailbox: Mailbox | None = None, **channel_options: Any
) -> AsyncIterator[Bot]:
    channel_options.setdefault("poll_timeout_s", 2.0)
    channel = WebChannel(title="Phường <Mẫu>", **channel_options)
    echo = EchoBot(channel, mailbox)
    server = HttpServer(
        "127.0.0.1",
        0,
        health=lambda: {"kb_entries": 42, "kb_fingerprint": "abc123"},
        metrics=lambda: "wardbot_messages_total 7\n",
    )
    polls = PollWatch()
    server.add_routes(polls.routes(channel.routes()))
    await server.start()
    if start_channel:
        await channel.start(echo.dispatch)
    try:
        async with aiohttp.ClientSession() as http:
            yield Bot(server, channel, echo, http, polls)
    finally:
        await channel.stop()
        await server.stop()


@async_test
async def test_a_message_is_accepted_and_its_reply_arrives_by_polling() -> None:
    async with running_bot() as bot:
        status, body = await bot.post({"session": SESSION_A, "text": "  lệ phí bao nhiêu?  ", "message_id": "m1"})
        assert (status, body) == (202, {"accepted": True, "message_id": "m1"})

        status, body = await bot.poll(SESSION_A)

        assert status == 200
        [reply] = body["replies"]
        assert reply["text"] == "Bạn nói: lệ phí bao nhiêu?"
        assert reply["buttons"] == [
            [{"label": "Có", "data": "yes"}, {"label": "Cổng DVC", "url": "https://dichvucong.gov.vn/"}]
        ]
        [message] = bot.echo.received
        assert (message.channel, message.chat_id, message.user_id) == ("web", SESSION_A, SESSION_A)
        assert (message.text, message.message_id) == ("lệ phí bao nhiêu?", "m1")


@async_test
async def test_a_reply_with_markup_arrives_as_plain_text_and_bold_spans() -> None:
    async with running_bot() as bot:
        await bot.channel.send(SESSION_A, Reply("**Lệ phí**: <miễn>\n- một"))
        _, body = await bot.poll(SESSION_A)
    [reply] = body["replies"]
    assert reply["text"] == "Lệ phí: <miễn>\n• một"
    assert reply["spans"] == [{"text": "Lệ phí", "bold": True}, {"text": ": <miễn>\n• một", "bold": False}]


@async_test
async def test_a_pressed_button_reaches_dispatch_as_callback_data() -> None:
    async with running_bot() as bot:
        status, _ = await bot.post({"session": SESSION_A, "callback_data": "vote:up"})
        assert status == 202
        _, body = await bot.poll(SESSION_A)
        assert body["replies"][0]["text"] == "Bạn nói: vote:up"
        [message] = bot.echo.received
        assert (message.callback_data, message.text) == ("vote:up", "")
        assert message.message_id  # generated when the page sends none


@async_test
async def test_a_long_poll_returns_as_soon_as_a_reply_is_sent() -> None:
    # The poll's own timeout outlasts the test: only the reply can end it.
    async with running_bot(poll_timeout_s=3600.0) as bot:
        poll = asyncio.create_task(bot.poll(SESSION_A))
        await wait_until(lambda: bot.polls.waiting == 1)
        assert not poll.done()

        await bot.channel.send(SESSION_A, Reply("Hồ sơ đã được tiếp nhận."))

        status, body = await asyncio.wait_for(poll, WAIT_TIMEOUT_S)
        assert status == 200
        assert [r["text"] for r in body["replies"]] == ["Hồ sơ đã được tiếp nhận."]
        assert bot.polls.held == [True]


@async_test
async def test_a_long_poll_with_nothing_new_ends_empty_after_the_timeout() -> None:
    async with running_bot(poll_timeout_s=0.3) as bot:
        await bot.channel.send(SESSION_A, Reply("cũ"))
        _, body = await bot.poll(SESSION_A)
        latest = body["replies"][-1]["seq"]

        status, body = await bot.poll(SESSION_A, after=latest)

        assert (status, body) == (200, {"replies": []})  # nothing was sent: the timeout ended it
        assert bot.polls.held == [False, True]  # answered at once with the old reply, then held open


@async_test
async def test_sessions_only_see_their_own_replies() -> None:
    async with running_bot(poll_timeout_s=0.2) as bot:
        await bot.post({"session": SESSION_A, "text": "của A"})
        await bot.post({"session": SESSION_B, "text": "của B"})
        _, body_a = await bot.poll(SESSION_A)
        _, body_b = await bot.poll(SESSION_B)
        assert [r["text"] for r in body_a["replies"]] == ["Bạn nói: của A"]
        assert [r["text"] for r in body_b["replies"]] == ["Bạn nói: của B"]


@async_test
async def test_replies_for_a_closed_browser_all_wait_and_come_a_poll_at_a_time() -> None:
    async with running_bot(replies_per_poll=3) as bot:
        for n in range(5):  # nobody is polling: send must neither fail nor block
            await bot.channel.send(SESSION_A, Reply(f"trả lời {n}"))
        _, body = await bot.poll(SESSION_A)
        assert [r["text"] for r in body["replies"]] == ["trả lời 0", "trả lời 1", "trả lời 2"]
        seqs = [r["seq"] for r in body["replies"]]
        assert seqs == sorted(seqs)

        _, body = await bot.poll(SESSION_A, after=seqs[-1])
        assert [r["text"] for r in body["replies"]] == ["trả lời 3", "trả lời 4"]


@async_test
async def test_replies_survive_a_restart_and_the_next_poll_acknowledges_them(tmp_path: Path) -> None:
    storage = await Storage.open(tmp_path / "wardbot.sqlite3", pseudonym_key=b"k" * 32)
    try:
        async with running_bot(mailbox=storage) as bot:
            assert (await bot.post({"session": SESSION_A, "text": "biên nhận?"}))[0] == 202
            await wait_until(lambda: not bot.echo.dispatch.busy)
        # Restarted before the browser polled: the reply waits in the database.
        async with running_bot(mailbox=storage) as restarted:
            _, body = await restarted.poll(SESSION_A)
            [reply] = body["replies"]
            assert reply["text"] == "Bạn nói: biên nhận?"
            assert await storage.acknowledge(SESSION_A, 0) == 0  # served, not acknowledged yet
            await restarted.channel.send(SESSION_A, Reply("tiếp"))
            _, body = await restarted.poll(SESSION_A, after=reply["seq"])  # the browser has the first
            assert [r["text"] for r in body["replies"]] == ["tiếp"]
            assert await storage.acknowledge(SESSION_A, reply["seq"]) == 0  # already acknowledged
            _, body = await restarted.poll(SESSION_A)  # a new tab without a cursor sees them all
            assert [r["text"] for r in body["replies"]] == ["Bạn nói: biên nhận?", "tiếp"]
    finally:
        await storage.close()


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"session": SESSION_A, "text": ""}, 400, "empty_text"),
        ({"session": SESSION_A, "text": " \n\t "}, 400, "empty_text"),
        ({"session": SESSION_A}, 400, "empty_text"),
        ({"session": SESSION_A, "text": "x" * 51}, 400, "text_too_long"),
        ({"session": "short", "text": "chào"}, 400, "bad_session"),
        ({"session": "../" + "a" * 20, "text": "chào"}, 400, "bad_session"),
        ({"text": "chào"}, 400, "bad_session"),
        ({"session": SESSION_A, "text": 5}, 400, "bad_request"),
        ({"session": SESSION_A, "callback_data": "x" * 65}, 400, "bad_request"),
        ({"session": SESSION_A, "text": "chào", "message_id": "bad id!"}, 400, "bad_request"),
        (["not", "an", "object"], 400, "bad_request"),
        (b"{not json", 400, "bad_request"),
        (b"\xff\xfe", 400, "bad_request"),
        ({"session": SESSION_A, "text": "x" * 40_000}, 413, "bad_request"),
    ],
)
@async_test
async def test_invalid_messages_are_refused_with_a_vietnamese_explanation(body: object, status: int, code: str) -> None:
    async with running_bot(max_text_chars=50) as bot:
        got_status, got = await bot.post(body)
        assert (got_status, got["error"]) == (status, code)
        assert got["message"].startswith(("Anh/chị", "Câu hỏi", "Phiên", "Yêu cầu"))
        if code == "text_too_long":
            assert got["message"] == "Câu hỏi dài quá 50 ký tự. Anh/chị vui lòng viết ngắn gọn hơn."
        assert bot.echo.received == []


@pytest.mark.parametrize("query", [{"session": "x"}, {"session": SESSION_A, "after": "abc"}, {}])
@async_test
async def test_invalid_polls_are_refused(query: dict[str, str]) -> None:
    async with running_bot() as bot, bot.http.get(f"{bot.server.url}/api/messages", params=query) as response:
        assert response.status == 400
        assert (await response.json())["error"] in {"bad_session", "bad_request"}


@async_test
async def test_a_session_with_too_many_unanswered_messages_is_asked_to_wait() -> None:
    async with running_bot(max_in_flight=2) as bot:
        bot.echo.release.clear()  # the bot is slow: turns stay in flight
        assert (await bot.post({"session": SESSION_A, "text": "1"}))[0] == 202
        assert (await bot.post({"session": SESSION_A, "text": "2"}))[0] == 202
        status, body = await bot.post({"session": SESSION_A, "text": "3"})
        assert (status, body["error"]) == (429, "too_many")
        assert (await bot.post({"session": SESSION_B, "text": "khác"}))[0] == 202  # others unaffected

        bot.echo.release.set()
        _, body = await bot.poll(SESSION_A)
        assert len(body["replies"]) == 2
        assert (await bot.post({"session": SESSION_A, "text": "4"}))[0] == 202


@async_test
async def test_a_message_that_cannot_be_recorded_gets_503_and_frees_its_slot(caplog: pytest.LogCaptureFixture) -> None:
    async with running_bot(start_channel=False, max_in_flight=1) as bot:
        failing = RecordingDispatch()
        failing.failing = True
        failing.mailbox = MemoryMailbox()
        await bot.channel.start(failing)
        status, body = await bot.post({"session": SESSION_A, "text": "1"})
        assert (status, body["error"]) == (503, "unavailable")  # the page keeps it and sends it again
        assert "could not record web message" in caplog.text
        failing.failing = False
        assert (await bot.post({"session": SESSION_A, "text": "1"}))[0] == 202  # the slot was freed


@async_test
async def test_before_start_and_after_stop_the_api_answers_503() -> None:
    async with running_bot(start_channel=False) as bot:
        status, body = await bot.post({"session": SESSION_A, "text": "chào"})
        assert (status, body["error"]) == (503, "unavailable")
        assert (await bot.poll(SESSION_A))[0] == 503


@async_test
async def test_stop_releases_waiting_polls_at_once() -> None:
    # The polls' own timeout outlasts the test: only stop (or a reply) can end a poll.
    async with running_bot(poll_timeout_s=3600.0) as bot:
        poll = asyncio.create_task(bot.poll(SESSION_A))
        await wait_until(lambda: bot.polls.waiting == 1)
        await bot.channel.stop()
        status, body = await asyncio.wait_for(poll, WAIT_TIMEOUT_S)
        assert (status, body) == (200, {"replies": []})

        await bot.channel.start(bot.echo.dispatch)  # started again, polls wait again
        poll = asyncio.create_task(bot.poll(SESSION_A))
        await wait_until(lambda: bot.polls.waiting == 1)
        assert not poll.done()
        await bot.channel.send(SESSION_A, Reply("Chào lại."))
        status, body = await asyncio.wait_for(poll, WAIT_TIMEOUT_S)
        assert status == 200 and [r["text"] for r in body["replies"]] == ["Chào lại."]
        assert bot.polls.held == [True, True]


@async_test
async def test_healthz_reports_status_uptime_and_the_knowledge_base() -> None:
    async with running_bot() as bot:
        async with bot.http.get(f"{bot.server.url}/healthz") as response:
            assert response.status == 200
            body = await response.json()
        assert body["status"] == "ok"
        assert (body["kb_entries"], body["kb_fingerprint"]) == (42, "abc123")
        assert body["uptime_s"] >= 0


@async_test
async def test_healthz_is_503_when_the_health_callback_fails() -> None:
    def broken() -> dict[str, object]:
        raise RuntimeError("knowledge base not loaded")

    server = HttpServer("127.0.0.1", 0, health=broken)
    await server.start()
    try:
        async with aiohttp.ClientSession() as http, http.get(f"{server.url}/healthz") as response:
            assert response.status == 503
            assert await response.json() == {"status": "error", "error": "knowledge base not loaded"}
    finally:
        await server.stop()


@async_test
async def test_metrics_serves_the_callbacks_text_as_prometheus_exposition() -> None:
    async with running_bot() as bot, bot.http.get(f"{bot.server.url}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
        assert await response.text() == "wardbot_messages_total 7\n"


@async_test
async def test_the_server_binds_a_real_port_and_takes_routes_only_before_start() -> None:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="xin chào")

    server = HttpServer("127.0.0.1", 0)
    assert server.url == ""
    server.add_routes([web.post("/webhooks/telegram", hello)])
    await server.start()
    try:
        assert server.url.startswith("http://127.0.0.1:") and not server.url.endswith(":0")
        with pytest.raises(RuntimeError):
            server.add_routes([web.get("/late", hello)])
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{server.url}/webhooks/telegram") as response:
                assert await response.text() == "xin chào"
            async with http.get(f"{server.url}/metrics") as response:
                assert await response.text() == ""
    finally:
        await server.stop()


@async_test
async def test_the_page_and_widget_are_served_with_safe_headers() -> None:
    async with running_bot(frame_ancestors="https://phuongmau.gov.vn") as bot:
        async with bot.http.get(f"{bot.server.url}/") as response:
            page = await response.text()
            assert response.headers["Content-Type"] == "text/html; charset=utf-8"
            assert "frame-ancestors https://phuongmau.gov.vn" in response.headers["Content-Security-Policy"]
            etag = response.headers["ETag"]
        assert '<html lang="vi">' in page
        assert "<title>Phường &lt;Mẫu&gt;</title>" in page  # the title is escaped
        assert 'maxlength="2000"' in page

        async with bot.http.get(f"{bot.server.url}/", headers={"If-None-Match": etag}) as response:
            assert response.status == 304

        for path in ("/static/index.js", "/widget.js"):
            async with bot.http.get(f"{bot.server.url}{path}") as response:
                assert response.status == 200
                assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
        async with bot.http.get(f"{bot.server.url}/static/index.css") as response:
            assert response.headers["Content-Type"] == "text/css; charset=utf-8"
        # The widget is an iframe of the bot's own origin, so the API needs no CORS at all.
        async with bot.http.options(
            f"{bot.server.url}/api/messages", headers={"Origin": "https://phuongmau.gov.vn"}
        ) as response:
            assert "Access-Control-Allow-Origin" not in response.headers


# --- photos and locations --------------------------------------------------------------------------


def photo_bytes(size: tuple[int, int] = (400, 200), fmt: str = "JPEG", **options: Any) -> bytes:
    out = io.BytesIO()
    Image.new("RGB" if fmt == "JPEG" else "RGBA", size, (200, 40, 30)).save(out, fmt, **options)
    return out.getvalue()


def phone_photo() -> bytes:
    """A phone's JPEG: taken sideways (EXIF orientation 6), with the maker and a GPS position."""
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (21.0, 1.0, 42.6)
    return photo_bytes((3000, 1000), exif=exif)


@async_test
async def test_a_photo_is_reencoded_stored_and_dispatched_as_an_attachment(tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    async with running_bot(uploads=uploads) as bot:
        raw = phone_photo()
        assert b"PhoneMaker" in raw
        status, body = await bot.post_photo(raw, message_id="p1")
        assert (status, body) == (202, {"accepted": True, "message_id": "p1"})
        _, replies = await bot.poll(SESSION_A)  # the echo answers once the message is dispatched
        assert replies["replies"]

    [message] = bot.echo.received
    assert (message.chat_id, message.message_id, message.text) == (SESSION_A, "p1", "")
    path = stored_photo(uploads, message.attachment)
    assert path is not None and path.parent == uploads and path.is_file()
    assert message.attachment == f"web-photo:{hashlib.sha256(path.read_bytes()).hexdigest()}.jpg"
    stored = path.read_bytes()
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"
        assert image.size == (round(PHOTO_SIDE / 3), PHOTO_SIDE)  # turned upright, scaled down
        assert not image.getexif()  # no maker, no GPS position
    assert b"PhoneMaker" not in stored and b"Exif" not in stored
    assert [p.name for p in uploads.iterdir()] == [path.name]  # no partial files left behind


@async_test
async def test_a_png_is_taken_whatever_its_declared_type_and_the_same_photo_is_stored_once(tmp_path) -> None:
    uploads = tmp_path / "uploads"
    async with running_bot(uploads=uploads) as bot:
        png = photo_bytes(fmt="PNG")
        assert (await bot.post_photo(png, content_type="application/octet-stream"))[0] == 202
        assert (await bot.post_photo(png, content_type="image/jpeg"))[0] == 202  # a retried upload
        await wait_until(lambda: len(bot.echo.received) == 2)
    first, second = bot.echo.received
    assert first.attachment == second.attachment and len(list(uploads.iterdir())) == 1


async def chunks(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.mark.parametrize(
    ("make_body", "status", "code"),
    [
        # Not a photo, whatever the page says it is: a PDF, a script behind a GIF's first bytes,
        # half a JPEG, nothing at all.
        (lambda: b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\nendobj\n", 415, "not_image"),
        (lambda: b"GIF89a<script>alert(1)</script>", 415, "not_image"),
        (lambda: photo_bytes((800, 600))[:2000], 415, "not_image"),
        (lambda: b"", 415, "not_image"),
        (lambda: photo_bytes(fmt="TIFF"), 415, "not_image"),  # an image, but not a type we take
        # Over the size limit (1,5 MB here), with a length and chunked; over the pixel limit.
        (lambda: bytes(1_600_000), 413, "photo_too_big"),
        (lambda: chunks(bytes(1_600_000)), 413, "photo_too_big"),
        (lambda: photo_bytes((1000, 1000)), 413, "photo_too_large"),
    ],
)
@async_test
async def test_bad_photos_are_refused_with_a_vietnamese_explanation_and_nothing_kept(
    tmp_path: Path, make_body: Callable[[], Any], status: int, code: str
) -> None:
    uploads = tmp_path / "uploads"
    options = {"uploads": uploads, "max_photo_bytes": 1_572_864, "max_photo_pixels": 500_000}
    async with running_bot(**options) as bot:
        got_status, got = await bot.post_photo(make_body(), content_type="image/jpeg")
        assert (got_status, got["error"]) == (status, code)
        assert got["message"] == catalogue.WEB_ERRORS[code].format(limit="1,5")
        assert bot.echo.received == [] and not (uploads.exists() and any(uploads.iterdir()))
        # The session is not used up: the next, good photo goes through.
        assert (await bot.post_photo(photo_bytes()))[0] == 202


@pytest.mark.parametrize(
    ("query", "code"),
    [({"session": "short"}, "bad_session"), ({"message_id": "bad id!"}, "bad_request")],
)
@async_test
async def test_photo_uploads_with_a_bad_session_or_id_are_refused(tmp_path, query, code) -> None:
    async with running_bot(uploads=tmp_path) as bot:
        status, body = await bot.post_photo(photo_bytes(), **query)
        assert (status, body["error"]) == (400, code)


@async_test
async def test_without_an_uploads_folder_there_is_no_photo_api_and_no_photo_button() -> None:
    async with running_bot() as bot:
        async with bot.http.post(f"{bot.server.url}/api/photos", data=photo_bytes()) as response:
            assert response.status == 404
        async with bot.http.get(f"{bot.server.url}/") as response:
            page = await response.text()
    assert 'id="attach" class="tool" aria-label="Gửi ảnh" title="Gửi ảnh" hidden>' in page
    assert 'data-max-bytes="0"' in page


@async_test
async def test_the_page_knows_the_photo_limit_and_its_message(tmp_path) -> None:
    async with running_bot(uploads=tmp_path) as bot, bot.http.get(f"{bot.server.url}/") as response:
        page = await response.text()
    assert 'title="Gửi ảnh">' in page and 'data-max-bytes="10485760"' in page
    assert f'data-too-big="{catalogue.WEB_ERRORS["photo_too_big"].format(limit="10")}"' in page


def test_reencoding_flattens_transparency_and_shrinks_only_large_photos() -> None:
    small = Image.open(io.BytesIO(reencode_photo(photo_bytes((300, 200), fmt="PNG"))))
    assert (small.format, small.mode, small.size) == ("JPEG", "RGB", (300, 200))
    large = Image.open(io.BytesIO(reencode_photo(photo_bytes((5000, 2500), fmt="WEBP"))))
    assert large.size == (PHOTO_SIDE, PHOTO_SIDE // 2)


@async_test
async def test_a_shared_location_is_dispatched_without_text() -> None:
    async with running_bot() as bot:
        status, _ = await bot.post({"session": SESSION_A, "location": [21.0285, 105.8542], "message_id": "l1"})
        assert status == 202
        await wait_until(lambda: bot.echo.received)
    [message] = bot.echo.received
    assert (message.location, message.text, message.attachment) == ((21.0285, 105.8542), "", "")


@pytest.mark.parametrize(
    "location",
    [[91, 0], [0, 181], [21.0], [21.0, 105.0, 3.0], ["21", "105"], [True, False], {"lat": 21, "lon": 105}, "21,105"],
)
@async_test
async def test_a_malformed_location_is_refused(location: object) -> None:
    async with running_bot() as bot:
        status, body = await bot.post({"session": SESSION_A, "location": location})
        assert (status, body["error"]) == (400, "bad_request")
        status, body = await bot.post(b'{"session": "%s", "location": [NaN, 105]}' % SESSION_A.encode())
        assert (status, body["error"]) == (400, "bad_request")
        assert bot.echo.received == []
