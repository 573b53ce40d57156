"""The knowledge-base pages in headless Chromium, with the real bot behind the web chat: an admin
edits an FAQ and the bot answers with the new text; an admin uploads a zip with a broken entry,
sees its ``file:line`` problem, and the old knowledge base keeps answering. Screenshots of the
list, the edit form and the feedback queue on a phone and a desktop."""

from __future__ import annotations

from pathlib import Path

from fakes.clocks import ManualClock
from fakes.console import add_user
from fakes.kb import TINY_FAQ, zip_of
from fakes.storage import turn
from playwright.sync_api import Browser, Page, expect
from test_console_browser import DESKTOP, RunningBot, bot, log_in  # noqa: F401 - the module's bot fixture
from test_web_browser import PHONE, browser  # noqa: F401 - the module's browser fixture

from handlers import IncomingMessage, catalogue

QUESTION = "Làm thế nào để có tài khoản định danh điện tử mức độ 2?"
OLD_ANSWER = "Đến Công an phường."
NEW_ANSWER = "Mang căn cước đến Bộ phận Một cửa của phường để được kích hoạt định danh mức độ 2."


def open_chat(page: Page, running: RunningBot) -> None:
    page.goto(running.url)
    expect(page.locator(".msg.bot")).to_have_count(1)  # the greeting


def citizen_asks(page: Page, question: str) -> None:
    """Ask in the open chat and wait for the answer: the message after those shown before."""
    messages = page.locator(".msg.bot")
    shown = messages.count()
    text = page.get_by_label("Câu hỏi của anh/chị")
    text.fill(question)
    text.press("Enter")
    expect(messages.nth(shown)).to_be_visible()


def admin_logs_in(page: Page, running: RunningBot) -> None:
    log_in(page, running, "admin")
    page.goto(running.url + "/console/kb")
    expect(page.get_by_role("heading", name=catalogue.CONSOLE_KB_TITLE, exact=True)).to_be_visible()


def test_an_admin_edits_an_faq_and_the_bot_answers_with_the_new_text(
    bot: RunningBot,  # noqa: F811 - the fixture imported above
    browser: Browser,  # noqa: F811
    tmp_path: Path,
) -> None:
    bot.run(add_user(bot.config.data_dir, "admin", "admin"))
    storage = bot.app.storage
    assert storage is not None
    clock = ManualClock()  # only moves the helper's own time on between the questions
    bot.run(turn(storage, clock, "Xin giấy phép nuôi chó ở đâu?", outcome="abstained", user="a"))
    bot.run(turn(storage, clock, "Đăng ký khai sinh cần những gì?", outcome="answered", entry_id="1.001193", user="b"))
    bot.run(storage.record_vote(IncomingMessage("web", "chat-b", "b", callback_data="vote"), "1.001193", False))

    citizen = browser.new_context(**PHONE)
    chat = citizen.new_page()
    open_chat(chat, bot)
    citizen_asks(chat, QUESTION)
    expect(chat.locator(".msg.bot").last).to_contain_text(OLD_ANSWER)

    admin = browser.new_context(**DESKTOP)
    page = admin.new_page()
    admin_logs_in(page, bot)
    page.get_by_placeholder(catalogue.CONSOLE_KB_SEARCH_HINT).fill("dinh danh muc 2")
    page.get_by_role("button", name=catalogue.CONSOLE_SEARCH, exact=True).click()
    expect(page.locator("tr.kb-row")).to_have_count(1)
    page.get_by_role("link", name=QUESTION).click()
    expect(page.get_by_role("heading", name=catalogue.CONSOLE_KB_EDIT_FAQ)).to_be_visible()
    page.get_by_label(catalogue.CONSOLE_KB_FIELDS["answer"]).fill(NEW_ANSWER)
    page.get_by_role("button", name=catalogue.CONSOLE_KB_SAVE, exact=True).last.click()
    expect(page.locator(".flash-ok")).to_have_text(catalogue.CONSOLE_KB_SAVED.format(entry_id="vneid"))
    expect(page.get_by_label(catalogue.CONSOLE_KB_FIELDS["answer"])).to_have_value(NEW_ANSWER)
    admin.close()

    citizen_asks(chat, QUESTION)
    expect(chat.locator(".msg.bot").last).to_contain_text(NEW_ANSWER)
    citizen.close()

    # The pages on a phone and a desktop, for people to look at.
    for name, options in (("phone", PHONE), ("desktop", DESKTOP)):
        context = browser.new_context(**options)
        page = context.new_page()
        admin_logs_in(page, bot)
        page.screenshot(path=tmp_path / f"kb-list-{name}.png", full_page=True)
        page.goto(bot.url + "/console/kb/entries/1.001193")
        page.get_by_role("button", name=catalogue.CONSOLE_KB_ADD_ROW).first.click()  # the script adds a row
        expect(page.locator(".row-method")).to_have_count(3)
        page.screenshot(path=tmp_path / f"kb-edit-{name}.png", full_page=True)
        page.goto(bot.url + "/console/kb/feedback")
        expect(page.locator(".feedback-item")).to_have_count(2)
        page.screenshot(path=tmp_path / f"kb-feedback-{name}.png", full_page=True)
        context.close()
    for name in ("list", "edit", "feedback"):
        for size in ("phone", "desktop"):
            assert (tmp_path / f"kb-{name}-{size}.png").stat().st_size > 0


def test_an_admin_uploads_a_broken_entry_sees_its_problem_and_the_old_kb_keeps_answering(
    bot: RunningBot,  # noqa: F811 - the fixture imported above
    browser: Browser,  # noqa: F811
    tmp_path: Path,
) -> None:
    bot.run(add_user(bot.config.data_dir, "admin", "admin"))
    broken = TINY_FAQ.replace("kind: faq", "kind: faqs").replace(OLD_ANSWER, NEW_ANSWER)
    upload = zip_of({"faq/vneid.md": broken})

    admin = browser.new_context(**PHONE)
    page = admin.new_page()
    admin_logs_in(page, bot)
    page.get_by_role("link", name=catalogue.CONSOLE_KB_UPLOAD, exact=True).click()
    page.get_by_label(catalogue.CONSOLE_KB_UPLOAD_FILE.format(megabytes=64)).set_input_files(
        {"name": "sua-vneid.zip", "mimeType": "application/zip", "buffer": upload}
    )
    page.get_by_role("button", name=catalogue.CONSOLE_KB_UPLOAD_BUTTON).click()
    expect(page.get_by_role("alert")).to_contain_text(
        catalogue.CONSOLE_KB_UPLOAD_REFUSED.format(name="sua-vneid.zip", count=1)
    )
    expect(page.locator(".upload-problems li")).to_have_text(
        ["faq/vneid.md:2: field `kind` must be 'procedure' or 'faq', got 'faqs'; did you mean 'faq'?"]
    )
    page.screenshot(path=tmp_path / "kb-upload-refused-phone.png", full_page=True)
    admin.close()

    citizen = browser.new_context(**PHONE)
    chat = citizen.new_page()
    open_chat(chat, bot)
    citizen_asks(chat, QUESTION)
    expect(chat.locator(".msg.bot").last).to_contain_text(OLD_ANSWER)
    citizen.close()
