"""The web console over the bot's real HTTP server: off until the first admin, the login contract,
CSRF, throttling, roles, sessions ended by the store, escaping, the content policy, and the
console on a site of its own."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from pathlib import Path

import aiohttp
import pytest
from fakes.aio import async_test
from fakes.channels import CollectingChannel
from fakes.clocks import ManualClock
from fakes.console import PASSWORD, ConsoleClient, add_user, csrf_token
from fakes.embedders import HashingEmbedder

from bot._app import Application
from bot._config import Config, ConsoleSettings, HttpSettings, KnowledgeSettings
from bot.console import CONSOLE_DB, ConsoleStore
from handlers import DialogueStore, IncomingMessage, Outcome, Reply, SearchEngine, Turn, catalogue
from tickets import WARD_TZ, Category

PROXY = "127.0.0.1"  # the test client, trusted as a proxy so that X-Forwarded-For names the client


class EchoDialogue:
    def __init__(self, engine: SearchEngine, store: DialogueStore, *, ward_name: str, ward_contact: str) -> None:
        self.engine = engine

    async def handle(self, message: IncomingMessage) -> Turn:
        return Turn((Reply("ok"),), Outcome.CONVERSATION)


def config(tmp_path: Path, kb: Path, **console: object) -> Config:
    return Config(
        data_dir=tmp_path / "data",
        knowledge=KnowledgeSettings(paths=(str(kb),), national=False),
        http=HttpSettings(port=0, trusted_proxies=(PROXY,)),
        console=ConsoleSettings(**console),  # type: ignore[arg-type]
    )


def application(cfg: Config, clock: ManualClock) -> Application:
    return Application(
        cfg,
        channels=[CollectingChannel("web")],
        embedder=HashingEmbedder(),
        dialogue_factory=EchoDialogue,
        apology=Reply("Xin lỗi."),
        clock=clock,
        progress=False,
    )


class Running:
    """An application started for one test, its data directory and clock at hand."""

    def __init__(self, tmp_path: Path, kb: Path, **console: object) -> None:
        self.clock = ManualClock(dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC))  # 09:00 in the ward
        self.config = config(tmp_path, kb, **console)
        self.app = application(self.config, self.clock)

    async def __aenter__(self) -> Running:
        await self.app.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.app.stop()

    @property
    def url(self) -> str:
        server = self.app.console_http or self.app.http
        assert server is not None
        return server.url

    def client(self, address: str = "") -> ConsoleClient:
        return ConsoleClient(self.url, client=address)

    async def add_user(self, username: str, role: str, password: str = PASSWORD) -> None:
        await add_user(self.config.data_dir, username, role, password)


@async_test
async def test_the_console_is_off_until_the_first_admin_then_on_without_a_restart(
    tmp_path: Path, tiny_kb: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot._app")
    async with Running(tmp_path, tiny_kb) as bot, bot.client() as client:
        # The start says where the console is, and how to turn it on.
        assert "/console/: off until the first admin exists (wardbot users add NAME --role admin)" in caplog.text
        for path in ("/console/", "/console/login", "/console/users", "/console/static/console.css"):
            status, html, _ = await client.get(path)
            assert status == 404 and catalogue.CONSOLE_OFF_COMMAND.replace('"', "&#34;") in html, path
        await bot.add_user("leader1", "leader")  # a leader does not turn it on: only an admin
        assert (await client.get("/console/login"))[0] == 404
        await bot.add_user("admin", "admin")  # from "another process", while the bot runs
        status, html, _ = await client.get("/console/login")
        assert status == 200 and catalogue.CONSOLE_LOGIN_TITLE in html


@async_test
async def test_the_login_contract_redirects_and_lands_on_the_queue(tmp_path: Path, tiny_kb: Path) -> None:
    async with Running(tmp_path, tiny_kb) as bot, bot.client() as client:
        await bot.add_user("admin", "admin")
        status, _, response = await client.get("/console/")
        assert status in (302, 303) and response.headers["Location"] == "/console/login"
        status, html, _ = await client.get("/console/login")
        assert re.search(r'<input type="hidden" name="csrf_token" value="[^"]+">', html)
        status, _, response = await client.login("admin")
        assert status in (302, 303) and response.headers["Location"] == "/console/"
        cookie = response.headers.getall("Set-Cookie")
        session = next(c for c in cookie if c.startswith("wardbot_console="))
        assert "HttpOnly" in session and "SameSite=Strict" in session and "Max-Age=28800" in session
        status, html, _ = await client.get("/console/")
        assert status == 200 and "<title>(0) Hàng đợi" in html
        # Logging out ends the session.
        status, _, response = await client.post("/console/logout", {}, token=csrf_token(html))
        assert status == 303 and response.headers["Location"] == "/console/login"
        assert (await client.get("/console/"))[0] == 302


@async_test
async def test_a_wrong_password_is_refused_in_vietnamese(tmp_path: Path, tiny_kb: Path) -> None:
    async with Running(tmp_path, tiny_kb) as bot, bot.client() as client:
        await bot.add_user("admin", "admin")
        status, html, _ = await client.login("admin", "sai mật khẩu")
        assert status == 401 and catalogue.CONSOLE_LOGIN_FAILED in html
        assert (await client.get("/console/"))[0] == 302


@async_test
async def test_a_post_without_a_valid_csrf_token_is_refused(tmp_path: Path, tiny_kb: Path) -> None:
    async with Running(tmp_path, tiny_kb) as bot, bot.client() as client:
        await bot.add_user("admin", "admin")
        await client.get("/console/login")  # the CSRF cookie, but no token in the form
        status, html, _ = await client.post("/console/login", {"username": "admin", "password": PASSWORD})
        assert status == 403 and catalogue.CONSOLE_CSRF_REFUSED in html
        status, html, _ = await client.post(
            "/console/login", {"username": "admin", "password": PASSWORD}, token="forged"
        )
        assert status == 403
        assert (await client.login("admin"))[0] == 303
        # Signed in, a form posted without the token changes nothing.
        status, _, _ = await client.post("/console/users", {"username": "lan", "role": "admin", "password": PASSWORD})
        assert status == 403
        async with await ConsoleStore.open(bot.config.data_dir / CONSOLE_DB) as store:
            assert await store.get("lan") is None
        # Another browser's token (another CSRF cookie) is worth nothing here either.
        async with bot.client() as other:
            foreign = await other.token()
        status, _, _ = await client.post(
            "/console/users", {"username": "lan", "role": "admin", "password": PASSWORD}, token=foreign
        )
        assert status == 403


@async_test
async def test_wrong_passwords_for_one_name_are_throttled_even_from_new_addresses(
    tmp_path: Path, tiny_kb: Path
) -> None:
    async with Running(tmp_path, tiny_kb) as bot:
        await bot.add_user("admin", "admin")
        await bot.add_user("lan", "official")
        for attempt in range(5):
            async with bot.client(f"203.0.113.{attempt}") as client:
                status, html, response = await client.login("lan", "đoán sai mãi")
        # The fifth wrong password locks the name for 15 minutes: 09:15 in the ward.
        until = (bot.clock() + dt.timedelta(minutes=15)).astimezone(WARD_TZ).strftime(catalogue.DATE_TIME)
        message = catalogue.CONSOLE_LOGIN_THROTTLED.format(time=until)
        assert status == 429 and message in html and "09h15" in message
        assert response.headers["Retry-After"] == "900"
        # The right password, from yet another address, is refused too while the lock lasts.
        async with bot.client("198.51.100.7") as client:
            status, html, _ = await client.login("lan")
            assert status == 429 and message in html
        bot.clock.advance(15 * 60)
        async with bot.client("198.51.100.7") as client:
            assert (await client.login("lan"))[0] == 303


@async_test
async def test_wrong_passwords_from_one_address_are_throttled_whatever_the_name(tmp_path: Path, tiny_kb: Path) -> None:
    async with Running(tmp_path, tiny_kb) as bot:
        await bot.add_user("admin", "admin")
        async with bot.client("203.0.113.9") as client:
            statuses = [(await client.login(f"user{n}", "đoán sai mãi"))[0] for n in range(10)]
            assert statuses == [401] * 9 + [429]
            status, html, _ = await client.login("admin")  # right name and password, throttled address
            assert status == 429 and "Xin anh/chị thử lại sau" in html
        async with bot.client("203.0.113.10") as client:  # another address is not affected
            assert (await client.login("admin"))[0] == 303


@async_test
async def test_roles_are_checked_on_every_request(tmp_path: Path, tiny_kb: Path) -> None:
    async with Running(tmp_path, tiny_kb) as bot, bot.client() as official:
        await bot.add_user("admin", "admin")
        await bot.add_user("lan", "official")
        assert (await official.login("lan"))[0] == 303
        status, html, _ = await official.get("/console/")
        assert status == 200 and catalogue.CONSOLE_NAV_USERS not in html  # no admin links for an official
        token = csrf_token(html)
        for path in ("/console/users", "/console/audit"):
            status, html, _ = await official.get(path)
            assert status == 403 and catalogue.CONSOLE_FORBIDDEN in html
        status, _, _ = await official.post(
            "/console/users", {"username": "x1", "role": "admin", "password": PASSWORD}, token=token
        )
        assert status == 403
        # Promoted by an admin (here the CLI's store), the same session may open them at its next request.
        async with await ConsoleStore.open(bot.config.data_dir / CONSOLE_DB) as store:
            await store.set_role("lan", "admin", actor="cli:test")
        assert (await official.get("/console/users"))[0] == 200


@async_test
async def test_disabling_a_user_or_resetting_the_password_ends_their_sessions(tmp_path: Path, tiny_kb: Path) -> None:
    async with Running(tmp_path, tiny_kb) as bot, bot.client() as admin, bot.client() as lan:
        await bot.add_user("admin", "admin")
        await bot.add_user("lan", "official")
        await admin.login("admin")
        await lan.login("lan")
        assert (await lan.get("/console/"))[0] == 200
        status, html, _ = await admin.get("/console/users")
        status, _, response = await admin.post(
            "/console/users/lan/password", {"password": "mật khẩu mới tinh"}, token=csrf_token(html)
        )
        assert status == 303
        assert (await lan.get("/console/"))[0] == 302  # the old session is over
        assert (await lan.login("lan", "mật khẩu mới tinh"))[0] == 303
        status, html, _ = await admin.get("/console/users")
        assert "mật khẩu của lan" in html  # the flash message
        assert (await admin.post("/console/users/lan/disable", {}, token=csrf_token(html)))[0] == 303
        assert (await lan.get("/console/"))[0] == 302
        assert (await lan.login("lan", "mật khẩu mới tinh"))[0] == 401
        # The admin page's changes are audited, newest first, by name.
        status, html, _ = await admin.get("/console/audit")
        assert status == 200
        actions = re.findall(r"<code>([a-z.]+)</code>", html)
        assert actions[:2] == ["user.disable", "user.login"] and "user.password" in actions
        assert "console:admin" in html and "cli:test" in html


@async_test
async def test_the_admin_adds_users_on_the_users_page_and_the_last_admin_stays(tmp_path: Path, tiny_kb: Path) -> None:
    async with Running(tmp_path, tiny_kb) as bot, bot.client() as admin:
        await bot.add_user("admin", "admin")
        await admin.login("admin")
        token = csrf_token((await admin.get("/console/users"))[1])
        form = {"username": "Hoa", "role": "leader", "password": "ngắn"}
        await admin.post("/console/users", form, token=token)
        html = (await admin.get("/console/users"))[1]
        assert "at least 8 are required" in html and ">hoa<" not in html
        await admin.post("/console/users", form | {"password": PASSWORD}, token=token)
        html = (await admin.get("/console/users"))[1]
        assert catalogue.CONSOLE_USER_ADDED.format(username="hoa") in html
        await admin.post("/console/users/admin/disable", {}, token=token)
        html = (await admin.get("/console/users"))[1]
        assert "last enabled admin" in html
        async with await ConsoleStore.open(bot.config.data_dir / CONSOLE_DB) as store:
            hoa, me = await store.get("hoa"), await store.get("admin")
        assert hoa is not None and hoa.role.value == "leader" and me is not None and me.enabled


@async_test
async def test_the_queue_sorts_colours_filters_searches_and_escapes(tmp_path: Path, tiny_kb: Path) -> None:
    async with Running(tmp_path, tiny_kb) as bot, bot.client() as client:
        await bot.add_user("admin", "admin")
        desk, now = bot.app.desk, bot.clock()
        assert desk is not None

        async def file(text: str, days_ago: int, category: Category = Category.FEEDBACK, channel: str = "web") -> str:
            received = now - dt.timedelta(days=days_ago)
            ticket = await desk.open_ticket(
                category, channel=channel, chat_id="c", user="u", text=text, received_at=received
            )
            return ticket.code

        late = await file("Đèn đường hỏng <script>alert('x')</script>", 30)
        soon = await file("Câu hỏi về hộ khẩu", 6, Category.QUESTION, "zalo")
        fresh = await file("Rác thải tràn ra vỉa hè", 0)
        await client.login("admin")
        status, html, response = await client.get("/console/")
        assert status == 200
        assert "<title>(3) Hàng đợi" in html
        # Soonest due first, each row coloured by its deadline state, its code linking to its page.
        rows = re.findall(
            r'<tr class="ticket state-(\w+)">\s*<td class="code"><a href="/console/tickets/([^"]+)">', html
        )
        assert rows == [("overdue", late), ("soon", soon), ("on_track", fresh)]
        # The citizen's script is text.
        assert "<script>alert" not in html and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
        policy = response.headers["Content-Security-Policy"]
        assert "'unsafe-inline'" not in policy and "script-src 'self'" in policy and "style-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy and "form-action 'self'" in policy
        assert not re.search(r"<script>|<style|\sstyle=|\son[a-z]+=", html)  # nothing inline at all
        # Search without diacritics finds the text with them, and the other way round.
        html = (await client.get("/console/?q=den+duong"))[1]
        assert late in html and soon not in html and "<title>(1) Hàng đợi" in html
        html = (await client.get("/console/?q=R%C3%A1c+th%E1%BA%A3i"))[1]  # "Rác thải"
        assert fresh in html and late not in html
        html = (await client.get(f"/console/?q={soon.lower()}"))[1]
        assert soon in html and fresh not in html
        html = (await client.get("/console/?channel=zalo"))[1]
        assert soon in html and late not in html
        html = (await client.get("/console/?category=feedback&assignee=none"))[1]
        assert late in html and fresh in html and soon not in html
        # Answered tickets leave the default (open) view and show under "all".
        tickets = bot.app.tickets
        assert tickets is not None
        await tickets.reply(fresh, "Đã thu gom.", actor="cli:test", expected_version=None)
        html = (await client.get("/console/"))[1]
        assert fresh not in html and "<title>(2) Hàng đợi" in html
        html = (await client.get("/console/?status=all&q=thu+gom"))[1]  # the answer is searched too
        assert 'class="ticket state-done"' in html and fresh in html


@async_test
async def test_the_console_on_a_site_of_its_own(tmp_path: Path, tiny_kb: Path) -> None:
    async with Running(tmp_path, tiny_kb, host="127.0.0.1", port=0) as bot:
        await bot.add_user("admin", "admin")
        assert bot.app.http is not None and bot.app.console_http is not None
        assert bot.app.console_http.url != bot.app.http.url
        async with aiohttp.ClientSession() as http:
            async with http.get(bot.app.http.url + "/console/login") as response:
                assert response.status == 404  # not on the web chat's server
            async with http.get(bot.app.console_http.url + "/", allow_redirects=False) as response:
                assert response.headers["Location"] == "/console/"
        async with bot.client() as client:
            assert (await client.login("admin"))[0] == 303
            assert (await client.get("/console/"))[0] == 200


def test_the_console_settings_are_checked_when_loaded(tmp_path: Path) -> None:
    from bot._config import ConfigError, load_config

    def load(text: str, **environ: str) -> Config:
        (tmp_path / "bot.toml").write_text(text, encoding="utf-8")
        return load_config(tmp_path / "bot.toml", environ={"WARDBOT_DATA_DIR": str(tmp_path)} | environ)

    assert not load("").console.separate
    settings = load('[console]\nhost = "10.0.0.5"\nport = 8081\nsession_hours = 4\n').console
    assert settings == ConsoleSettings(host="10.0.0.5", port=8081, session_hours=4.0) and settings.separate
    assert load("", WARDBOT_CONSOLE_PORT="9090", WARDBOT_CONSOLE_HOST="10.1.1.1").console == dataclasses.replace(
        ConsoleSettings(), host="10.1.1.1", port=9090
    )
    for text, environ, key in (
        ("[console]\nport = 70000\n", {}, "console.port"),
        ("", {"WARDBOT_CONSOLE_PORT": "99999"}, "WARDBOT_CONSOLE_PORT"),
        ("[console]\nport = 8080\n", {}, "console.port"),  # the web chat's own port
        ("[console]\nsession_hours = 0\n", {}, "console.session_hours"),
        ('[console]\nport = "8081"\n', {}, "console.port"),
        ('[console]\nsecret = "x"\n', {}, "console.secret"),
        ('[console]\ncolour = "red"\n', {}, "console.colour"),
    ):
        try:
            load(text, **environ)
        except ConfigError as error:
            assert error.key == key, (text, environ, error)
        else:
            raise AssertionError(f"accepted: {text!r} {environ}")
