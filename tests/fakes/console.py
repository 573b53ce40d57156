"""The web console from a test: users made in its store, and an HTTP client that logs in with the
CSRF token of the page it is on, as a browser would."""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp

from bot.console import CONSOLE_DB, ConsoleStore, Role

PASSWORD = "mật khẩu đủ dài"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


async def add_user(data_dir: Path, username: str, role: Role | str, password: str = PASSWORD) -> None:
    """A user added from outside the running bot, as ``wardbot users add`` does."""
    async with await ConsoleStore.open(data_dir / CONSOLE_DB) as store:
        await store.add_user(username, role, password, actor="cli:test")


def csrf_token(html: str) -> str:
    match = _TOKEN.search(html)
    assert match, f"no csrf_token in the page: {html[:300]}"
    return match.group(1)


class ConsoleClient:
    """An HTTP client of the console at ``base`` (the server's URL) with its own cookies;
    ``client`` is the address it claims behind a trusted proxy (``X-Forwarded-For``)."""

    def __init__(self, base: str, *, client: str = "") -> None:
        # unsafe: keep cookies of an IP address host (127.0.0.1), which aiohttp drops by default.
        self.http = aiohttp.ClientSession(base, cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.headers = {"X-Forwarded-For": client} if client else {}

    async def __aenter__(self) -> ConsoleClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.http.close()

    async def get(self, path: str) -> tuple[int, str, aiohttp.ClientResponse]:
        async with self.http.get(path, allow_redirects=False, headers=self.headers) as response:
            return response.status, await response.text(), response

    async def token(self, path: str = "/console/login") -> str:
        status, html, _ = await self.get(path)
        assert status == 200, (status, html[:300])
        return csrf_token(html)

    async def post(
        self, path: str, form: dict[str, str], *, token: str | None = None
    ) -> tuple[int, str, aiohttp.ClientResponse]:
        """Post ``form`` with ``token`` (by default one read from the login page)."""
        data = dict(form)
        if token is not None:
            data["csrf_token"] = token
        async with self.http.post(path, data=data, allow_redirects=False, headers=self.headers) as response:
            return response.status, await response.text(), response

    async def login(self, username: str, password: str = PASSWORD) -> tuple[int, str, aiohttp.ClientResponse]:
        token = await self.token()
        return await self.post("/console/login", {"username": username, "password": password}, token=token)
