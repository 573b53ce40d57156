"""The ticket page in headless Chromium (Debian's, through Playwright, as tests/test_web_browser.py):
a citizen's web chat report answered from the console reaches the citizen's chat; two officials
claiming from the same page, one told of the conflict; an apology slip drafted by an official and
approved by a leader reaches the citizen. Screenshots of the page on a phone and a desktop."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fakes.console import add_user
from playwright.sync_api import Browser, BrowserContext, Page, expect
from test_console_browser import (  # noqa: F401 - the module's bot fixture
    DESKTOP,
    REPORT,
    RunningBot,
    bot,
    citizen_files_a_report,
    log_in,
)
from test_web_browser import PHONE, browser  # noqa: F401 - the module's browser fixture

from bot.officials import conflict_message
from handlers import catalogue
from tickets import WARD_TZ, Ticket

ANSWER = "Phường đã cử tổ công tác thay bóng đèn ngõ 5 Lê Lợi chiều nay. Cảm ơn anh/chị."


def open_console(context: BrowserContext, running: RunningBot, username: str) -> Page:
    page = context.new_page()
    log_in(page, running, username)
    return page


def add_users(running: RunningBot) -> None:
    for name, role in (("admin", "admin"), ("lan", "official"), ("minh", "official"), ("hoa", "leader")):
        running.run(add_user(running.config.data_dir, name, role))


def web_ticket(running: RunningBot) -> Ticket:
    assert running.app.tickets is not None
    [filed] = [t for t in running.run(running.app.tickets.list()) if t.channel == "web"]
    return filed


def test_an_answer_given_in_the_console_arrives_in_the_citizens_web_chat(
    bot: RunningBot,  # noqa: F811 - the fixture imported above
    browser: Browser,  # noqa: F811
) -> None:
    add_users(bot)
    citizen_context = browser.new_context(**PHONE)
    citizen = citizen_context.new_page()
    citizen_files_a_report(citizen, bot)
    filed = web_ticket(bot)

    official = browser.new_context(**DESKTOP)
    page = open_console(official, bot, "lan")
    page.locator("tr.ticket", has_text=filed.code).get_by_role("link", name=filed.code).click()
    expect(page).to_have_url(f"{bot.url}/console/tickets/{filed.code}")
    expect(page.locator(".citizen-text").first).to_have_text(REPORT)
    page.get_by_role("button", name=catalogue.CONSOLE_TICKET_CLAIM).click()
    expect(page.locator(".flash-ok")).to_have_text(catalogue.OFFICIALS_CLAIMED.format(code=filed.code, name="lan"))
    # Choosing a template fills the answer box (the script); the official writes their own.
    label, template = catalogue.OFFICIALS_ANSWER_TEMPLATES[2]
    page.get_by_label(catalogue.CONSOLE_TICKET_TEMPLATE).select_option(label=label)
    answer = page.locator("textarea[name=answer]")
    expect(answer).to_have_value(template)
    answer.fill(ANSWER)
    page.get_by_role("button", name=catalogue.CONSOLE_TICKET_ANSWER_BUTTON).click()
    expect(page.locator(".flash-ok")).to_have_text(catalogue.OFFICIALS_REPLY_SENT.format(code=filed.code))
    expect(page.locator(".history")).to_contain_text(catalogue.CONSOLE_TICKET_EVENTS["delivered"])

    expected = catalogue.OFFICIAL_ANSWER.format(ward_name=bot.config.ward.name, code=filed.code, text=ANSWER)
    expect(citizen.locator(".msg.bot").last).to_have_text(expected)
    official.close()
    citizen_context.close()


def test_two_officials_claim_from_the_same_page_and_one_is_told_of_the_conflict(
    bot: RunningBot,  # noqa: F811
    browser: Browser,  # noqa: F811
) -> None:
    add_users(bot)
    citizen = browser.new_context(**PHONE)
    citizen_files_a_report(citizen.new_page(), bot)
    filed = web_ticket(bot)
    lan_context, minh_context = browser.new_context(**DESKTOP), browser.new_context(**PHONE)
    lan, minh = open_console(lan_context, bot, "lan"), open_console(minh_context, bot, "minh")
    for page in (lan, minh):  # both read the same version
        page.goto(f"{bot.url}/console/tickets/{filed.code}")
    lan.get_by_role("button", name=catalogue.CONSOLE_TICKET_CLAIM).click()
    expect(lan.locator(".flash-ok")).to_contain_text("lan")
    minh.get_by_role("button", name=catalogue.CONSOLE_TICKET_CLAIM).click()
    assert bot.app.tickets is not None
    current = bot.run(bot.app.tickets.get(filed.code))
    expect(minh.locator(".flash-error")).to_have_text(conflict_message(current))
    assert current.assignee == "console:lan"
    # The page minh now sees is the ticket as it is: lan's, nothing left to claim.
    expect(minh.get_by_role("button", name=catalogue.CONSOLE_TICKET_CLAIM)).to_have_count(0)
    expect(minh.locator(".facts")).to_contain_text("lan")
    for context in (lan_context, minh_context, citizen):
        context.close()


def test_an_official_drafts_an_apology_slip_and_a_leader_approves_it_for_the_citizen(
    bot: RunningBot,  # noqa: F811
    browser: Browser,  # noqa: F811
    tmp_path: Path,
) -> None:
    add_users(bot)
    citizen_context = browser.new_context(**PHONE)
    citizen = citizen_context.new_page()
    citizen_files_a_report(citizen, bot)
    filed = web_ticket(bot)
    assert bot.app.desk is not None
    calendar = bot.app.desk.calendar
    day = filed.due_at.astimezone(WARD_TZ).date() + dt.timedelta(days=1)  # a new date past the due moment
    while not calendar.is_working_day(day):
        day += dt.timedelta(days=1)
    date = day.strftime(catalogue.DATE)

    official = browser.new_context(**PHONE)
    page = open_console(official, bot, "lan")
    page.goto(f"{bot.url}/console/tickets/{filed.code}")
    page.get_by_role("button", name=catalogue.CONSOLE_TICKET_CLAIM).click()
    page.get_by_label(catalogue.CONSOLE_TICKET_APOLOGY_DATE).fill(day.isoformat())
    page.get_by_label(catalogue.CONSOLE_TICKET_APOLOGY_REASON).fill("cần đơn vị điện lực kiểm tra đường dây")
    page.get_by_role("button", name=catalogue.CONSOLE_TICKET_APOLOGY_DRAFT_BUTTON).click()
    expect(page.locator(".flash-ok")).to_have_text(
        catalogue.OFFICIALS_APOLOGY_DRAFTED.format(code=filed.code, date=date)
    )
    # An official sees the draft waiting, with no approval button.
    expect(page.locator(".pending")).to_contain_text(date)
    expect(page.get_by_role("button", name=catalogue.CONSOLE_TICKET_APOLOGY_APPROVE_BUTTON)).to_have_count(0)
    official.close()

    for name, options in (("phone", PHONE), ("desktop", DESKTOP)):
        context = browser.new_context(**options)
        leader = open_console(context, bot, "hoa")
        leader.goto(f"{bot.url}/console/tickets/{filed.code}")
        if name == "phone":
            leader.screenshot(path=tmp_path / "console-ticket-phone.png", full_page=True)
            leader.get_by_role("button", name=catalogue.CONSOLE_TICKET_APOLOGY_APPROVE_BUTTON).click()
            expect(leader.locator(".flash-ok")).to_have_text(
                catalogue.OFFICIALS_APOLOGY_SENT.format(code=filed.code, date=date)
            )
        else:
            expect(leader.locator(".history")).to_contain_text(
                catalogue.CONSOLE_TICKET_EVENTS["apology"].format(date=date)
            )
            leader.screenshot(path=tmp_path / "console-ticket-desktop.png", full_page=True)
        context.close()
    expect(citizen.locator(".msg.bot").last).to_contain_text("PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ")
    expect(citizen.locator(".msg.bot").last).to_contain_text(date)
    citizen_context.close()
    assert (tmp_path / "console-ticket-phone.png").stat().st_size > 0
    assert (tmp_path / "console-ticket-desktop.png").stat().st_size > 0
