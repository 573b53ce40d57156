"""Tickets from the dialogue: the feedback intake, question tickets, lookup and SIPAS ratings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fakes.aio import async_test
from fakes.clocks import ManualClock
from fakes.engines import WARD_CONTACT, WARD_NAME, build_engine, pseudonym

from bot.testing import DialogueTester, MemoryDialogueStore
from handlers import Dialogue, Outcome
from handlers import _catalogue as catalogue
from handlers._intake import find_address
from handlers._intent import intake_data, rate_data
from retrieval import Decision
from tickets import WARD_TZ, Category, EventKind, Status, TicketDesk, TicketStore, WorkingCalendar

# Friday 13/2/2026, 09:00 in the ward: ten working days later is after Tết.
FRIDAY_BEFORE_TET = dt.datetime(2026, 2, 13, 9, 0, tzinfo=WARD_TZ)
DUE_AFTER_TET = dt.datetime(2026, 3, 6, 17, 0, tzinfo=WARD_TZ)
CALENDAR = WorkingCalendar.from_file()


@pytest.fixture
def abstaining(hashing_embedder):
    return build_engine(hashing_embedder, decision=Decision.ABSTAIN)


class Ward:
    """A dialogue with a real ticket store and calendar; :meth:`restart` builds a new dialogue
    on the same stores, as after a restart of the bot."""

    def __init__(self, engine, tickets: TicketStore, clock: ManualClock) -> None:
        self.engine, self.tickets, self.clock = engine, tickets, clock
        self.states = MemoryDialogueStore()
        self.desk = TicketDesk(tickets, CALENDAR, {})
        self.restart()

    def restart(self) -> None:
        self.dialogue = Dialogue(
            self.engine,
            self.states,
            ward_name=WARD_NAME,
            ward_contact=WARD_CONTACT,
            desk=self.desk,
            pseudonym=pseudonym,
        )
        self.bot = DialogueTester(self.dialogue, clock=self.clock)


async def open_ward(engine, tmp_path: Path) -> Ward:
    clock = ManualClock(FRIDAY_BEFORE_TET.astimezone(dt.UTC))
    tickets = await TicketStore.open(tmp_path / "tickets.sqlite3", clock=clock)
    return Ward(engine, tickets, clock)


async def report_until_summary(bot: DialogueTester, **where) -> str:
    """File "ổ gà" up to the summary; returns the summary's text."""
    await bot.push("Đường Lê Lợi có ổ gà rất to")
    assert bot.pop().text == catalogue.INTAKE_ASK_WHERE
    await bot.push(**where)
    assert bot.pop().text == catalogue.INTAKE_ASK_PHOTO
    await bot.push("bỏ qua")
    assert bot.pop().text == catalogue.INTAKE_ASK_CONSENT
    await bot.push(callback_data=intake_data("anonymous"))
    return bot.pop().text


async def only_ticket(ward: Ward):
    tickets = await ward.tickets.list()
    assert len(tickets) == 1
    return tickets[0]


@async_test
async def test_a_report_with_an_address_becomes_a_ticket_due_after_tet(abstaining, tmp_path) -> None:
    ward = await open_ward(abstaining, tmp_path)
    try:
        summary = await report_until_summary(ward.bot, text="số 12 Lê Lợi, tổ 3")
        assert "Đường Lê Lợi có ổ gà rất to" in summary and "số 12 Lê Lợi, tổ 3" in summary
        assert catalogue.INTAKE_ANONYMOUS in summary and catalogue.INTAKE_PHOTO_NO in summary
        assert await ward.tickets.list() == []  # nothing filed before the confirmation
        turn = await ward.bot.push(callback_data=intake_data("confirm"))
        ticket = await only_ticket(ward)
        assert turn.outcome is Outcome.ESCALATED
        assert ticket.code == "PA-2026-000001" and ticket.category is Category.FEEDBACK
        assert ticket.address == "số 12 Lê Lợi, tổ 3" and ticket.location is None and ticket.photo is None
        assert ticket.anonymous and not ticket.contact_consent
        assert ticket.user == "p:test:user-c1" and ticket.received_at == FRIDAY_BEFORE_TET
        assert ticket.due_at == DUE_AFTER_TET
        receipt = ward.bot.pop().text
        for part in ("PA-2026-000001", "17h00 ngày 06/03/2026", ticket.secret, "tra cứu PA-2026-000001"):
            assert part in receipt
    finally:
        await ward.tickets.close()


@async_test
async def test_a_report_from_the_menu_with_a_location_a_photo_and_a_contact(abstaining, tmp_path) -> None:
    ward = await open_ward(abstaining, tmp_path)
    bot = ward.bot
    try:
        await bot.push(callback_data="menu:feedback")
        assert bot.pop().text == catalogue.INTAKE_ASK_WHAT
        await bot.push("Đèn đường hỏng cả tuần nay")
        assert bot.pop().text == catalogue.INTAKE_ASK_WHERE
        await bot.push(location=(16.0544, 108.2022))
        assert bot.pop().text == catalogue.INTAKE_ASK_PHOTO
        await bot.push(attachment="photo-file-1")
        assert bot.pop().text == catalogue.INTAKE_ASK_CONSENT
        await bot.push("1")  # the consent button, by its number
        assert bot.pop().text == catalogue.INTAKE_ASK_CONTACT
        await bot.push("0905 123 456")
        summary = bot.pop().text
        assert "16.05440, 108.20220" in summary and catalogue.INTAKE_PHOTO_YES in summary and "0905 123 456" in summary
        await bot.push(callback_data=intake_data("confirm"))
        ticket = await only_ticket(ward)
        assert ticket.location == (16.0544, 108.2022) and ticket.address is None
        assert ticket.photo == "photo-file-1"
        assert ticket.contact == "0905 123 456" and ticket.contact_consent
    finally:
        await ward.tickets.close()


@async_test
async def test_edit_returns_to_the_summary_and_cancel_files_nothing(abstaining, tmp_path) -> None:
    ward = await open_ward(abstaining, tmp_path)
    bot = ward.bot
    try:
        await report_until_summary(bot, text="số 12 Lê Lợi")
        await bot.push(callback_data=intake_data("edit"))
        assert bot.pop().text == catalogue.INTAKE_EDIT_WHICH
        await bot.push(callback_data=intake_data("edit_where"))
        assert bot.pop().text == catalogue.INTAKE_ASK_WHERE
        await bot.push("số 14 Lê Lợi")
        summary = bot.pop().text
        assert "số 14 Lê Lợi" in summary and "số 12" not in summary
        await bot.push(callback_data=intake_data("cancel"))
        assert bot.pop().text == catalogue.INTAKE_CANCELLED
        assert await ward.tickets.list() == []
        await bot.push(callback_data=intake_data("confirm"))  # a stale button
        assert bot.pop().text == catalogue.EXPIRED
        assert await ward.tickets.list() == []
    finally:
        await ward.tickets.close()


@async_test
async def test_typing_huy_cancels_the_report(abstaining, tmp_path) -> None:
    ward = await open_ward(abstaining, tmp_path)
    try:
        await ward.bot.push("tôi muốn phản ánh")
        assert ward.bot.pop().text == catalogue.INTAKE_ASK_WHAT
        await ward.bot.push("hủy")
        assert ward.bot.pop().text == catalogue.INTAKE_CANCELLED
        assert await ward.tickets.list() == []
    finally:
        await ward.tickets.close()


@async_test
async def test_a_restart_in_the_middle_of_the_intake_resumes_it(abstaining, tmp_path) -> None:
    ward = await open_ward(abstaining, tmp_path)
    try:
        await ward.bot.push("Rác thải tồn đọng ở chợ")
        await ward.bot.push("chợ phường, cổng sau")
        ward.restart()  # a new Dialogue on the same stores
        await ward.bot.push("bỏ qua")
        assert ward.bot.pop().text == catalogue.INTAKE_ASK_CONSENT
        await ward.bot.push(callback_data=intake_data("anonymous"))
        await ward.bot.push(callback_data=intake_data("confirm"))
        ticket = await only_ticket(ward)
        assert (ticket.text, ticket.address) == ("Rác thải tồn đọng ở chợ", "chợ phường, cổng sau")
    finally:
        await ward.tickets.close()


@async_test
async def test_an_abstained_question_becomes_a_question_ticket_in_one_tap(abstaining, tmp_path) -> None:
    ward = await open_ward(abstaining, tmp_path)
    try:
        await ward.bot.push("Phường có cho mượn hội trường tổ dân phố không?")
        assert ward.bot.pop().text.startswith("Xin lỗi")
        turn = await ward.bot.push(callback_data="send")
        ticket = await only_ticket(ward)
        assert turn.outcome is Outcome.ESCALATED
        assert ticket.code == "HD-2026-000001" and ticket.category is Category.QUESTION
        assert ticket.text == "Phường có cho mượn hội trường tổ dân phố không?"
        assert ticket.due_at == CALENDAR.due(FRIDAY_BEFORE_TET, 5)
        assert "HD-2026-000001" in ward.bot.pop().text
    finally:
        await ward.tickets.close()


@async_test
async def test_lookup_by_the_filer_with_the_code_and_refused_to_others(abstaining, tmp_path) -> None:
    ward = await open_ward(abstaining, tmp_path)
    bot = ward.bot
    try:
        await report_until_summary(bot, text="số 12 Lê Lợi")
        await bot.push(callback_data=intake_data("confirm"))
        ticket = await only_ticket(ward)
        await ward.tickets.reply(ticket.code, "Đã vá ổ gà ngày 20/2.", actor="cli:lan", expected_version=None)
        bot.pop_all()

        await bot.push("tra cứu PA-2026-000001")
        seen = bot.pop().text
        assert catalogue.TICKET_STATUSES["answered"] in seen and "Đã vá ổ gà" in seen and "06/03/2026" in seen

        await bot.push("tra cuu pa-2026-000001", chat_id="other")
        refused = bot.pop().text
        assert refused == catalogue.LOOKUP_REFUSED
        await bot.push("tra cuu pa-2026-000099", chat_id="other")
        assert bot.pop().text == refused  # an unknown code reads the same
        await bot.push("tra cuu pa-2026-000001 ABCD2345", chat_id="other")
        assert bot.pop().text == refused  # a wrong lookup code too

        await bot.push(f"tra cuu pa-2026-000001 {ticket.secret.lower()}", chat_id="other")
        assert "Đã vá ổ gà" in bot.pop().text
    finally:
        await ward.tickets.close()


@async_test
async def test_khieu_nai_is_explained_not_filed(abstaining, tmp_path) -> None:
    ward = await open_ward(abstaining, tmp_path)
    try:
        await ward.bot.push("Tôi muốn khiếu nại quyết định xử phạt")
        assert ward.bot.pop().text.startswith("Khiếu nại và tố cáo")
        assert await ward.tickets.list() == []
    finally:
        await ward.tickets.close()


async def closed_ticket(ward: Ward):
    await report_until_summary(ward.bot, text="số 12 Lê Lợi")
    await ward.bot.push(callback_data=intake_data("confirm"))
    ticket = await only_ticket(ward)
    ticket = await ward.tickets.reply(ticket.code, "Đã xử lý.", actor="cli:lan", expected_version=None)
    ticket = await ward.tickets.close_ticket(ticket.code, actor="cli:lan", expected_version=None)
    ward.bot.pop_all()
    return ticket


@async_test
async def test_sipas_rating_one_factor_at_a_time_with_skips(abstaining, tmp_path) -> None:
    ward = await open_ward(abstaining, tmp_path)
    bot = ward.bot
    try:
        ticket = await closed_ticket(ward)
        prompt = await ward.dialogue.rate_prompt(ticket)
        assert ticket.code in prompt.text and catalogue.RATE_QUESTIONS["access"] in prompt.text
        assert [b.label for b in prompt.choice_buttons] == ["1", "2", "3", "4", "5", catalogue.RATE_SKIP_BUTTON]

        await bot.push("4")  # typed: the prompt's buttons were stored in the conversation
        assert bot.pop().text == catalogue.RATE_QUESTIONS["procedure"]
        await bot.push(callback_data=rate_data(ticket.code, 1, 0))  # skipped
        assert bot.pop().text == catalogue.RATE_QUESTIONS["official"]
        await bot.push(callback_data=rate_data(ticket.code, 2, 5))
        await bot.push(callback_data=rate_data(ticket.code, 3, 3))
        await bot.push(callback_data=rate_data(ticket.code, 4, 0))
        assert bot.pop_all()[-1].text == catalogue.RATE_THANKS.format(ward_name=WARD_NAME)

        notes = [e.data for e in await ward.tickets.events(ticket.code) if e.kind is EventKind.NOTE]
        assert [note["sipas"] for note in notes] == [{"access": 4}, {"official": 5}, {"result": 3}]
        assert (await ward.tickets.get(ticket.code)).status is Status.CLOSED
    finally:
        await ward.tickets.close()


@async_test
async def test_only_the_filer_can_rate(abstaining, tmp_path) -> None:
    ward = await open_ward(abstaining, tmp_path)
    try:
        ticket = await closed_ticket(ward)
        await ward.bot.push(callback_data=rate_data(ticket.code, 0, 1), chat_id="other")
        assert ward.bot.pop().text == catalogue.EXPIRED
        assert not [e for e in await ward.tickets.events(ticket.code) if e.kind is EventKind.NOTE]
    finally:
        await ward.tickets.close()


# --- what the citizen already said ---------------------------------------------------------------

# A report and the address the intake reads from it.
ADDRESSES = [
    ("ổ gà ở ngõ 12 Lê Lợi", "ngõ 12 Lê Lợi"),
    ("Rác thải ùn ứ ở số nhà 45 phố Huế mấy ngày nay", "số nhà 45 phố Huế"),
    ("Đèn đường hỏng tại ngách 3/15 ngõ Văn Chương", "ngách 3/15 ngõ Văn Chương"),
    ("Nước ngập ở hẻm 102 Nguyễn Trãi sau mỗi cơn mưa", "hẻm 102 Nguyễn Trãi"),
    ("Kiệt 45 Hoàng Diệu có cây đổ chắn lối", "Kiệt 45 Hoàng Diệu"),
    ("cống bốc mùi ở tổ 5, khu phố 3", "tổ 5, khu phố 3"),
    ("số 12 Lê Lợi bị lấn chiếm vỉa hè", "số 12 Lê Lợi"),
    ("đường số 7 ngập nước", "đường số 7"),
    ("karaoke ồn ào ở đường 3/2 đến khuya", "đường 3/2"),
    ("tổ dân phố 4 mất nước hai ngày", "tổ dân phố 4"),
    ("ngõ Văn Chương tối om vì đèn hỏng", "ngõ Văn Chương"),
    ("NGÕ 12 LÊ LỢI có ổ gà", "NGÕ 12 LÊ LỢI"),
    ("ổ gà ở 12 Lê Lợi, phường Bến Nghé", "12 Lê Lợi, phường Bến Nghé"),
    ("Ấp 3 xã Tân Phú bị ngập", "Ấp 3 xã Tân Phú"),
    ("số nhà 15, ngõ 4, đường Lê Lợi, phường 3 bị cắt nước", "số nhà 15, ngõ 4, đường Lê Lợi, phường 3"),
    ("ngõ 12 rất hẹp mà ô tô vẫn đỗ", "ngõ 12"),
    ("ổ gà ở ngõ 12 lê lợi", "ngõ 12"),  # a name in lower case is not read: the summary shows what was
]
# Reports that name no place precise enough to find the spot, or no place at all.
NO_ADDRESS = [
    "Đường Lê Lợi có ổ gà rất to",  # a whole street: still asked where on it
    "Nhà tôi ở phố Huế",
    "đường xá xuống cấp",
    "trên đường đi làm tôi thấy rác",
    "tổ chức tiệc ồn ào đến khuya",
    "số lượng rác rất nhiều",
    "phố xá ồn ào",
    "hẻm nhỏ không có đèn",
    "đường 1 chiều mà xe đi ngược",
    "xe đỗ trên đường 2 ngày nay",
    "hẻm 5m bị lấn chiếm",
    "đường dây điện bị đứt",
    "gọi số 0912 345 678 không ai nghe",
    "Mất điện 3 ngày ở khu tôi",
    "ở thành phố Hồ Chí Minh",
    "kiệt sức vì tiếng ồn",
    "ở 2 ngày rồi",
    "o ga o ngo 12 le loi",  # without diacritics: asked
]


@pytest.mark.parametrize(("report", "address"), ADDRESSES)
def test_an_address_in_the_report_is_found(report: str, address: str) -> None:
    assert find_address(report) == address


@pytest.mark.parametrize("report", NO_ADDRESS)
def test_no_address_is_made_up(report: str) -> None:
    assert find_address(report) == ""


@async_test
async def test_an_address_in_the_report_is_not_asked_again(abstaining, tmp_path) -> None:
    ward = await open_ward(abstaining, tmp_path)
    bot = ward.bot
    try:
        await bot.push("ổ gà ở ngõ 12 Lê Lợi")
        ask = bot.pop().text
        assert ask == catalogue.INTAKE_PLACE_NOTED.format(text="ngõ 12 Lê Lợi") + "\n" + catalogue.INTAKE_ASK_PHOTO
        ward.restart()  # what was noted survives a restart
        await ward.bot.push("bỏ qua")
        assert ward.bot.pop().text == catalogue.INTAKE_ASK_CONSENT
        await ward.bot.push(callback_data=intake_data("anonymous"))
        assert "• Địa điểm: ngõ 12 Lê Lợi" in ward.bot.pop().text
        await ward.bot.push(callback_data=intake_data("confirm"))
        ticket = await only_ticket(ward)
        assert (ticket.text, ticket.address, ticket.location) == ("ổ gà ở ngõ 12 Lê Lợi", "ngõ 12 Lê Lợi", None)
    finally:
        await ward.tickets.close()


@async_test
async def test_a_noted_address_can_be_corrected(abstaining, tmp_path) -> None:
    ward = await open_ward(abstaining, tmp_path)
    bot = ward.bot
    try:
        await bot.push("tôi muốn phản ánh")
        assert bot.pop().text == catalogue.INTAKE_ASK_WHAT
        await bot.push("Rác ở số nhà 45 phố Huế")  # typed at the "what happened" step: read as well
        assert bot.pop().text.startswith(catalogue.INTAKE_PLACE_NOTED.format(text="số nhà 45 phố Huế"))
        await bot.push("bỏ qua")
        await bot.push(callback_data=intake_data("anonymous"))
        await bot.push(callback_data=intake_data("edit"))
        await bot.push(callback_data=intake_data("edit_where"))
        assert bot.pop_all()[-1].text == catalogue.INTAKE_ASK_WHERE
        await bot.push("số nhà 47 phố Huế")
        assert "số nhà 47 phố Huế" in bot.pop().text
        await bot.push(callback_data=intake_data("confirm"))
        assert (await only_ticket(ward)).address == "số nhà 47 phố Huế"
    finally:
        await ward.tickets.close()


@async_test
async def test_a_photo_or_location_sent_early_is_kept_and_not_asked_for(abstaining, tmp_path) -> None:
    ward = await open_ward(abstaining, tmp_path)
    bot = ward.bot
    try:
        await bot.push(callback_data="menu:feedback")
        assert bot.pop().text == catalogue.INTAKE_ASK_WHAT
        await bot.push(attachment="web-photo:early")  # before the report: kept, the report asked again
        assert bot.pop().text == catalogue.INTAKE_ASK_WHAT
        await bot.push(location=(21.0285, 105.8542))
        assert bot.pop().text == catalogue.INTAKE_ASK_WHAT
        await bot.push("Cây đổ chắn ngang lối đi")
        assert bot.pop().text == catalogue.INTAKE_ASK_CONSENT  # neither place nor photo asked
        await bot.push(callback_data=intake_data("anonymous"))
        summary = bot.pop().text
        assert "21.02850, 105.85420" in summary and catalogue.INTAKE_PHOTO_YES in summary
        await bot.push(callback_data=intake_data("confirm"))
        ticket = await only_ticket(ward)
        assert (ticket.photo, ticket.location, ticket.address) == ("web-photo:early", (21.0285, 105.8542), None)
    finally:
        await ward.tickets.close()


@async_test
async def test_a_photo_at_the_where_step_is_kept_and_the_place_asked_again(abstaining, tmp_path) -> None:
    ward = await open_ward(abstaining, tmp_path)
    bot = ward.bot
    try:
        await bot.push("Đường Lê Lợi có ổ gà rất to")
        assert bot.pop().text == catalogue.INTAKE_ASK_WHERE
        turn = await bot.push(attachment="photo-file-2")
        assert [reply.text for reply in turn.replies] == [catalogue.INTAKE_ASK_WHERE]  # no "please type"
        bot.pop()
        await bot.push("trước số 30 Lê Lợi")
        assert bot.pop().text == catalogue.INTAKE_ASK_CONSENT  # the photo step is passed over
        await bot.push(callback_data=intake_data("anonymous"))
        await bot.push(callback_data=intake_data("confirm"))
        ticket = await only_ticket(ward)
        assert (ticket.photo, ticket.address) == ("photo-file-2", "trước số 30 Lê Lợi")
    finally:
        await ward.tickets.close()


@async_test
async def test_a_photo_with_a_caption_gives_the_report_its_place_and_its_photo(abstaining, tmp_path) -> None:
    ward = await open_ward(abstaining, tmp_path)
    bot = ward.bot
    try:
        await bot.push("tôi muốn phản ánh")
        assert bot.pop().text == catalogue.INTAKE_ASK_WHAT
        await bot.push("ổ gà ở hẻm 102 Nguyễn Trãi", attachment="photo-file-3")  # a captioned photo
        assert bot.pop().text == catalogue.INTAKE_ASK_CONSENT
        await bot.push(callback_data=intake_data("anonymous"))
        await bot.push(callback_data=intake_data("confirm"))
        ticket = await only_ticket(ward)
        assert (ticket.text, ticket.address, ticket.photo) == (
            "ổ gà ở hẻm 102 Nguyễn Trãi",
            "hẻm 102 Nguyễn Trãi",
            "photo-file-3",
        )
    finally:
        await ward.tickets.close()
