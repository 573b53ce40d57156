"""The console's ticket page over the bot's real HTTP server: the page (message, photo, history,
due moment, the actions a role may take), each action through ``OfficialActions`` with its
messages reaching the citizen's channel, roles refused server-side, a stale page's conflict, the
template of an answer without the script, escaping, and the photo behind the login."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import markupsafe
from fakes.aio import async_test
from fakes.channels import CollectingChannel
from fakes.clocks import ManualClock
from fakes.console import PASSWORD, ConsoleClient, add_user, csrf_token
from fakes.embedders import HashingEmbedder

from bot._app import Application
from bot._config import Config, HttpSettings, KnowledgeSettings
from bot.channels import UPLOADS_DIR, store_photo
from bot.console import CONSOLE_DB, ConsoleStore
from bot.console._ticket import actor_name
from bot.officials import conflict_message, refusal_message
from handlers import catalogue
from tickets import WARD_TZ, Category, Status, Ticket

SCRIPT = "<script>alert('x')</script>"
REPORT = f"Cống thoát nước ngõ 7 bị tắc {SCRIPT}"


def escaped(text: str) -> str:
    """``text`` as the page's templates write it (Jinja2's autoescape)."""
    return str(markupsafe.escape(text))


class Running:
    """The real bot (dialogue, ticket service, console) with a web channel that collects what the
    citizen is sent, on a clock fixed at Friday 20/11/2026, 09:00 in the ward."""

    def __init__(self, tmp_path: Path, kb: Path) -> None:
        self.clock = ManualClock(dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC))
        self.config = Config(
            data_dir=tmp_path / "data",
            knowledge=KnowledgeSettings(paths=(str(kb),), national=False),
            http=HttpSettings(port=0),
        )
        self.web = CollectingChannel("web")
        self.app = Application(
            self.config, channels=[self.web], embedder=HashingEmbedder(), clock=self.clock, progress=False
        )

    async def __aenter__(self) -> Running:
        await self.app.start()
        for name, role in (("admin", "admin"), ("lan", "official"), ("minh", "official"), ("hoa", "leader")):
            await add_user(self.config.data_dir, name, role)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.app.stop()

    def client(self) -> ConsoleClient:
        assert self.app.http is not None
        return ConsoleClient(self.app.http.url)

    async def signed_in(self, username: str) -> ConsoleClient:
        client = self.client()
        assert (await client.login(username, PASSWORD))[0] == 303
        return client

    async def file(self, text: str = REPORT, **fields: object) -> Ticket:
        assert self.app.desk is not None
        return await self.app.desk.open_ticket(
            Category.FEEDBACK, channel="web", chat_id="chat-1", user="u1", text=text, received_at=self.clock(), **fields
        )

    async def ticket(self, code: str) -> Ticket:
        assert self.app.tickets is not None
        return await self.app.tickets.get(code)


async def page(client: ConsoleClient, code: str) -> tuple[str, str, int]:
    """The ticket page's HTML, its CSRF token and the version its forms carry."""
    status, html, _ = await client.get(f"/console/tickets/{code}")
    assert status == 200, html[:500]
    versions = set(re.findall(r'name="expected_version" value="(\d+)"', html))
    assert len(versions) <= 1
    return html, csrf_token(html), int(versions.pop()) if versions else 0


async def act(
    client: ConsoleClient, code: str, action: str, form: dict[str, str] | None = None
) -> tuple[int, str, str]:
    """Post ``action`` from the ticket page as it is now; the status, the page it leads to, and
    the Location of a redirect."""
    _, token, version = await page(client, code)
    data = {"expected_version": str(version), **(form or {})}
    status, html, response = await client.post(f"/console/tickets/{code}/{action}", data, token=token)
    location = response.headers.get("Location", "")
    if status == 303:
        status_after, html, _ = await client.get(location)
        assert status_after == 200
    return status, html, location


def a_working_day_after(bot: Running, days: int = 1) -> dt.date:
    assert bot.app.desk is not None
    day = bot.clock().astimezone(WARD_TZ).date()
    while days:
        day += dt.timedelta(days=1)
        days -= bot.app.desk.calendar.is_working_day(day)
    return day


@async_test
async def test_the_page_shows_the_message_photo_place_history_due_moment_and_the_officials_actions(
    tmp_path: Path, tiny_kb: Path
) -> None:
    async with Running(tmp_path, tiny_kb) as bot:
        photo = store_photo(bot.config.data_dir / UPLOADS_DIR, b"\xff\xd8 a stored photo")
        ticket = await bot.file(address="ngõ 7 Lê Lợi", location=(21.0285, 105.8542), photo=photo)
        async with await bot.signed_in("lan") as lan:
            html, _, version = await page(lan, ticket.code)
            assert version == ticket.version
            assert f"<title>{catalogue.CONSOLE_TICKET_TITLE.format(code=ticket.code)}" in html
            assert escaped(REPORT) in html and SCRIPT not in html
            assert "ngõ 7 Lê Lợi" in html and "https://www.openstreetmap.org/?mlat=21.02850" in html
            assert f'src="/console/tickets/{ticket.code}/photo"' in html
            assert catalogue.CONSOLE_TICKET_ANONYMOUS in html
            assert catalogue.CONSOLE_TICKET_EVENTS["create"].format(channel="Web") in html
            # Due in working days, coloured by its state: 10 working days for a report.
            assert catalogue.DEADLINE_DAYS_LEFT.format(days=10) in html
            assert 'class="card deadline-card state-on_track"' in html
            # An official's actions on a new ticket; a leader's are not offered.
            for action in ("claim", "answer", "ask_info", "draft_apology"):
                assert f'action="/console/tickets/{ticket.code}/{action}"' in html, action
            for action in ("reassign", "approve_apology", "close", "reopen", "resume"):
                assert f'action="/console/tickets/{ticket.code}/{action}"' not in html, action
            assert '<textarea name="answer"' in html
            for label, _text in catalogue.OFFICIALS_ANSWER_TEMPLATES:
                assert f">{label}</option>" in html
            async with lan.http.get(f"/console/tickets/{ticket.code}/photo") as response:
                assert response.status == 200 and response.headers["Content-Type"] == "image/jpeg"
                assert await response.read() == b"\xff\xd8 a stored photo"  # the stored upload itself
        async with await bot.signed_in("hoa") as leader:
            html, _, _ = await page(leader, ticket.code)
            assert f'action="/console/tickets/{ticket.code}/reassign"' in html
            assert '<option value="console:minh">minh · Cán bộ</option>' in html


@async_test
async def test_the_photo_and_the_page_need_a_signed_in_user_and_an_unknown_code_is_the_404_page(
    tmp_path: Path, tiny_kb: Path
) -> None:
    async with Running(tmp_path, tiny_kb) as bot:
        photo = store_photo(bot.config.data_dir / UPLOADS_DIR, b"\xff\xd8 a stored photo")
        ticket = await bot.file(photo=photo)
        async with bot.client() as anonymous:
            for path in (f"/console/tickets/{ticket.code}", f"/console/tickets/{ticket.code}/photo"):
                status, _, response = await anonymous.get(path)
                assert status == 302 and response.headers["Location"] == "/console/login", path
        async with await bot.signed_in("lan") as lan:
            for code in ("PA-2026-999999", "PA-2026-000001%27", "%3Cscript%3E", "x" * 300):
                status, html, _ = await lan.get(f"/console/tickets/{code}")
                assert status == 404 and catalogue.CONSOLE_NOT_FOUND in html, code
            plain = await bot.file(text="Không có ảnh")
            assert (await lan.get(f"/console/tickets/{plain.code}/photo"))[0] == 404


@async_test
async def test_each_action_changes_the_ticket_reaches_the_citizen_and_is_audited(tmp_path: Path, tiny_kb: Path) -> None:
    async with Running(tmp_path, tiny_kb) as bot:
        ticket = await bot.file()
        code = ticket.code
        lan, hoa = await bot.signed_in("lan"), await bot.signed_in("hoa")
        async with lan, hoa:
            status, html, location = await act(lan, code, "claim")
            assert status == 303 and location == f"/console/tickets/{code}"
            assert catalogue.OFFICIALS_CLAIMED.format(code=code, name="lan") in html
            assert (await bot.ticket(code)).assignee == "console:lan"

            status, html, _ = await act(lan, code, "ask_info", {"question": "Anh/chị cho biết số nhà cụ thể?"})
            assert catalogue.OFFICIALS_INFO_ASKED.format(code=code) in html
            assert (await bot.ticket(code)).paused and "Anh/chị cho biết số nhà cụ thể?" in bot.web.texts[-1]
            assert catalogue.DEADLINE_PAUSED in html
            assert f'action="/console/tickets/{code}/answer"' not in html  # paused: resume first
            status, html, _ = await act(lan, code, "resume")
            assert status == 303 and not (await bot.ticket(code)).paused

            status, html, _ = await act(hoa, code, "reassign", {"assignee": "console:minh"})
            assert catalogue.OFFICIALS_REASSIGNED.format(code=code, name="minh") in html
            assert (await bot.ticket(code)).assignee == "console:minh"
            assert catalogue.CONSOLE_TICKET_EVENTS["assign"].format(assignee="minh") in html

            day = a_working_day_after(bot, 3)
            status, html, _ = await act(lan, code, "draft_apology", {"date": day.isoformat(), "reason": "chờ đo đạc"})
            date = day.strftime(catalogue.DATE)
            assert catalogue.OFFICIALS_APOLOGY_DRAFTED.format(code=code, date=date) in html
            html, _, _ = await page(hoa, code)
            assert catalogue.CONSOLE_TICKET_APOLOGY_PENDING.format(date=date, reason="chờ đo đạc") in html
            status, html, _ = await act(hoa, code, "approve_apology")
            assert catalogue.OFFICIALS_APOLOGY_SENT.format(code=code, date=date) in html
            assert bot.web.texts[-1].startswith("PHIẾU XIN LỖI") and date in bot.web.texts[-1]
            assert catalogue.CONSOLE_TICKET_EVENTS["apology"].format(date=date) in html

            sent = len(bot.web.sent)
            status, html, _ = await act(lan, code, "answer", {"answer": "Đã thông cống.", "template": ""})
            assert catalogue.OFFICIALS_REPLY_SENT.format(code=code) in html
            assert bot.web.sent[sent][0] == "chat-1" and "Đã thông cống." in bot.web.texts[sent]
            assert catalogue.CONSOLE_TICKET_EVENTS["delivered"] in html
            assert catalogue.CONSOLE_TICKET_DELIVERY["delivered"] in html

            status, html, _ = await act(lan, code, "close")
            assert catalogue.OFFICIALS_CLOSED.format(code=code) in html
            assert (await bot.ticket(code)).status is Status.CLOSED
            status, html, _ = await act(lan, code, "reopen", {"reason": ""})
            assert status == 400 and catalogue.CONSOLE_TICKET_REASON_NEEDED in html
            status, html, _ = await act(lan, code, "reopen", {"reason": "người dân báo vẫn tắc"})
            assert catalogue.OFFICIALS_REOPENED.format(code=code) in html and "người dân báo vẫn tắc" in html
            assert (await bot.ticket(code)).status is Status.REOPENED

        async with await ConsoleStore.open(bot.config.data_dir / CONSOLE_DB) as store:
            entries, _ = await store.audit(limit=100)
        done = [(e.actor, e.action, e.target) for e in reversed(entries) if e.action.startswith("ticket.")]
        assert done == [
            ("console:lan", "ticket.claim", code),
            ("console:lan", "ticket.ask_info", code),
            ("console:lan", "ticket.resume", code),
            ("console:hoa", "ticket.reassign", code),
            ("console:lan", "ticket.draft_apology", code),
            ("console:hoa", "ticket.approve_apology", code),
            ("console:lan", "ticket.answer", code),
            ("console:lan", "ticket.close", code),
            ("console:lan", "ticket.reopen", code),
        ]
        details = " ".join(e.detail for e in entries)
        for words in ("Cống", "số nhà", "Đã thông cống", "chờ đo đạc", "vẫn tắc"):
            assert words not in details


@async_test
async def test_an_official_cannot_reassign_or_approve_and_nothing_changes(tmp_path: Path, tiny_kb: Path) -> None:
    async with Running(tmp_path, tiny_kb) as bot:
        ticket = await bot.file()
        async with await bot.signed_in("lan") as lan:
            day = a_working_day_after(bot)
            await act(lan, ticket.code, "draft_apology", {"date": day.isoformat(), "reason": "chờ đo đạc"})
            before = await bot.ticket(ticket.code)
            sent = len(bot.web.sent)
            for action, form in (("reassign", {"assignee": "console:lan"}), ("approve_apology", {})):
                status, html, _ = await act(lan, ticket.code, action, form)
                assert status == 403 and catalogue.CONSOLE_FORBIDDEN in html, action
            assert await bot.ticket(ticket.code) == before and len(bot.web.sent) == sent


@async_test
async def test_two_officials_on_the_same_version_one_gets_the_cli_conflict_message(
    tmp_path: Path, tiny_kb: Path
) -> None:
    async with Running(tmp_path, tiny_kb) as bot:
        ticket = await bot.file()
        lan, minh = await bot.signed_in("lan"), await bot.signed_in("minh")
        async with lan, minh:
            _, lan_token, version = await page(lan, ticket.code)
            _, minh_token, _ = await page(minh, ticket.code)
            form = {"expected_version": str(version)}
            assert (await lan.post(f"/console/tickets/{ticket.code}/claim", form, token=lan_token))[0] == 303
            status, html, _ = await minh.post(f"/console/tickets/{ticket.code}/claim", form, token=minh_token)
            current = await bot.ticket(ticket.code)
            assert status == 409 and escaped(conflict_message(current)) in html
            assert current.assignee == "console:lan"
            # An answer typed on a stale page is kept in the form, and not sent.
            answer = {"expected_version": str(version), "answer": "Trả lời từ trang cũ"}
            status, html, _ = await minh.post(f"/console/tickets/{ticket.code}/answer", answer, token=minh_token)
            assert status == 409 and ">Trả lời từ trang cũ</textarea>" in html
            assert (await bot.ticket(ticket.code)).answer is None and not bot.web.sent[1:]
            # The page it shows is the current one: acting from it works.
            assert f'name="expected_version" value="{current.version}"' in html
            status, html, _ = await act(minh, ticket.code, "answer", {"answer": "Trả lời sau khi xem lại"})
            assert status == 303 and (await bot.ticket(ticket.code)).answer == "Trả lời sau khi xem lại"


@async_test
async def test_a_refused_state_change_is_said_in_vietnamese(tmp_path: Path, tiny_kb: Path) -> None:
    async with Running(tmp_path, tiny_kb) as bot:
        ticket = await bot.file()
        async with await bot.signed_in("lan") as lan:
            _, token, version = await page(lan, ticket.code)
            status, html, _ = await lan.post(
                f"/console/tickets/{ticket.code}/close", {"expected_version": str(version)}, token=token
            )
            assert status == 400 and escaped(refusal_message("close", ticket)) in html
            assert "không đóng phiếu được" in html
            status, html, _ = await act(lan, ticket.code, "draft_apology", {"date": "2026-11-21", "reason": "x"})
            assert status == 400 and escaped(catalogue.OFFICIALS_APOLOGY_BAD_DATE) in html
            status, html, _ = await lan.post(f"/console/tickets/{ticket.code}/claim", {}, token=token)
            assert status == 400 and catalogue.CONSOLE_TICKET_BAD_VERSION in html
            assert (await bot.ticket(ticket.code)).version == version


@async_test
async def test_a_template_without_the_script_fills_the_answer_to_edit_and_sends_nothing(
    tmp_path: Path, tiny_kb: Path
) -> None:
    async with Running(tmp_path, tiny_kb) as bot:
        ticket = await bot.file()
        async with await bot.signed_in("lan") as lan:
            label, text = catalogue.OFFICIALS_ANSWER_TEMPLATES[0]
            status, html, _ = await act(lan, ticket.code, "answer", {"answer": "", "template": "0"})
            assert status == 200 and escaped(catalogue.CONSOLE_TICKET_TEMPLATE_FILLED.format(label=label)) in html
            assert f">{escaped(text)}</textarea>" in html
            status, html, _ = await act(lan, ticket.code, "answer", {"answer": " ", "template": ""})
            assert status == 400 and escaped(catalogue.CONSOLE_TICKET_ANSWER_EMPTY) in html
            assert (await bot.ticket(ticket.code)).answer is None and len(bot.web.sent) == 0


@async_test
async def test_a_script_in_the_citizens_words_or_an_answer_renders_as_text(tmp_path: Path, tiny_kb: Path) -> None:
    async with Running(tmp_path, tiny_kb) as bot:
        ticket = await bot.file(text=SCRIPT, address=SCRIPT, contact=f"Lan {SCRIPT}", contact_consent=True)
        async with await bot.signed_in("lan") as lan:
            await act(lan, ticket.code, "answer", {"answer": f"Trả lời {SCRIPT}"})
            html, _, _ = await page(lan, ticket.code)
            assert "<script>" not in html.replace('<script src="/console/static/console.js" defer></script>', "")
            assert html.count("&lt;script&gt;") >= 5  # text, address, contact, answer, its history line


def test_the_history_names_people_as_officials_know_them() -> None:
    assert actor_name("console:lan") == "lan"
    assert actor_name("cli:lan") == "lan (dòng lệnh)"
    assert actor_name("citizen") == "Người dân" and actor_name("system") == "Hệ thống"
