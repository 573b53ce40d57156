"""The officials' group: new tickets announced, members' commands, answers delivered to citizens
(retried, flagged when they fail), the rating prompt on closing, and the pipeline's routing."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from fakes.aio import async_test
from fakes.channels import CollectingChannel
from fakes.clocks import ManualClock
from fakes.engines import WARD_CONTACT, WARD_NAME, build_engine, pseudonym

from bot._config import OfficialsSettings
from bot.delivery import Pipeline, RetryPolicy
from bot.officials import TicketService
from bot.officials._officials import CLAIM_DATA, OfficialsDesk
from bot.storage import OFFICIALS_OUTCOME, Storage
from bot.testing import MemoryDialogueStore
from handlers import Dialogue, IncomingMessage, Outcome, Reply, Turn
from handlers import _catalogue as catalogue
from handlers._intent import rate_data
from retrieval import Decision
from tickets import WARD_TZ, Category, Status, TicketDesk, TicketStore, WorkingCalendar

GROUP = "-1001234567890"
ALICE, BOB, STRANGER = "111", "222", "999"
CITIZEN_CHAT = "web-session-1"
CALENDAR = WorkingCalendar.from_file()
# Monday 2/11/2026, 09:00 in the ward.
MONDAY = dt.datetime(2026, 11, 2, 9, 0, tzinfo=WARD_TZ)


class RecordingSleep:
    """Stands in for asyncio.sleep: records each delay instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


class Ward:
    """A ticket desk with a real store and calendar, the officials' desk on a collecting
    "telegram" channel (the group) and a collecting "web" channel (the citizen)."""

    def __init__(self, tickets: TicketStore, engine, clock: ManualClock) -> None:
        self.tickets, self.clock = tickets, clock
        self.desk = TicketDesk(tickets, CALENDAR, {})
        self.dialogue = Dialogue(
            engine,
            MemoryDialogueStore(),
            ward_name=WARD_NAME,
            ward_contact=WARD_CONTACT,
            desk=self.desk,
            pseudonym=pseudonym,
        )
        self.telegram, self.web = CollectingChannel("telegram"), CollectingChannel("web")
        self.sleep = RecordingSleep()
        self.service = TicketService(
            self.desk,
            {"telegram": self.telegram, "web": self.web},
            ward_name=WARD_NAME,
            clock=clock,
            retry=RetryPolicy(attempts_per_round=3, first_delay=0.5),
            sleep=self.sleep,
        )
        self.officials = OfficialsDesk(self.service, group_chat_id=GROUP, members=[ALICE, BOB], dialogue=self.dialogue)

    async def check(self) -> None:
        """One round of the service: answers, then deadlines."""
        await self.service.deliver_answers()
        await self.service.check_deadlines()

    async def file(self, text: str = "Đường Lê Lợi có ổ gà rất to") -> str:
        ticket = await self.desk.open_ticket(
            Category.FEEDBACK,
            channel="web",
            chat_id=CITIZEN_CHAT,
            user="citizen-1",
            text=text,
            address="số 12 Lê Lợi, tổ 3",
            received_at=self.clock(),
        )
        return ticket.code

    async def say(self, user: str, text: str = "", *, callback_data: str = "") -> list[str]:
        message = IncomingMessage("telegram", GROUP, user, text=text, callback_data=callback_data, display_name=user)
        return [reply.text for reply in await self.officials.handle(message)]


@pytest.fixture
def engine(hashing_embedder):
    return build_engine(hashing_embedder, decision=Decision.ABSTAIN)


async def open_ward(engine, tmp_path: Path) -> Ward:
    clock = ManualClock(MONDAY.astimezone(dt.UTC))
    return Ward(await TicketStore.open(tmp_path / "tickets.sqlite3", clock=clock), engine, clock)


@async_test
async def test_a_new_ticket_is_announced_to_the_group_with_a_claim_button(engine, tmp_path) -> None:
    ward = await open_ward(engine, tmp_path)
    async with ward.tickets:
        code = await ward.file()
    [(chat, announcement)] = ward.telegram.sent
    assert chat == GROUP
    assert code in announcement.text and "Phản ánh, kiến nghị" in announcement.text
    assert "ổ gà" in announcement.text and "số 12 Lê Lợi, tổ 3" in announcement.text
    assert "17h00 ngày 16/11/2026" in announcement.text  # ten working days after Monday 2/11
    assert [b.data for b in announcement.choice_buttons] == [CLAIM_DATA + code]
    assert "Bản đồ" not in announcement.text and "Ảnh" not in announcement.text  # no location, no photo


@pytest.mark.parametrize(
    ("channel", "photo", "photo_line"),
    [
        (
            "web",
            "web-photo:" + "ab" * 32 + ".jpg",
            "• Ảnh: có 1 ảnh (gửi kèm ở trên; tệp gốc: «wardbot tickets show {code}» trên máy chủ)",
        ),
        ("zalo", "https://photo.zdn.vn/abc.jpg", "• Ảnh: https://photo.zdn.vn/abc.jpg"),
        ("telegram", "AgACAgIAAxkBAAIB", "• Ảnh: có 1 ảnh, người dân gửi qua Telegram"),
    ],
)
@async_test
async def test_the_announcement_links_the_map_and_says_where_the_photo_is(engine, tmp_path, channel, photo, photo_line):
    ward = await open_ward(engine, tmp_path)
    async with ward.tickets:
        ticket = await ward.desk.open_ticket(
            Category.FEEDBACK,
            channel=channel,
            chat_id=CITIZEN_CHAT,
            user="citizen-1",
            text="Cây đổ chắn ngang lối đi",
            location=(21.0285, 105.8542),
            photo=photo,
            received_at=ward.clock(),
        )
    [(_, announcement)] = ward.telegram.sent
    lines = announcement.text.splitlines()
    assert "• Địa điểm: vị trí 21.02850, 105.85420" in lines
    assert "• Bản đồ: https://www.openstreetmap.org/?mlat=21.02850&mlon=105.85420#map=18/21.02850/105.85420" in lines
    assert lines[-1] == photo_line.format(code=ticket.code)
    assert photo not in announcement.text or channel == "zalo"  # a file id or file name means nothing here


@async_test
async def test_the_group_is_shown_the_photo_itself(engine, tmp_path) -> None:
    ward = await open_ward(engine, tmp_path)
    photos = tmp_path / "uploads"
    photos.mkdir()
    stored = photos / ("cd" * 32 + ".jpg")
    stored.write_bytes(b"a stored JPEG")
    ward.officials.photos = photos
    async with ward.tickets:
        for channel, photo in (("web", "web-photo:" + "cd" * 32 + ".jpg"), ("telegram", "AgACAgIAAxkBAAIB"),
                               ("web", "web-photo:" + "ef" * 32 + ".jpg")):  # fmt: skip
            await ward.desk.open_ticket(
                Category.FEEDBACK, channel=channel, chat_id=CITIZEN_CHAT, user="citizen-1", text="Cây đổ",
                photo=photo, received_at=ward.clock(),
            )  # fmt: skip
    # The stored file of a web photo, Telegram's own file id; a web photo whose file is gone: none.
    assert [reply.photo for _, reply in ward.telegram.sent] == [str(stored), "AgACAgIAAxkBAAIB", ""]


@async_test
async def test_only_members_claim_by_command_or_button(engine, tmp_path) -> None:
    ward = await open_ward(engine, tmp_path)
    async with ward.tickets:
        first, second = await ward.file(), await ward.file("Đèn đường hỏng")
        assert await ward.say(STRANGER, f"/claim {first}") == [catalogue.OFFICIALS_NOT_MEMBER]
        assert (await ward.tickets.get(first)).status is Status.NEW
        assert await ward.say(ALICE, f"/claim {first}") == [f"✅ {first}: {ALICE} đã nhận xử lý."]
        assert await ward.say(BOB, callback_data=CLAIM_DATA + second) == [f"✅ {second}: {BOB} đã nhận xử lý."]
        assert (await ward.tickets.get(first)).assignee == f"telegram:{ALICE}"
        assert (await ward.tickets.get(second)).assignee == f"telegram:{BOB}"
        # Claiming a claimed ticket is refused in one line; chatter gets no answer.
        assert await ward.say(BOB, f"/claim {first}") == [
            f"⚠️ {first} đang ở tình trạng «cán bộ đang xử lý», không nhận xử lý được."
        ]
        assert await ward.say(BOB, "/claim PA-2026-999999") == ["Không có phiếu PA-2026-999999."]
        assert await ward.say(BOB, "chào cả nhà") == [] and await ward.say(BOB, "") == []  # e.g. a photo
        [listing] = await ward.say(ALICE, "/tickets")
    assert first in listing and second in listing and "hạn 17h00 ngày 16/11/2026" in listing


@async_test
async def test_two_officials_claiming_at_once_one_wins_the_other_hears_of_the_conflict(engine, tmp_path) -> None:
    ward = await open_ward(engine, tmp_path)
    async with ward.tickets:
        code = await ward.file()
        answers = await asyncio.gather(ward.say(ALICE, f"/claim {code}"), ward.say(BOB, f"/claim {code}"))
        ticket = await ward.tickets.get(code)
    assert answers[0] == [f"✅ {code}: {ALICE} đã nhận xử lý."]
    assert answers[1] == [
        f"⚠️ {code} vừa được người khác thay đổi (nay: cán bộ đang xử lý · telegram:{ALICE}). "
        "Anh/chị xem lại phiếu rồi thử lại."
    ]
    assert ticket.assignee == f"telegram:{ALICE}" and ticket.version == 2


@async_test
async def test_a_reply_reaches_the_citizen_on_their_channel_and_is_recorded_delivered(engine, tmp_path) -> None:
    ward = await open_ward(engine, tmp_path)
    async with ward.tickets:
        code = await ward.file()
        await ward.say(ALICE, f"/claim {code}")
        assert await ward.say(ALICE, f"/reply {code}") == [catalogue.OFFICIALS_HELP]  # no text
        assert await ward.say(ALICE, f"/reply {code}\nTổ công trình sẽ vá ổ gà\ntrong tuần này.") == [
            f"✅ {code}: đã gửi trả lời tới người dân."
        ]
        ticket = await ward.tickets.get(code)
    [(chat, answer)] = ward.web.sent
    assert chat == CITIZEN_CHAT
    assert code in answer.text and "vá ổ gà\ntrong tuần này" in answer.text and f"tra cứu {code}" in answer.text
    assert ticket.status is Status.ANSWERED and ticket.delivery == "delivered"


@async_test
async def test_an_answer_given_from_the_cli_is_delivered_at_the_next_check(engine, tmp_path) -> None:
    ward = await open_ward(engine, tmp_path)
    async with ward.tickets:
        code = await ward.file()
        ticket = await ward.tickets.get(code)
        # `wardbot tickets reply` only records the answer; the running bot sends it.
        await ward.tickets.reply(code, "Đã vá xong ổ gà.", actor="cli:lan", expected_version=ticket.version)
        await ward.check()
        await ward.check()  # a second round sends nothing again
        ticket = await ward.tickets.get(code)
    [(chat, answer)] = ward.web.sent
    assert chat == CITIZEN_CHAT and "Đã vá xong ổ gà." in answer.text
    assert ticket.delivery == "delivered"
    assert (GROUP, f"✅ {code}: đã gửi trả lời tới người dân.") in [(c, r.text) for c, r in ward.telegram.sent]


@async_test
async def test_a_failing_citizen_channel_is_retried_then_flagged_and_recorded_failed(engine, tmp_path) -> None:
    ward = await open_ward(engine, tmp_path)
    async with ward.tickets:
        code = await ward.file()
        ward.web.fail_next(1, retry_after=7)
        ward.web.fail_next(2)
        [flag] = await ward.say(ALICE, f"/reply {code} Đã xử lý xong.")
        events = await ward.tickets.events(code)
        # A retry that succeeds records the answer as delivered.
        await ward.say(ALICE, f"/reopen {code} người dân báo chưa vá")
        ward.web.fail_next(1)
        assert await ward.say(ALICE, f"/reply {code} Đã vá lại.") == [f"✅ {code}: đã gửi trả lời tới người dân."]
        delivered = await ward.tickets.get(code)
    assert ward.sleep.delays == [7, 1.0, 0.5]  # the platform's retry_after, then backoff
    assert ward.web.attempts == 5 and len(ward.web.texts) == 1 and "Đã vá lại." in ward.web.texts[0]
    assert flag.startswith(f"❗ {code}: không gửi được tin tới người dân (simulated failure)")
    assert events[-1].kind.value == "deliver" and events[-1].data == {"status": "failed", "error": "simulated failure"}
    assert delivered.delivery == "delivered"


@async_test
async def test_a_refused_chat_is_not_retried(engine, tmp_path) -> None:
    ward = await open_ward(engine, tmp_path)
    async with ward.tickets:
        code = await ward.file()
        ward.web.fail_next(1, retryable=False)
        [flag] = await ward.say(ALICE, f"/reply {code} Đã xử lý xong.")
        ticket = await ward.tickets.get(code)
    assert ward.web.attempts == 1 and ward.sleep.delays == []
    assert flag.startswith("❗") and ticket.delivery == "failed"


@async_test
async def test_closing_sends_the_closing_message_and_the_rating_prompt(engine, tmp_path) -> None:
    ward = await open_ward(engine, tmp_path)
    async with ward.tickets:
        code = await ward.file()
        assert await ward.say(ALICE, f"/close {code}") == [
            f"⚠️ {code} đang ở tình trạng «đã tiếp nhận, đang chờ phân công cán bộ», không đóng phiếu được."
        ]
        await ward.say(ALICE, f"/reply {code} Đã vá xong.")
        assert await ward.say(BOB, f"/close {code}") == [f"✅ {code}: đã đóng phiếu và mời người dân đánh giá."]
        ticket = await ward.tickets.get(code)
    answer, closing, prompt = (reply for _, reply in ward.web.sent)
    assert closing.text == catalogue.TICKET_CLOSED.format(ward_name=WARD_NAME, code=code)
    assert code in prompt.text and rate_data(code, 0, 5) in [b.data for b in prompt.choice_buttons]
    assert ticket.status is Status.CLOSED


class EchoDialogue:
    async def handle(self, message: IncomingMessage) -> Turn:
        return Turn((Reply(f"dialogue: {message.text}"),), Outcome.CONVERSATION)


@async_test
async def test_the_pipeline_sends_the_group_to_the_officials_and_citizens_to_the_dialogue(engine, tmp_path) -> None:
    ward = await open_ward(engine, tmp_path)
    database = tmp_path / "wardbot.sqlite3"
    async with ward.tickets, await Storage.open(database, pseudonym_key=b"k", clock=ward.clock) as storage:
        pipeline = Pipeline(
            storage,
            EchoDialogue(),
            apology=Reply("Xin lỗi."),
            channels=[ward.telegram, ward.web],
            officials=ward.officials,
            clock=ward.clock,
        )
        code = await ward.file()
        claim = IncomingMessage("telegram", GROUP, ALICE, text=f"/claim {code}", message_id="1", display_name="Lan")
        await pipeline.process(claim)
        await pipeline.process(IncomingMessage("telegram", "5001", ALICE, text=f"/claim {code}", message_id="2"))
        await pipeline.process(IncomingMessage("web", CITIZEN_CHAT, "citizen", text="xin chào", message_id="3"))
    assert ward.telegram.sent[1:] == [
        (GROUP, Reply(f"✅ {code}: Lan đã nhận xử lý.")),
        ("5001", Reply(f"dialogue: /claim {code}")),  # a private chat: a citizen, not the group
    ]
    assert ward.web.texts == ["dialogue: xin chào"]
    with sqlite3.connect(database) as db:
        outcomes = [row[0] for row in db.execute("SELECT outcome FROM compliance_log ORDER BY rowid")]
    assert outcomes == [OFFICIALS_OUTCOME, "conversation", "conversation"]


def at(day: int, hour: int = 9) -> dt.datetime:
    """A moment of November 2026 in the ward's time, in UTC like the clock."""
    return dt.datetime(2026, 11, day, hour, 0, tzinfo=WARD_TZ).astimezone(dt.UTC)


@async_test
async def test_the_deadline_watch_warns_once_drafts_an_apology_and_escalates_once(engine, tmp_path) -> None:
    ward = await open_ward(engine, tmp_path)
    leader = "777"
    ward.service.leader_chat_id = leader
    async with ward.tickets:
        code = await ward.file()  # Monday 2/11, due Monday 16/11 17h00; warned 2 working days before
        await ward.say(ALICE, f"/claim {code}")
        ward.telegram.sent.clear()
        ward.clock.now = at(11)  # Wednesday: not yet
        await ward.check()
        assert ward.telegram.sent == []
        ward.clock.now = at(12)  # Thursday: within two working days of the due moment
        await ward.check()
        await ward.check()  # once only
        # After a restart, the note remembers the warning.
        restarted = TicketService(ward.desk, {"telegram": ward.telegram}, ward_name=WARD_NAME, clock=ward.clock)
        OfficialsDesk(restarted, group_chat_id=GROUP, members=[ALICE], dialogue=ward.dialogue)
        await restarted.check_deadlines()
        sent = [(chat, reply.text) for chat, reply in ward.telegram.sent]
        assert [chat for chat, _ in sent] == [GROUP, ALICE, GROUP]
        assert (
            sent[0][1]
            == sent[1][1]
            == (
                f"⏰ {code} sắp đến hạn trả lời: 17h00 ngày 16/11/2026 · telegram:{ALICE}. Tình trạng: cán bộ đang xử lý."
            )
        )
        draft = ward.telegram.sent[2][1]
        assert "Ngày hẹn mới: 18/11/2026" in draft.text  # two working days after the due date
        [approve] = draft.choice_buttons

        # An official approves the draft: the citizen gets the slip, the ticket keeps its due date.
        assert await ward.say(BOB, callback_data=approve.data) == [
            f"✅ {code}: đã gửi phiếu xin lỗi, hẹn trả lời ngày 18/11/2026."
        ]
        assert await ward.say(ALICE, callback_data=approve.data) == [
            f"{code}: phiếu xin lỗi hẹn ngày 18/11/2026 đã được gửi trước đó."
        ]
        assert await ward.say(STRANGER, callback_data=approve.data) == [catalogue.OFFICIALS_NOT_MEMBER]
        [slip] = ward.web.texts
        assert slip.startswith("PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ")
        assert "17h00 ngày 16/11/2026" in slip and catalogue.APOLOGY_DEFAULT_REASON in slip and "18/11/2026" in slip
        # A typed slip with the official's own reason; a past or rest day is refused.
        assert await ward.say(ALICE, f"/apology {code} 2026-11-21 chờ ý kiến") == [catalogue.OFFICIALS_APOLOGY_BAD_DATE]
        assert await ward.say(ALICE, f"/apology {code} 2026-11-11 chờ ý kiến") == [catalogue.OFFICIALS_APOLOGY_BAD_DATE]
        assert await ward.say(ALICE, f"/apology {code} 2026-11-19 chờ ý kiến phòng Kinh tế") == [
            f"✅ {code}: đã gửi phiếu xin lỗi, hẹn trả lời ngày 19/11/2026."
        ]

        # Late: the leader is told, once; the due date never moved.
        ward.telegram.sent.clear()
        ward.clock.now = at(17)
        await ward.check()
        await ward.check()
        assert [(chat, reply.text) for chat, reply in ward.telegram.sent] == [
            (
                leader,
                f"🔴 {code} đã quá hạn trả lời (17h00 ngày 16/11/2026) · telegram:{ALICE}. Tình trạng: cán bộ đang xử lý.",
            )
        ]
        ticket = await ward.tickets.get(code)
        notes = [event.data for event in await ward.tickets.events(code) if event.kind.value == "note"]
    assert ticket.due_at == dt.datetime(2026, 11, 16, 17, 0, tzinfo=WARD_TZ)
    assert [note.get("deadline") for note in notes] == ["warned", None, None, "escalated"]
    assert notes[1]["apology"] == {"reason": catalogue.APOLOGY_DEFAULT_REASON, "new_due": "2026-11-18T17:00:00+07:00"}
    assert notes[2]["apology"] == {"reason": "chờ ý kiến phòng Kinh tế", "new_due": "2026-11-19T17:00:00+07:00"}


@async_test
async def test_a_paused_or_answered_ticket_is_not_chased(engine, tmp_path) -> None:
    ward = await open_ward(engine, tmp_path)
    async with ward.tickets:
        paused, answered = await ward.file(), await ward.file()
        await ward.tickets.pause(paused, "thiếu địa chỉ", actor="cli:lan", expected_version=None)
        await ward.say(ALICE, f"/reply {answered} Đã xử lý.")
        ward.telegram.sent.clear()
        ward.clock.now = at(17)
        await ward.check()
        refused = await ward.say(ALICE, f"/apology {answered} 2026-11-19 chờ")
    assert ward.telegram.sent == []
    assert refused == [f"⚠️ {answered} đang ở tình trạng «đã có trả lời», không gửi phiếu xin lỗi được."]


@async_test
async def test_the_application_announces_to_the_group_and_routes_its_messages(tmp_path, tiny_kb) -> None:
    from test_app import application, config

    officials = OfficialsSettings(group_chat_id=GROUP, members=(ALICE,))
    telegram = CollectingChannel("telegram")
    app = application(dataclasses.replace(config(tmp_path, tiny_kb), officials=officials), [telegram], serve_http=False)
    await app.start()
    try:
        ticket = await app.desk.open_ticket(
            Category.QUESTION, channel="telegram", chat_id="5001", user="u", text="Hỏi?", received_at=MONDAY
        )
        claim = IncomingMessage(
            "telegram", GROUP, ALICE, text=f"/claim {ticket.code}", message_id="1", display_name="Lan"
        )
        await telegram.receive(claim)
        await telegram.receive(IncomingMessage("telegram", "5001", "5001", text="xin chào", message_id="2"))
        background = {task.get_name() for task in app._background}
    finally:
        await app.stop()
    sent = [(chat, reply.text) for chat, reply in telegram.sent]
    assert sent[0][0] == GROUP and ticket.code in sent[0][1]
    assert sent[1:] == [(GROUP, f"✅ {ticket.code}: Lan đã nhận xử lý."), ("5001", "Phường Mẫu: 3 mục")]
    assert "tickets" in background
