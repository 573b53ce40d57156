"""The web console from a test: users made in its store, an HTTP client that logs in with the
CSRF token of the page it is on, as a browser would, and a page's form read back as a browser
would post it."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from html.parser import HTMLParser
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
        self, path: str, form: Mapping[str, str] | Sequence[tuple[str, str]], *, token: str | None = None
    ) -> tuple[int, str, aiohttp.ClientResponse]:
        """Post ``form`` (a mapping, or pairs where a name repeats) with ``token``."""
        data = list(form.items()) if isinstance(form, Mapping) else list(form)
        if token is not None:
            data = [(name, value) for name, value in data if name != "csrf_token"] + [("csrf_token", token)]
        async with self.http.post(path, data=data, allow_redirects=False, headers=self.headers) as response:
            return response.status, await response.text(), response

    async def login(self, username: str, password: str = PASSWORD) -> tuple[int, str, aiohttp.ClientResponse]:
        token = await self.token()
        return await self.post("/console/login", {"username": username, "password": password}, token=token)

    async def upload(
        self, path: str, filename: str, content: bytes, *, token: str, field: str = "file"
    ) -> tuple[int, str, aiohttp.ClientResponse]:
        """Post a multipart form with one file, as a file input sends it."""
        data = aiohttp.FormData()
        data.add_field("csrf_token", token)
        data.add_field(field, content, filename=filename, content_type="application/octet-stream")
        async with self.http.post(path, data=data, allow_redirects=False, headers=self.headers) as response:
            return response.status, await response.text(), response


class _FormReader(HTMLParser):
    """The fields of the form posting to ``action``, in document order, as a browser submits them."""

    def __init__(self, action: str) -> None:
        super().__init__(convert_charrefs=True)
        self.action = action
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._text = ""
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.inside = attr.get("action") == self.action
        elif not self.inside or "name" not in attr:
            if tag == "option" and self._select is not None:
                self._options.append((attr.get("value", ""), "selected" in attr))
        elif tag == "input" and attr.get("type", "text") not in ("file", "submit", "button"):
            self.fields.append((attr["name"], attr.get("value", "")))
        elif tag == "textarea":
            self._textarea, self._text = attr["name"], ""
        elif tag == "select":
            self._select, self._options = attr["name"], []

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "textarea" and self._textarea is not None:
            # A browser drops the newline right after <textarea>.
            self.fields.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            chosen = next((value for value, selected in self._options if selected), None)
            if chosen is None and self._options:
                chosen = self._options[0][0]
            self.fields.append((self._select, chosen or ""))
            self._select = None


def form_fields(html: str, action: str) -> list[tuple[str, str]]:
    """What a browser would post from the page's form whose action is ``action``, unchanged."""
    reader = _FormReader(action)
    reader.feed(html)
    assert reader.fields, f"no form posting to {action}"
    return reader.fields


def with_fields(fields: Sequence[tuple[str, str]], **changes: str) -> list[tuple[str, str]]:
    """``fields`` with the first field of each name in ``changes`` given a new value."""
    changed = []
    for name, value in fields:
        if name in changes:
            value = changes.pop(name)
        changed.append((name, value))
    assert not changes, f"no such fields: {sorted(changes)}"
    return changed
