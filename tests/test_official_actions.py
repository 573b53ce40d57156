"""OfficialActions: each official's action on a ticket, their conflicts, asking the citizen for
information (the pause, and the citizen's answer attached), reassigning, and apology slips drafted
then approved; the roles each action needs; a ticket's deadline line."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
from fakes.aio import async_test
from fakes.channels import CollectingChannel
from fakes.clocks import ManualClock
from fakes.engines import WARD_CONTACT, WARD_NAME, build_engine, pseudonym

from bot.channels import DeliveryError
from bot.delivery import RetryPolicy
from bot.officials import (
    ACTION_ROLES,
    ActionConflict,
    ActionRefused,
    OfficialActions,
    Role,
    TicketService,
    ticket_deadline,
)
from bot.testing import MemoryDialogueStore
from handlers import Dialogue, IncomingMessage, catalogue
from retrieval import Decision
from tickets import WARD_TZ, Category, DeadlineState, EventKind, Status, TicketDesk, TicketStore, WorkingCalendar

CALENDAR = WorkingCalendar.from_file()
MONDAY = dt.datetime(2026, 11, 2, 9, 0, tzinfo=WARD_TZ)  # a working Monday
CITIZEN_CHAT = "web-session-1"


class Office:
    """A real store, desk and dialogue; the citizen on a collecting "web" channel."""

    def __init__(self, store: TicketStore, engine, clock: ManualClock, *, web: CollectingChannel) -> None:
        self.store, self.clock, self.web = store, clock, web
        self.desk = TicketDesk(store, CALENDAR, {})
        self.dialogue = Dialogue(
            engine, MemoryDialogueStore(), ward_name=WARD_NAME, ward_contact=WARD_CONTACT, desk=self.desk,
            pseudonym=pseudonym,
        )  # fmt: skip
        self.service = TicketService(
            self.desk, {"web": web}, ward_name=WARD_NAME, clock=clock, retry=RetryPolicy(attempts_per_round=1)
        )
        self.actions = OfficialActions(self.desk, service=self.service, prompts=self.dialogue)

    async def file(self) -> str:
        ticket = await self.desk.open_ticket(
            Category.FEEDBACK, channel="web", chat_id=CITIZEN_CHAT, user="citizen-1",
            text="Đèn đường ngõ 5 hỏng", received_at=self.clock(),
        )  # fmt: skip
        return ticket.code

    async def citizen_says(self, text: str) -> list[str]:
        turn = await self.dialogue.handle(IncomingMessage("web", CITIZEN_CHAT, "citizen-1", text=text))
        return [reply.text for reply in turn.replies]


@pytest.fixture
def engine(hashing_embedder):
    return build_engine(hashing_embedder, decision=Decision.ABSTAIN)


async def open_office(engine, tmp_path: Path) -> Office:
    clock = ManualClock(MONDAY.astimezone(dt.UTC))
    store = await TicketStore.open(tmp_path / "tickets.sqlite3", clock=clock)
    return Office(store, engine, clock, web=CollectingChannel("web"))


def test_leaders_reassign_and_approve_slips_officials_do_the_rest() -> None:
    assert {action for action, role in ACTION_ROLES.items() if role is Role.LEADER} == {"reassign", "approve_apology"}
    assert Role.OFFICIAL.may("answer") and not Role.OFFICIAL.may("reassign")
    assert Role.LEADER.may("approve_apology") and Role.ADMIN.may("reassign")
    assert all(hasattr(OfficialActions, action) for action in ACTION_ROLES)
    assert all(action in catalogue.OFFICIALS_ACTIONS for action in ACTION_ROLES)


@async_test
async def test_two_officials_claiming_the_same_version_one_gets_the_conflict_message(engine, tmp_path) -> None:
    office = await open_office(engine, tmp_path)
    async with office.store:
        code = await office.file()
        results = await asyncio.gather(
            office.actions.claim(code, actor="console:lan", expected_version=1, name="Lan"),
            office.actions.claim(code, actor="console:minh", expected_version=1, name="Minh"),
            return_exceptions=True,
        )
        ticket = await office.store.get(code)
    [won] = [r for r in results if not isinstance(r, BaseException)]
    [lost] = [r for r in results if isinstance(r, BaseException)]
    assert won.notice == f"✅ {code}: {won.ticket.assignee.removeprefix('console:').capitalize()} đã nhận xử lý."
    assert isinstance(lost, ActionConflict)
    assert str(lost) == catalogue.OFFICIALS_CONFLICT.format(
        code=code, label=catalogue.TICKET_STATUSES["assigned"], assignee=f" · {ticket.assignee}"
    )
    assert ticket.version == 2


@async_test
async def test_an_answer_reaches_the_citizen_then_close_and_reopen(engine, tmp_path) -> None:
    office = await open_office(engine, tmp_path)
    async with office.store:
        code = await office.file()
        answered = await office.actions.answer(code, "Đã thay bóng đèn.", actor="console:lan", expected_version=1)
        closed = await office.actions.close(code, actor="console:lan", expected_version=answered.ticket.version)
        reopened = await office.actions.reopen(
            code, "Đèn lại hỏng", actor="console:lan", expected_version=closed.ticket.version
        )
    assert (
        answered.notice == catalogue.OFFICIALS_REPLY_SENT.format(code=code) and answered.ticket.delivery == "delivered"
    )
    texts = [reply.text for _, reply in office.web.sent]
    assert "Đã thay bóng đèn." in texts[0] and code in texts[1]  # the answer, then the closing
    assert len(texts) == 3  # and the first SIPAS question
    assert closed.notice == catalogue.OFFICIALS_CLOSED.format(code=code)
    assert reopened.ticket.status is Status.REOPENED


@async_test
async def test_without_the_running_bot_an_answer_is_only_recorded(engine, tmp_path) -> None:
    office = await open_office(engine, tmp_path)
    async with office.store:
        code = await office.file()
        recording = OfficialActions(office.desk)
        outcome = await recording.answer(code, "Đã xử lý.", actor="cli:lan", expected_version=1)
        with pytest.raises(ActionRefused, match="khi hệ thống đang chạy"):
            await recording.ask_info(code, "Số nhà?", actor="cli:lan", expected_version=outcome.ticket.version)
    assert outcome.ticket.delivery is None and office.web.sent == []  # the bot's service delivers it


@async_test
async def test_asking_for_information_pauses_and_the_citizens_reply_is_attached_and_resumes(engine, tmp_path) -> None:
    office = await open_office(engine, tmp_path)
    async with office.store:
        code = await office.file()
        due = (await office.store.get(code)).due_at
        asked = await office.actions.ask_info(
            code, "Ngõ 5 thuộc tổ dân phố nào?", actor="console:lan", expected_version=1
        )
        assert asked.ticket.paused and asked.notice == catalogue.OFFICIALS_INFO_ASKED.format(code=code)
        [(chat, question)] = office.web.sent
        assert chat == CITIZEN_CHAT and "Ngõ 5 thuộc tổ dân phố nào?" in question.text
        with pytest.raises(ActionRefused) as refused:
            await office.actions.answer(code, "Đã sửa.", actor="console:lan", expected_version=asked.ticket.version)
        assert str(refused.value) == catalogue.OFFICIALS_PAUSED.format(code=code)
        assert office.desk.deadline_state(asked.ticket, office.clock()) is DeadlineState.PAUSED
        office.clock.advance(2 * 86400)  # the citizen answers on Wednesday
        [thanks] = await office.citizen_says("Tổ dân phố số 3 ạ")
        ticket, events = await office.store.get(code), await office.store.events(code)
    assert code in thanks
    assert not ticket.paused
    supplement = [e for e in events if e.kind is EventKind.NOTE and "supplement" in e.data]
    assert [(e.actor, e.data["supplement"], e.data["text"]) for e in supplement] == [
        ("citizen", "Tổ dân phố số 3 ạ", "")
    ]
    # The days waited do not count: two working days later than at receipt.
    assert ticket.due_at == CALENDAR.due(MONDAY, 10, paused=[(MONDAY, MONDAY + dt.timedelta(days=2))])
    assert ticket.due_at.astimezone(WARD_TZ).date() - due.astimezone(WARD_TZ).date() == dt.timedelta(days=2)
    [moved] = [e for e in events if e.kind is EventKind.DUE_CHANGE]
    assert moved.data["reason"] == "Ngõ 5 thuộc tổ dân phố nào?"


@async_test
async def test_a_question_that_cannot_reach_the_citizen_leaves_the_clock_running(engine, tmp_path) -> None:
    office = await open_office(engine, tmp_path)
    office.web.failures.append(DeliveryError("the session is gone", retryable=False))
    async with office.store:
        code = await office.file()
        outcome = await office.actions.ask_info(code, "Số nhà?", actor="console:lan", expected_version=1)
        due = (await office.store.events(code))[0].data["due_at"]
    assert outcome.error is not None and not outcome.ticket.paused
    assert outcome.notice.startswith(f"❗ {code}")
    assert outcome.ticket.due_at == dt.datetime.fromisoformat(due)


@async_test
async def test_an_official_can_resume_and_a_leader_reassigns(engine, tmp_path) -> None:
    office = await open_office(engine, tmp_path)
    async with office.store:
        code = await office.file()
        claimed = await office.actions.claim(code, actor="console:lan", expected_version=1)
        asked = await office.actions.ask_info(code, "Số nhà?", actor="console:lan", expected_version=2)
        resumed = await office.actions.resume(code, actor="console:lan", expected_version=asked.ticket.version)
        with pytest.raises(ActionConflict):  # a stale page
            await office.actions.reassign(code, "console:minh", actor="console:hoa", expected_version=2)
        moved = await office.actions.reassign(
            code, "console:minh", actor="console:hoa", expected_version=resumed.ticket.version
        )
    assert claimed.ticket.assignee == "console:lan" and not resumed.ticket.paused
    assert moved.ticket.assignee == "console:minh" and moved.notice == f"✅ {code}: đã giao cho console:minh."


@async_test
async def test_an_apology_slip_is_drafted_then_approved_and_sent_without_moving_the_due_moment(engine, tmp_path):
    office = await open_office(engine, tmp_path)
    async with office.store:
        code = await office.file()
        with pytest.raises(ActionRefused, match="chưa có dự thảo"):
            await office.actions.approve_apology(code, actor="console:hoa", expected_version=1)
        with pytest.raises(ActionRefused):  # a Sunday
            await office.actions.draft_apology(
                code, dt.date(2026, 11, 22), "cần khảo sát", actor="console:lan", expected_version=1
            )
        drafted = await office.actions.draft_apology(
            code, dt.date(2026, 11, 20), "cần phối hợp điện lực", actor="console:lan", expected_version=1
        )
        assert office.web.sent == []  # a draft is not sent
        approved = await office.actions.approve_apology(
            code, actor="console:hoa", expected_version=drafted.ticket.version
        )
        with pytest.raises(ActionRefused, match="chưa có dự thảo"):  # the draft is carried out
            await office.actions.approve_apology(code, actor="console:hoa", expected_version=None)
        ticket, events = await office.store.get(code), await office.store.events(code)
    assert approved.notice == catalogue.OFFICIALS_APOLOGY_SENT.format(code=code, date="20/11/2026")
    [(_, slip)] = office.web.sent
    assert "cần phối hợp điện lực" in slip.text and "20/11/2026" in slip.text
    [note] = [e for e in events if "apology" in e.data]
    assert note.actor == "console:hoa" and note.data["apology"]["reason"] == "cần phối hợp điện lực"
    assert ticket.due_at == dt.datetime.fromisoformat(events[0].data["due_at"])  # a late ticket stays late


@async_test
async def test_the_deadline_line_counts_working_days_and_the_pause(engine, tmp_path) -> None:
    office = await open_office(engine, tmp_path)
    async with office.store:
        code = await office.file()  # due Monday 16/11 17h00
        ticket = await office.store.get(code)
        line = ticket_deadline(ticket, office.desk, await office.store.events(code), office.clock())
        assert (line.state, line.working_days_left) == (DeadlineState.ON_TRACK, 10)
        assert line.text == "Hạn 17h00 ngày 16/11/2026 · còn 10 ngày làm việc"
        office.clock.now = dt.datetime(2026, 11, 13, 9, tzinfo=WARD_TZ)  # Friday: one working day left
        line = ticket_deadline(ticket, office.desk, await office.store.events(code), office.clock())
        assert (line.state, line.working_days_left) == (DeadlineState.DUE_SOON, 1)
        office.clock.now = dt.datetime(2026, 11, 18, 9, tzinfo=WARD_TZ)  # Wednesday after
        line = ticket_deadline(ticket, office.desk, await office.store.events(code), office.clock())
    assert (line.state, line.working_days_left) == (DeadlineState.OVERDUE, -2)
    assert line.text.endswith("quá hạn 2 ngày làm việc")
