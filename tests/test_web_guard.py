"""What the web chat's API refuses before it takes a message: posts from other sites or not sent as
JSON, bodies it cannot read, and clients that ask too often (per address, per session, for new
sessions, polls and photos), each with a Vietnamese explanation and, for "too often", a
Retry-After. Over real HTTP on 127.0.0.1, on a clock the tests move by hand."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import aiohttp
from fakes.aio import async_test
from fakes.clocks import SecondsClock
from fakes.dispatch import AnsweringDispatch
from PIL import Image

from bot._http import HttpServer
from bot._limits import Rate
from bot.channels._web import WebChannel
from bot.channels._web_guard import WebLimits
from handlers import IncomingMessage
from handlers import _catalogue as catalogue

SESSIONS = [f"{letter}" * 32 for letter in "abcdefgh"]
JSON = {"Content-Type": "application/json"}
# Far more than any test here spends, so that only the limit a test sets can refuse.
PLENTY = Rate(burst=1000, per_s=1000)
NO_LIMITS = WebLimits(**{limit.name: PLENTY for limit in fields(WebLimits)})


async def nothing_to_say(message: IncomingMessage) -> None:
    """The turn of a message: these tests look only at what the API accepts."""


class Api:
    def __init__(self, server: HttpServer, http: aiohttp.ClientSession, dispatch: AnsweringDispatch) -> None:
        self.server, self.http, self.dispatch = server, http, dispatch

    async def post(
        self, body: object, *, session: str = SESSIONS[0], headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, Any], aiohttp.typedefs.CIMultiDictProxy[str]]:
        data = body if isinstance(body, bytes) else json.dumps({"session": session, "text": "xin chào", **body})
        async with self.http.post("/api/messages", data=data, headers=JSON | (headers or {})) as response:
            return response.status, await response.json(), response.headers

    async def poll(self, session: str = SESSIONS[0]) -> tuple[int, dict[str, Any], Any]:
        async with self.http.get("/api/messages", params={"session": session, "after": "0"}) as response:
            return response.status, await response.json(), response.headers

    async def photo(self, session: str = SESSIONS[0], headers: dict[str, str] | None = None) -> tuple[int, Any]:
        async with self.http.post(
            "/api/photos",
            params={"session": session},
            data=PHOTO,
            headers={"Content-Type": "image/png"} | (headers or {}),
        ) as response:
            return response.status, response.headers


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "PNG")
    return out.getvalue()


PHOTO = _png()


@asynccontextmanager
async def web_api(**options: Any) -> AsyncIterator[Api]:
    options.setdefault("limits", NO_LIMITS)
    channel = WebChannel(poll_timeout_s=0.01, **options)
    dispatch = AnsweringDispatch(nothing_to_say)
    server = HttpServer("127.0.0.1", 0)
    server.add_routes(channel.routes())
    await channel.start(dispatch)
    await server.start()
    try:
        async with aiohttp.ClientSession(server.url) as http:
            yield Api(server, http, dispatch)
    finally:
        await channel.stop()
        await server.stop()


# ----------------------------------------------------------------------------- content, origin


@async_test
async def test_a_message_must_be_posted_as_json() -> None:
    async with web_api() as api:
        body = json.dumps({"session": SESSIONS[0], "text": "xin chào"})
        # A form or text/plain post is what another site's page can send without asking (CORS).
        for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
            async with api.http.post("/api/messages", data=body, headers={"Content-Type": content_type}) as response:
                assert (response.status, (await response.json())["error"]) == (415, "bad_request")
        status, answer, _ = await api.post({}, headers={"Content-Type": "application/json; charset=utf-8"})
        assert status == 202
    assert [message.text for message in api.dispatch.received] == ["xin chào"]


@async_test
async def test_posts_from_other_sites_are_refused_and_the_ward_sites_listed_are_not(tmp_path: Path) -> None:
    async with web_api(allowed_origins=("https://phuong-mau.gov.vn",), uploads=tmp_path) as api:
        own = api.server.url  # the page itself: http://127.0.0.1:port
        status, answer, _ = await api.post({}, headers={"Origin": "https://lua-dao.example"})
        assert (status, answer["error"]) == (403, "bad_origin")
        assert answer["message"] == catalogue.WEB_ERRORS["bad_origin"]
        assert (await api.photo(headers={"Origin": "https://lua-dao.example"}))[0] == 403
        assert (await api.post({}, headers={"Origin": "null"}))[0] == 403  # a sandboxed frame, a file
        for accepted in (
            {"Origin": own},
            {"Origin": "https://phuong-mau.gov.vn"},
            {"Origin": "HTTPS://Phuong-Mau.gov.vn/"},  # origins compare as origins, not as text
            {},  # no Origin: not a browser's cross-site request
            # Behind a proxy that rewrote the Host header, the browser still vouches for it.
            {"Origin": "https://chat.phuong-mau.gov.vn", "Sec-Fetch-Site": "same-origin"},
        ):
            assert (await api.post({}, headers=accepted))[0] == 202, accepted
        assert (await api.photo(headers={"Origin": own}))[0] == 202
    assert len(api.dispatch.received) == 6


# --------------------------------------------------------------------------------- bad bodies


@async_test
async def test_bodies_it_cannot_read_are_refused_with_400_and_never_taken() -> None:
    async with web_api() as api:
        for body in (
            b"[" * 5000 + b"]" * 5000,
            b'{"session": "' + SESSIONS[0].encode() + b'", "text": ' + b"[" * 5000 + b"]" * 5000 + b"}",
            json.dumps({"session": SESSIONS[0], "text": "ổ gà \ud83d"}).encode(),  # half an emoji
            json.dumps({"session": SESSIONS[0], "callback_data": "\udc00"}).encode(),
            json.dumps({"session": SESSIONS[0], "location": [10**400, 0]}).encode(),  # beyond any float
        ):
            status, answer, _ = await api.post(body)
            assert (status, answer["error"]) == (400, "bad_request"), body[:60]
    assert api.dispatch.received == []


# ----------------------------------------------------------------------------- rate limits


def assert_told_to_wait(status: int, answer: dict[str, Any], headers: Any, seconds: int) -> None:
    assert (status, answer["error"], headers["Retry-After"]) == (429, "slow_down", str(seconds))
    assert answer["message"] == catalogue.WEB_ERRORS["slow_down"].format(seconds=seconds)


@async_test
async def test_one_address_posting_too_fast_is_told_how_long_to_wait() -> None:
    clock = SecondsClock()
    limits = replace(NO_LIMITS, messages_per_ip=Rate(burst=3, per_s=0.5))
    async with web_api(limits=limits, clock=clock) as api:
        for session in SESSIONS[:3]:
            assert (await api.post({}, session=session))[0] == 202
        assert_told_to_wait(*await api.post({}, session=SESSIONS[3]), seconds=2)
        clock.advance(2)
        assert (await api.post({}, session=SESSIONS[3]))[0] == 202
        assert_told_to_wait(*await api.post({}, session=SESSIONS[4]), seconds=2)
    assert len(api.dispatch.received) == 4


@async_test
async def test_one_session_posting_too_fast_waits_and_others_do_not() -> None:
    clock = SecondsClock()
    limits = replace(NO_LIMITS, messages_per_session=Rate(burst=2, per_s=0.1))
    async with web_api(limits=limits, clock=clock) as api:
        assert [(await api.post({"message_id": str(n)}))[0] for n in range(2)] == [202, 202]
        assert_told_to_wait(*await api.post({"message_id": "3"}), seconds=10)
        assert (await api.post({}, session=SESSIONS[1]))[0] == 202
        clock.advance(10)
        assert (await api.post({"message_id": "4"}))[0] == 202


@async_test
async def test_one_address_opens_only_so_many_new_sessions() -> None:
    clock = SecondsClock()
    limits = replace(NO_LIMITS, sessions_per_ip=Rate(burst=2, per_s=1 / 60))
    async with web_api(limits=limits, clock=clock) as api:
        assert (await api.poll(SESSIONS[0]))[0] == 200  # the page polls as soon as it opens
        assert (await api.post({}, session=SESSIONS[1]))[0] == 202
        assert_told_to_wait(*await api.poll(SESSIONS[2]), seconds=60)
        assert_told_to_wait(*await api.post({}, session=SESSIONS[2]), seconds=60)
        # Sessions it has are not new: the citizens behind it go on chatting.
        assert (await api.post({}, session=SESSIONS[0]))[0] == 202
        assert (await api.poll(SESSIONS[1]))[0] == 200
        clock.advance(60)
        assert (await api.poll(SESSIONS[2]))[0] == 200


@async_test
async def test_polls_from_one_address_are_limited() -> None:
    clock = SecondsClock()
    limits = replace(NO_LIMITS, polls_per_ip=Rate(burst=2, per_s=4))
    async with web_api(limits=limits, clock=clock) as api:
        assert [(await api.poll())[0] for _ in range(2)] == [200, 200]
        assert_told_to_wait(*await api.poll(), seconds=1)
        clock.advance(0.25)
        assert (await api.poll())[0] == 200


@async_test
async def test_photo_uploads_are_limited_per_address_and_per_session(tmp_path: Path) -> None:
    clock = SecondsClock()
    limits = replace(NO_LIMITS, photos_per_ip=Rate(burst=4, per_s=1 / 30), photos_per_session=Rate(2, 1 / 60))
    async with web_api(limits=limits, clock=clock, uploads=tmp_path) as api:
        assert [(await api.photo())[0] for _ in range(2)] == [202, 202]
        status, headers = await api.photo()  # the session's third: refused, and counted for its address
        assert (status, headers["Retry-After"]) == (429, "60")
        assert (await api.photo(SESSIONS[1]))[0] == 202
        status, headers = await api.photo(SESSIONS[2])  # the address's fifth
        assert (status, headers["Retry-After"]) == (429, "30")
    assert len(api.dispatch.received) == 3
