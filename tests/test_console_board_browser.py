"""The deadline board and the reports page in headless Chromium (as tests/test_console_browser.py):
a leader opens the board, follows an overdue ticket's link, picks report periods and downloads the
XLSX, on a phone and on a desktop, with a screenshot of each page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.clocks import ManualClock
from fakes.console import add_user
from playwright.sync_api import Browser, expect
from test_console_board import at, file_tickets
from test_console_browser import DESKTOP, RunningBot, log_in
from test_web_browser import PHONE, browser  # noqa: F401 - the module's browser fixture

from bot._config import Config, HttpSettings, KnowledgeSettings
from handlers import catalogue


@pytest.fixture
def bot(tmp_path: Path, tiny_kb: Path) -> Iterator[RunningBot]:
    config = Config(
        data_dir=tmp_path / "data",
        knowledge=KnowledgeSettings(paths=(str(tiny_kb),), national=False),
        http=HttpSettings(port=0),
    )
    clock = ManualClock(at(2))
    running = RunningBot(config, clock=clock)
    running.run(add_user(config.data_dir, "admin", "admin"))
    running.run(add_user(config.data_dir, "thu", "leader"))
    running.run(file_tickets(running.app, clock))  # leaves the clock on Friday 20/11/2026, 10:00
    yield running
    running.close()


def test_a_leader_reads_the_board_and_the_reports(
    bot: RunningBot,
    browser: Browser,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
) -> None:
    tickets = bot.app.tickets
    assert tickets is not None
    overdue = next(t for t in bot.run(tickets.list()) if t.text.startswith("<script>"))
    for name, options in (("phone", PHONE), ("desktop", DESKTOP)):
        context = browser.new_context(accept_downloads=True, **options)
        page = context.new_page()
        refused: list[str] = []  # what the content policy blocked, and script errors
        page.on(
            "console",
            lambda message, refused=refused: refused.append(message.text) if "Refused" in message.text else None,
        )
        page.on("pageerror", lambda error, refused=refused: refused.append(str(error)))
        log_in(page, bot, "thu")
        page.get_by_role("link", name=catalogue.CONSOLE_NAV_BOARD).click()
        expect(page).to_have_title(f"{catalogue.CONSOLE_BOARD_TITLE} · {bot.config.ward.name}")
        expect(page.locator(".rate .rate-figure")).to_have_text(["33.3 %", "33.3 %"])
        urgent = page.locator("table.urgent tr.ticket")
        expect(urgent).to_have_class(["ticket state-overdue", "ticket state-soon"])
        expect(urgent.first).to_contain_text("<script>alert(1)</script>")  # the citizen's words, as text
        expect(page.locator("tr.late-ticket").first).to_contain_text(catalogue.CONSOLE_BOARD_NO_REASON)
        expect(page.locator("tr.late-ticket").last).to_contain_text("Chờ điện lực phối hợp <b>gấp</b>")
        expect(page.locator("tr.official")).to_have_count(2)
        page.screenshot(path=tmp_path / f"console-board-{name}.png", full_page=True)
        link = urgent.first.get_by_role("link", name=overdue.code)
        expect(link).to_have_attribute("href", f"/console/tickets/{overdue.code}")

        page.get_by_role("link", name=catalogue.CONSOLE_NAV_REPORTS).click()
        heading = page.get_by_role("heading", level=1)
        expect(heading).to_have_text(catalogue.CONSOLE_REPORTS_HEADING.format(period="2026-Q4"))
        rate = page.locator('[data-key="on_time||rate"]')
        expect(rate).to_have_attribute("data-value", "0.3333")
        expect(rate).to_contain_text("33.3 %")
        chart = page.get_by_role("img", name=catalogue.CONSOLE_REPORTS_CHART_ALT.format(period="2026-Q4"))
        expect(chart).to_be_visible()
        page.wait_for_function("() => document.querySelector('.chart img').naturalWidth > 0")
        page.screenshot(path=tmp_path / f"console-reports-{name}.png", full_page=True)
        # The select applies itself (console.js); the free field takes any period the command does.
        page.get_by_label(catalogue.CONSOLE_REPORTS_PRESET).select_option("2026-11")
        expect(heading).to_have_text(catalogue.CONSOLE_REPORTS_HEADING.format(period="2026-11"))
        expect(page).to_have_url(re.compile(r"/console/reports\?period=2026-11$"))
        field = page.get_by_label(catalogue.CONSOLE_REPORTS_CUSTOM)
        field.fill("2026-Q5")
        field.press("Enter")
        expect(page.get_by_role("alert")).to_have_text(catalogue.CONSOLE_REPORTS_BAD_PERIOD.format(text="2026-Q5"))
        page.screenshot(path=tmp_path / f"console-reports-error-{name}.png", full_page=True)
        field = page.get_by_label(catalogue.CONSOLE_REPORTS_CUSTOM)
        field.fill("2026-11-01..2026-11-30")
        field.press("Enter")
        expect(heading).to_have_text(catalogue.CONSOLE_REPORTS_HEADING.format(period="2026-11-01..2026-11-30"))
        with page.expect_download() as download:
            page.get_by_role("link", name=catalogue.CONSOLE_REPORTS_FORMATS["xlsx"]).click()
        assert download.value.suggested_filename == "bao-cao-2026-11-01_2026-11-30.xlsx"
        assert not refused, refused
        context.close()
    for name in ("board-phone", "board-desktop", "reports-phone", "reports-desktop"):
        assert (tmp_path / f"console-{name}.png").stat().st_size > 0
