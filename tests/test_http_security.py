"""The HTTP server's own protections: security headers on every answer that does not set its own,
the client's address taken from a trusted reverse proxy only, and the settings behind them and
the web chat's allowed origins, read from bot.toml and checked."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from fakes.aio import async_test
from fakes.dispatch import AnsweringDispatch

from bot._app import configured_channels
from bot._config import ConfigError, load_config
from bot._http import HttpServer
from bot.channels._web import WebChannel
from handlers import IncomingMessage

API_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}


async def nothing_to_say(message: IncomingMessage) -> None:
    """The turn of a message: these tests look only at what the API accepts."""


async def remote(request: web.Request) -> web.Response:
    return web.json_response({"remote": request.remote})


@async_test
async def test_json_answers_and_errors_carry_the_security_headers_and_the_page_keeps_its_own() -> None:
    server = HttpServer("127.0.0.1", 0)
    server.add_routes(WebChannel().routes())
    await server.start()
    seen = {}
    try:
        async with aiohttp.ClientSession(server.url) as http:
            for method, path in (("GET", "/healthz"), ("GET", "/no-such-page"), ("POST", "/api/messages")):
                async with http.request(method, path) as response:
                    seen[path] = (response.status, {name: response.headers.get(name) for name in API_HEADERS})
            async with http.get("/") as response:
                page = response.headers
    finally:
        await server.stop()
    assert seen == {
        "/healthz": (200, API_HEADERS),
        "/no-such-page": (404, API_HEADERS),
        "/api/messages": (503, API_HEADERS),  # not started: its refusal is covered too
    }
    # The page sets its own policy (it runs scripts, and may be framed as the widget) and caching.
    assert "frame-ancestors *" in page["Content-Security-Policy"] and page["Cache-Control"] == "no-cache"
    assert page["X-Content-Type-Options"] == "nosniff" and page["Referrer-Policy"] == "no-referrer"


@async_test
async def test_the_client_address_comes_from_a_trusted_proxy_only() -> None:
    async def remotes(trusted: tuple[str, ...], forwarded: list[str | None]) -> list[str]:
        server = HttpServer("127.0.0.1", 0, trusted_proxies=trusted)
        server.add_routes([web.get("/remote", remote)])
        await server.start()
        try:
            async with aiohttp.ClientSession(server.url) as http:
                seen = []
                for value in forwarded:
                    headers = {"X-Forwarded-For": value} if value is not None else {}
                    async with http.get("/remote", headers=headers) as response:
                        seen.append((await response.json())["remote"])
                return seen
        finally:
            await server.stop()

    forwarded = [
        "203.0.113.7",
        "198.51.100.1, 203.0.113.7",  # the proxy appends the address it saw: the last is the client
        "203.0.113.7, 127.0.0.1",  # through a second trusted proxy
        "not an address",
        None,
    ]
    assert await remotes(("127.0.0.1",), forwarded) == ["203.0.113.7"] * 3 + ["127.0.0.1"] * 2
    # No trusted proxy: anyone could write the header, so it is ignored.
    assert await remotes((), forwarded[:1]) == ["127.0.0.1"]


@async_test
async def test_origins_and_proxies_are_read_from_the_file_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "bot.toml"
    path.write_text(
        '[web]\nallowed_origins = ["https://phuong-mau.gov.vn"]\n[http]\ntrusted_proxies = ["127.0.0.1", "::1"]\n',
        encoding="utf-8",
    )
    config = load_config(path, environ={"WARDBOT_DATA_DIR": str(tmp_path / "data")})
    assert config.web.allowed_origins == ("https://phuong-mau.gov.vn",)
    assert config.http.trusted_proxies == ("127.0.0.1", "::1")

    # The web chat that `wardbot run` starts takes posts from the ward's site and no other.
    (web_chat,) = [channel for channel in configured_channels(config) if isinstance(channel, WebChannel)]
    server = HttpServer("127.0.0.1", 0)
    server.add_routes(web_chat.routes())
    await web_chat.start(AnsweringDispatch(nothing_to_say))
    await server.start()
    statuses = []
    try:
        async with aiohttp.ClientSession(server.url) as http:
            for origin in ("https://phuong-mau.gov.vn", "https://lua-dao.example"):
                body = {"session": "s" * 32, "text": "xin chào"}
                async with http.post("/api/messages", json=body, headers={"Origin": origin}) as response:
                    statuses.append(response.status)
    finally:
        await web_chat.stop()
        await server.stop()
    assert statuses == [202, 403]

    for text, key in (
        ('[web]\nallowed_origins = ["phuong-mau.gov.vn"]\n', "web.allowed_origins"),
        ('[web]\nallowed_origins = ["https://phuong-mau.gov.vn/hoi-dap"]\n', "web.allowed_origins"),
        ('[http]\ntrusted_proxies = ["10.0.0.0/8"]\n', "http.trusted_proxies"),
        ('[http]\ntrusted_proxies = ["proxy"]\n', "http.trusted_proxies"),
    ):
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError) as caught:
            load_config(path, environ={})
        assert caught.value.key == key, text
