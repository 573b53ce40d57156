"""The web console in headless Chromium (Debian's, through Playwright, as tests/test_web_browser.py):
a citizen files a report in the web chat, an official logs in and finds it in the queue, on a
phone and on a desktop, with a screenshot of each."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes.console import PASSWORD, add_user
from fakes.embedders import HashingEmbedder
from playwright.sync_api import Browser, Page, expect
from test_web_browser import CHROMIUM_FLAGS, PHONE, browser  # noqa: F401 - the module's browser fixture

from bot._app import Application
from bot._config import Config, HttpSettings, KnowledgeSettings
from bot.storage import Clock, utc_now
from handlers import catalogue
from tickets import Category

DESKTOP = {"viewport": {"width": 1280, "height": 800}}
REPORT = "Đèn đường trước số 12 ngõ 5 Lê Lợi hỏng cả tuần nay, tối rất nguy hiểm"


class RunningBot:
    """``wardbot run`` (the real dialogue, web chat and console) on a loop in a background thread."""

    def __init__(self, config: Config, *, clock: Clock = utc_now) -> None:
        self.config = config
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.app = Application(config, embedder=HashingEmbedder(), progress=False, clock=clock)
        self.run(self.app.start())

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=60)

    @property
    def url(self) -> str:
        assert self.app.http is not None
        return self.app.http.url

    def close(self) -> None:
        self.run(self.app.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()


@pytest.fixture
def bot(tmp_path: Path, tiny_kb: Path) -> Iterator[RunningBot]:
    config = Config(
        data_dir=tmp_path / "data",
        knowledge=KnowledgeSettings(paths=(str(tiny_kb),), national=False),
        http=HttpSettings(port=0),
    )
    running = RunningBot(config)
    yield running
    running.close()


def file_earlier_tickets(bot: RunningBot) -> None:
    """Two tickets filed days ago, one late and one due in a few hours, so that the queue shows
    its colours whatever the day of the week."""
    tickets = bot.app.tickets
    assert tickets is not None
    now = dt.datetime.now(dt.UTC)
    for text, received_days, due_hours, category, channel in (
        ("Rác thải ùn ứ tại chợ Ngã Tư, đề nghị thu gom", 20, -48, Category.FEEDBACK, "zalo"),
        ("Hỏi thủ tục xác nhận tình trạng hôn nhân khi đang ở nước ngoài", 6, 3, Category.QUESTION, "telegram"),
    ):
        received, due = now - dt.timedelta(days=received_days), now + dt.timedelta(hours=due_hours)
        bot.run(
            tickets.create(
                category, channel=channel, chat_id="c", user="u", text=text, due_at=due, received_at=received
            )
        )


def citizen_files_a_report(page: Page, bot: RunningBot) -> None:
    page.goto(bot.url)
    messages = page.locator(".msg.bot")
    expect(messages).to_have_count(1)  # the greeting
    text = page.get_by_label("Câu hỏi của anh/chị")
    text.fill(REPORT)
    text.press("Enter")
    expect(messages.last).to_contain_text(catalogue.INTAKE_ASK_PHOTO)  # the report said where
    page.get_by_role("button", name=catalogue.INTAKE_SKIP_BUTTON).click()
    expect(messages.last).to_have_text(catalogue.INTAKE_ASK_CONSENT)
    page.get_by_role("button", name=catalogue.INTAKE_ANONYMOUS_BUTTON).click()
    page.get_by_role("button", name=catalogue.INTAKE_CONFIRM_BUTTON).click()
    expect(messages.last).to_contain_text("Mã phản ánh: PA-")


def log_in(page: Page, bot: RunningBot, username: str) -> None:
    """Sign ``username`` in on the console's login page; every console browser test starts here."""
    page.goto(bot.url + "/console/login")
    page.get_by_label(catalogue.CONSOLE_USERNAME).fill(username)
    page.get_by_label(catalogue.CONSOLE_PASSWORD).fill(PASSWORD)
    page.get_by_role("button", name=catalogue.CONSOLE_LOGIN_BUTTON).click()
    expect(page).to_have_url(bot.url + "/console/")


def test_an_official_logs_in_and_finds_the_citizens_report_in_the_queue(
    bot: RunningBot,
    browser: Browser,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
) -> None:
    bot.run(add_user(bot.config.data_dir, "admin", "admin"))
    bot.run(add_user(bot.config.data_dir, "lan", "official"))
    file_earlier_tickets(bot)
    citizen = browser.new_context(**PHONE)
    citizen_files_a_report(citizen.new_page(), bot)
    citizen.close()
    tickets = bot.app.tickets
    assert tickets is not None
    [filed] = [t for t in bot.run(tickets.list()) if t.channel == "web"]

    for name, options in (("phone", PHONE), ("desktop", DESKTOP)):
        context = browser.new_context(**options)
        page = context.new_page()
        page.goto(bot.url + "/console/")
        expect(page).to_have_url(bot.url + "/console/login")
        log_in(page, bot, "lan")
        expect(page).to_have_title(f"(3) {catalogue.CONSOLE_QUEUE_TITLE} · {bot.config.ward.name}")
        row = page.locator("tr.ticket", has_text=filed.code)
        expect(row).to_contain_text(REPORT)
        expect(row).to_have_class("ticket state-on_track")
        states = [f"ticket state-{state}" for state in ("overdue", "soon", "on_track")]
        expect(page.locator("tr.ticket")).to_have_class(states)
        expect(row.get_by_role("link", name=filed.code)).to_have_attribute("href", f"/console/tickets/{filed.code}")
        # Searching without diacritics finds it; the official's nav has no admin pages.
        page.get_by_placeholder(catalogue.CONSOLE_SEARCH_HINT).fill("den duong ngo 5")
        page.get_by_role("button", name=catalogue.CONSOLE_SEARCH, exact=True).click()
        expect(page.locator("tr.ticket")).to_have_count(1)
        expect(page).to_have_title(f"(1) {catalogue.CONSOLE_QUEUE_TITLE} · {bot.config.ward.name}")
        expect(page.get_by_role("link", name=catalogue.CONSOLE_NAV_USERS)).to_have_count(0)
        page.goto(bot.url + "/console/")
        page.screenshot(path=tmp_path / f"console-queue-{name}.png", full_page=True)
        context.close()
    assert (tmp_path / "console-queue-phone.png").stat().st_size > 0
    assert (tmp_path / "console-queue-desktop.png").stat().st_size > 0
