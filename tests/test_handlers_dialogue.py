"""Whole conversations through the dialogue, driven by the collecting tester, with no channel."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.aio import async_test
from fakes.engines import (
    KHAI_SINH,
    VNEID_FAQ,
    WARD_CONTACT,
    WARD_NAME,
    build_engine,
    make_dialogue,
    tam_tru,
    ticket_desk,
)

from bot.testing import DialogueTester, MemoryDialogueStore
from handlers import (
    Dialogue,
    IncomingMessage,
    IntentKind,
    Outcome,
    Reply,
    SearchEngine,
)
from handlers import _catalogue as catalogue
from handlers._intent import (
    CONTACT_DATA,
    FEEDBACK_DATA,
    SEND_DATA,
    MenuTopic,
    Section,
    menu_data,
    more_data,
    pick_data,
    section_data,
)
from knowledge import KnowledgeBase, Procedure, parse_portal_record, search_docs
from retrieval import Calibration, Decision, Retriever, RetrieverSettings
from retrieval._calibration import LogisticModel
from tickets import Category, TicketDesk

SAMPLE = Path(__file__).parent / "data" / "portal_sample.jsonl"


def portal(*codes: str) -> list[Procedure]:
    """Procedures parsed from their real records in tests/data/portal_sample.jsonl."""
    with SAMPLE.open(encoding="utf-8") as lines:
        records = {record["ma_thu_tuc"]: record for record in map(json.loads, lines)}
    return [parse_portal_record(records[code]).procedure for code in codes]


def calibrated_engine(embedder, entries, *, top: float) -> SearchEngine:
    """A real retriever over ``entries`` whose calibration gives its top hit probability ``top``
    (and the question a 0.9 chance of being in scope), so that it always offers choices."""

    def constant(probability: float) -> LogisticModel:
        return LogisticModel((0.0,) * 6, math.log(probability / (1 - probability)), (0.0,) * 6, (1.0,) * 6)

    kb = KnowledgeBase.from_entries(entries)
    calibration = Calibration(answer=constant(top), in_scope=constant(0.9), temperature=1.0)
    settings = RetrieverSettings(min_in_scope=0.5, answer_confidence=0.95)
    retriever = Retriever(search_docs(kb), embedder, settings=settings, calibration=calibration)
    return SearchEngine(kb=kb, retriever=retriever)



@pytest.fixture
def store() -> MemoryDialogueStore:
    return MemoryDialogueStore()


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[TicketDesk]:
    with ticket_desk(tmp_path) as desk:
        yield desk


@pytest.fixture
def answering(hashing_embedder):
    return build_engine(hashing_embedder, decision=Decision.ANSWER)


@pytest.fixture
def clarifying(hashing_embedder):
    return build_engine(hashing_embedder, decision=Decision.CLARIFY)


@pytest.fixture
def abstaining(hashing_embedder):
    return build_engine(hashing_embedder, decision=Decision.ABSTAIN)


def talk_to(engine, desk: TicketDesk, store: MemoryDialogueStore | None = None) -> DialogueTester:
    return DialogueTester(make_dialogue(engine, desk, store))


async def questions_sent(desk: TicketDesk) -> list[str]:
    """The questions filed for an official, oldest first."""
    return [ticket.text for ticket in await desk.store.list(category=Category.QUESTION)]


def button(reply: Reply, label_part: str) -> str:
    """The callback data of the reply's button whose label contains ``label_part``."""
    return next(b.data for b in reply.choice_buttons if label_part in b.label)


def state(store: MemoryDialogueStore, chat_id: str = "c1") -> dict:
    return json.loads(store.states[("test", chat_id)])


# --- greeting, help, menu -----------------------------------------------------------------------


@async_test
async def test_start_greets_naming_the_ward_and_offers_a_menu(answering, desk) -> None:
    bot = talk_to(answering, desk)
    for text in ("/start", "xin chào ạ"):
        turn = await bot.push(text)
        reply = bot.pop()
        assert turn.outcome is Outcome.CONVERSATION  # never searched, though this engine answers everything
        assert reply.text.startswith(f"Xin chào anh/chị! Tôi là trợ lý ảo của {WARD_NAME}.")
        assert [b.label for b in reply.choice_buttons] == [
            catalogue.MENU_PROCEDURES_BUTTON,
            catalogue.MENU_FAQ_BUTTON,
            catalogue.MENU_FEEDBACK_BUTTON,
            catalogue.MENU_CONTACT_BUTTON,
            catalogue.MENU_HELP_BUTTON,
        ]


@async_test
async def test_menu_works_by_typed_number_where_there_are_no_buttons(answering, desk) -> None:
    bot = talk_to(answering, desk)
    await bot.push("/start")
    bot.pop()
    await bot.push("2")  # the FAQ menu
    faqs = bot.pop()
    assert faqs.text == catalogue.MENU_FAQ
    assert "2. Làm thế nào để có tài khoản định danh điện tử mức độ 2?" in faqs.as_plain_text()
    turn = await bot.push("2")
    assert (turn.outcome, turn.entry_id) == (Outcome.ANSWERED, "vneid-muc-2")
    assert bot.pop().text.startswith("❓ Làm thế nào để có tài khoản định danh")


@async_test
async def test_menu_topics(answering, desk) -> None:
    bot = talk_to(answering, desk)
    await bot.push(callback_data=menu_data(MenuTopic.PROCEDURES))
    assert bot.pop().text == catalogue.MENU_PROCEDURES
    await bot.push(callback_data=CONTACT_DATA)
    contact = bot.pop().text
    assert WARD_CONTACT in contact and "không cung cấp số điện thoại" in contact


@async_test
async def test_help(answering, desk) -> None:
    bot = talk_to(answering, desk)
    for text in ("/help", "hướng dẫn sử dụng"):
        await bot.push(text)
        help_text = bot.pop().text
        assert help_text.startswith(f"Cách dùng trợ lý ảo của {WARD_NAME}:")
        assert "/reset" in help_text and "gõ số thứ tự" in help_text


@async_test
async def test_small_talk_thanks_contacts_and_non_text(answering, desk) -> None:
    bot = talk_to(answering, desk)
    replies = []
    for text in ("thời tiết hôm nay thế nào", "cảm ơn nhé", "cho em xin số zalo của chú chủ tịch phường với", ""):
        turn = await bot.push(text)
        assert turn.outcome is Outcome.CONVERSATION
        replies.append(bot.pop().text)
    assert replies[0].startswith(f"Tôi là trợ lý ảo của {WARD_NAME}, chỉ giúp được về thủ tục hành chính")
    assert replies[1] == catalogue.THANKS
    assert replies[2].startswith(f"Liên hệ chính thức của {WARD_NAME}: {WARD_CONTACT}.")
    assert replies[3] == catalogue.NON_TEXT


# --- answers and follow-ups ---------------------------------------------------------------------


@async_test
async def test_a_question_gets_the_procedure_card_with_votes(answering, store, desk) -> None:
    bot = talk_to(answering, desk, store)
    turn = await bot.push("dang ky tam tru can giay to gi")
    assert (turn.outcome, turn.entry_id, turn.score) == (Outcome.ANSWERED, "1.004194", 0.5)
    card = bot.pop()
    assert card.text.startswith("📋 Đăng ký tạm trú")
    assert "• Trực tuyến: 3 ngày làm việc · 7.000 đồng" in card.text
    assert [b.label for b in card.choice_buttons][-2:] == [catalogue.HELPFUL_BUTTON, catalogue.NOT_HELPFUL_BUTTON]
    assert state(store)["entry_id"] == "1.004194"
    assert state(store)["question"] == "dang ky tam tru can giay to gi"


@pytest.mark.parametrize(
    ("follow_up", "expected"),
    [
        ("lệ phí bao nhiêu?", "💰 Lệ phí:\n• Trực tuyến: 7.000 đồng"),
        ("nộp online được không?", "🌐 Thủ tục này nộp trực tuyến được"),
        ("mất bao lâu?", "⏱ Thời gian giải quyết:\n• Trực tuyến / Trực tiếp: 3 ngày làm việc"),
        ("cần mang gì?", "📄 Giấy tờ cần chuẩn bị:\nHồ sơ đăng ký tạm trú gồm:"),
        ("nộp ở đâu?", "📍 Nơi nộp:\n• Cơ quan giải quyết (theo Cổng Dịch vụ công): Công an cấp xã"),
        ("căn cứ pháp lý", "⚖️ Căn cứ pháp lý:\n• Luật Cư trú 2020 (số 68/2020/QH14)"),
        ("le phi bn z ad", "💰 Lệ phí:"),
    ],
)
@async_test
async def test_follow_ups_refer_to_the_procedure_under_discussion(
    answering, desk, follow_up: str, expected: str
) -> None:
    bot = talk_to(answering, desk)
    await bot.push("đăng ký tạm trú")
    bot.pop()
    turn = await bot.push(follow_up)
    reply = bot.pop()
    assert (turn.outcome, turn.entry_id) == (Outcome.ANSWERED, "1.004194")
    assert reply.text.startswith("📋 Đăng ký tạm trú\n\n")
    assert expected in reply.text
    assert "Mã thủ tục" not in reply.text  # the section asked about, not the card again


@async_test
async def test_a_follow_up_about_a_ward_procedure_names_the_service_centres(answering, desk) -> None:
    bot = talk_to(answering, desk)
    await bot.push("làm khai sinh cho con")
    assert bot.pop().text.startswith("📋 Thủ tục đăng ký khai sinh")
    await bot.push("nộp ở đâu?")
    where = bot.pop().text
    assert f"Trung tâm Phục vụ hành chính công {WARD_NAME};" in where
    assert "bất kỳ xã, phường nào trong tỉnh" in where


@async_test
async def test_a_question_naming_another_procedure_moves_on_to_it(answering, store, desk) -> None:
    bot = talk_to(answering, desk, store)
    await bot.push("đăng ký tạm trú")
    bot.pop()
    turn = await bot.push("lệ phí làm khai sinh cho con")
    assert turn.entry_id == "1.001193"
    assert bot.pop().text.startswith("📋 Thủ tục đăng ký khai sinh\nMã thủ tục")  # its card
    assert state(store)["entry_id"] == "1.001193"


@async_test
async def test_asking_again_about_the_procedure_at_hand_gives_the_section(answering, desk) -> None:
    bot = talk_to(answering, desk)
    await bot.push("đăng ký tạm trú")
    bot.pop()
    turn = await bot.push("lệ phí đăng ký tạm trú bao nhiêu")
    assert (turn.entry_id, turn.score) == ("1.004194", 0.5)
    assert bot.pop().text.startswith("📋 Đăng ký tạm trú\n\n💰 Lệ phí:")


@async_test
async def test_a_follow_up_with_nothing_under_discussion_asks_which_procedure(abstaining, desk) -> None:
    bot = talk_to(abstaining, desk)
    turn = await bot.push("lệ phí bao nhiêu?")
    assert turn.outcome is Outcome.CLARIFIED
    assert bot.pop().text == catalogue.ASK_WHICH_PROCEDURE


@async_test
async def test_a_follow_up_after_an_faq_searches_instead(answering, desk) -> None:
    bot = talk_to(answering, desk)
    await bot.push(callback_data=f"pick:{VNEID_FAQ.id}")
    bot.pop()
    turn = await bot.push("nộp ở đâu?")
    assert turn.outcome is Outcome.ANSWERED and turn.score == 0.5  # a search, not a procedure's section


@async_test
async def test_xem_them_offers_the_long_parts_one_at_a_time(answering, store, desk) -> None:
    bot = talk_to(answering, desk, store)
    await bot.push("đăng ký tạm trú")
    card = bot.pop()
    turn = await bot.push(callback_data=button(card, "Xem thêm"))
    details = bot.pop()
    assert (turn.outcome, turn.entry_id) == (Outcome.ANSWERED, "1.004194")
    assert details.text.endswith(catalogue.DETAILS_PICK) and "📝 Các bước thực hiện:" not in details.text
    assert "1. 📄 Giấy tờ (7)\n2. 📝 Các bước (5)\n3. ⚖️ Căn cứ pháp lý (11)" in details.as_plain_text()
    # A tapped part.
    turn = await bot.push(callback_data=button(details, "Các bước"))
    steps = bot.pop()
    assert (turn.outcome, turn.entry_id) == (Outcome.ANSWERED, "1.004194")
    assert steps.text.startswith("📋 Đăng ký tạm trú\n\n📝 Các bước thực hiện:\n1. Bước 1:")
    # A typed number picks a part too, on a channel without buttons: the steps' reply offers the
    # documents first.
    assert state(store)["pending"][0] == section_data("1.004194", Section.DOCUMENTS)
    turn = await bot.push("1")
    assert "Đối với Công an nhân dân: Giấy giới thiệu" in bot.pop().text  # the last document
    await bot.push("xem thêm")  # typed, with the procedure under discussion
    assert bot.pop().text == details.text


@async_test
async def test_a_part_of_a_procedure_gone_since_is_refused_politely(answering, desk) -> None:
    bot = talk_to(answering, desk)
    turn = await bot.push(callback_data=section_data("9.999999", Section.STEPS))
    assert (turn.outcome, bot.pop().text) == (Outcome.CONVERSATION, catalogue.EXPIRED)


@async_test
async def test_typed_xem_them_after_an_faq_shows_its_whole_answer(answering, desk) -> None:
    bot = talk_to(answering, desk)
    await bot.push(callback_data=f"pick:{VNEID_FAQ.id}")
    bot.pop()
    turn = await bot.push("xem thêm")
    assert (turn.outcome, turn.entry_id) == (Outcome.ANSWERED, VNEID_FAQ.id)
    assert "⚖️ Căn cứ pháp lý:\n• Nghị định quy định về định danh và xác thực điện tử (số 69/2024/NĐ-CP)" in bot.pop().text


# --- clarification ------------------------------------------------------------------------------


@async_test
async def test_close_hits_are_offered_as_buttons(clarifying, desk) -> None:
    bot = talk_to(clarifying, desk)
    turn = await bot.push("tạm trú")
    question = bot.pop()
    assert (turn.outcome, turn.entry_id, turn.score) == (Outcome.CLARIFIED, "1.004194", 0.5)
    assert question.text == "Ý anh/chị là nội dung nào dưới đây ạ?"
    labels = [b.label for b in question.choice_buttons]
    assert labels[:2] == ["Đăng ký tạm trú", "Gia hạn tạm trú"]
    assert labels[-1] == catalogue.NONE_OF_THESE_BUTTON
    turn = await bot.push(callback_data=button(question, "Gia hạn"))
    assert (turn.outcome, turn.entry_id) == (Outcome.ANSWERED, "1.002755")
    assert bot.pop().text.startswith("📋 Gia hạn tạm trú")


@async_test
async def test_a_typed_number_picks_a_pending_choice(clarifying, store, desk) -> None:
    bot = talk_to(clarifying, desk, store)
    await bot.push("tạm trú")
    assert "2. Gia hạn tạm trú" in bot.pop().as_plain_text()
    assert state(store)["pending"][:2] == ["pick:1.004194", "pick:1.002755"]
    turn = await bot.push("số 2 ạ")
    assert turn.entry_id == "1.002755"
    assert bot.pop().text.startswith("📋 Gia hạn tạm trú")
    # The card's buttons are now what a number picks: 1 is "Xem thêm".
    assert state(store)["pending"][0] == more_data("1.002755")


@async_test
async def test_a_follow_up_while_choices_wait_offers_the_same_choices(clarifying, desk) -> None:
    bot = talk_to(clarifying, desk)
    await bot.push("tạm trú")
    first = [b.data for b in bot.pop().choice_buttons]
    turn = await bot.push("lệ phí bao nhiêu?")  # the topic is among the choices, not lost
    again = bot.pop()
    assert (turn.outcome, again.text) == (Outcome.CLARIFIED, catalogue.CLARIFY_FOLLOW_UP)
    assert [b.data for b in again.choice_buttons] == first
    turn = await bot.push("2")
    assert turn.entry_id == "1.002755" and "Lệ phí" in bot.pop().text


@async_test
async def test_none_of_the_choices_offers_an_official(clarifying, store, desk) -> None:
    bot = talk_to(clarifying, desk, store)
    await bot.push("tạm trú")
    turn = await bot.push(callback_data=button(bot.pop(), "Không phải"))
    assert turn.outcome is Outcome.ABSTAINED
    offer = bot.pop()
    assert offer.text == catalogue.NONE_OF_THESE
    await bot.push(callback_data=button(offer, "Gửi câu hỏi"))
    assert await questions_sent(desk) == ["tạm trú"]


@async_test
async def test_a_number_that_picks_nothing_is_part_of_a_question(abstaining, desk) -> None:
    bot = talk_to(abstaining, desk)
    turn = await bot.push("1022")
    assert turn.outcome is Outcome.ABSTAINED


@async_test
async def test_choices_read_differently_where_their_names_do(hashing_embedder, desk) -> None:
    # Two customs procedures whose names part after 60 characters, and one name at two levels.
    entries = portal("1.008001", "1.008002", "1.010048", "1.014363")
    bot = talk_to(calibrated_engine(hashing_embedder, entries, top=0.7), desk)
    await bot.push("thủ tục hải quan hàng hóa xuất khẩu nhập khẩu qua biên giới")
    labels = {b.data: b.label for b in bot.pop().choice_buttons}
    assert labels[pick_data("1.008001")] == "Thủ tục hải quan… của thương nhân qua cửa khẩu biên giới"
    assert labels[pick_data("1.008002")] == "Thủ tục hải quan đối với hàng hóa xuất… của cư dân biên giới"
    await bot.push("xác nhận thông tin xuất nhập cảnh của công dân")
    offer = bot.pop()
    labels = {b.data: b.label for b in offer.choice_buttons}
    assert labels[pick_data("1.010048")].endswith("(cấp bộ)") and labels[pick_data("1.014363")].endswith("(cấp xã)")
    # The same labels when a follow-up asks again which one.
    await bot.push("lệ phí bao nhiêu?")
    assert [b.label for b in bot.pop().choice_buttons] == [b.label for b in offer.choice_buttons]


@async_test
async def test_a_menu_of_unlikely_choices_is_not_offered(hashing_embedder, store, desk) -> None:
    # An inheritance question against land, civil-status and residence procedures: the best of the
    # closest three is 20% likely, under the floor. No menu: an honest reply and the offer to ask
    # an official.
    entries = [*portal("1.013979", "1.000656", "1.010041"), tam_tru(), KHAI_SINH]
    question = "Bố tôi mất, giờ làm giấy tờ nhận thừa kế nhà đất ở đâu?"
    bot = talk_to(calibrated_engine(hashing_embedder, entries, top=0.2), desk, store)
    turn = await bot.push(question)
    reply = bot.pop()
    assert (turn.outcome, turn.entry_id) == (Outcome.ABSTAINED, "")
    assert reply.text.startswith("Xin lỗi anh/chị, tôi chưa tìm được thủ tục nào đủ sát") and WARD_CONTACT in reply.text
    assert [b.data for b in reply.choice_buttons] == [SEND_DATA]
    turn = await bot.push("1")  # typed, on a channel without buttons
    assert turn.outcome is Outcome.ESCALATED
    assert await questions_sent(desk) == [question]
    # At 70% for the best one the same question gets its menu.
    bot = talk_to(calibrated_engine(hashing_embedder, entries, top=0.7), desk)
    assert (await bot.push(question)).outcome is Outcome.CLARIFIED
    assert len(bot.pop().choice_buttons) == 4  # three procedures and "none of these"


# --- abstention and officials -------------------------------------------------------------------


@async_test
async def test_no_answer_is_said_honestly_with_contacts_and_an_offer(abstaining, store, desk) -> None:
    bot = talk_to(abstaining, desk, store)
    turn = await bot.push("xin trợ cấp thất nghiệp ở đâu")
    reply = bot.pop()
    assert (turn.outcome, turn.entry_id, turn.score) == (Outcome.ABSTAINED, "", 0.5)
    assert "chưa có thông tin" in reply.text and WARD_CONTACT in reply.text
    assert [b.data for b in reply.choice_buttons] == [SEND_DATA]
    turn = await bot.push(callback_data=SEND_DATA)
    assert turn.outcome is Outcome.ESCALATED
    sent = bot.pop().text
    (ticket,) = await desk.store.list()
    assert "«xin trợ cấp thất nghiệp ở đâu»" in sent and ticket.code in sent and ticket.secret in sent
    assert (ticket.category, ticket.text, ticket.chat_id, ticket.channel) == (
        Category.QUESTION,
        "xin trợ cấp thất nghiệp ở đâu",
        "c1",
        "test",
    )
    # A second tap does not send it twice: the citizen is asked to type a question instead.
    turn = await bot.push(callback_data=SEND_DATA)
    assert turn.outcome is Outcome.CONVERSATION and bot.pop().text == catalogue.ESCALATE_ASK
    assert len(await desk.store.list()) == 1


@async_test
async def test_a_legal_question_gets_no_advice_and_no_menu_only_the_offer(clarifying, store, desk) -> None:
    bot = talk_to(clarifying, desk, store)
    turn = await bot.push("Hàng xóm xây lấn sang đất nhà tôi, như vậy có vi phạm không?")
    reply = bot.pop()
    assert (turn.outcome, turn.entry_id) == (Outcome.ABSTAINED, "")
    assert reply.text.startswith(catalogue.LEGAL.split("{")[0]) and "tư vấn pháp lý" in reply.text
    assert [b.data for b in reply.choice_buttons] == [SEND_DATA]  # a close call is no reason for a menu
    turn = await bot.push(callback_data=SEND_DATA)
    assert turn.outcome is Outcome.ESCALATED
    assert await questions_sent(desk) == ["Hàng xóm xây lấn sang đất nhà tôi, như vậy có vi phạm không?"]


@async_test
async def test_a_legal_question_without_cue_words_gets_no_menu_when_the_search_is_unsure(clarifying, desk) -> None:
    # No phrase of detect_intent's cues: the legal-question model tells it, once the search has
    # found nothing it is sure of.
    bot = talk_to(clarifying, desk)
    turn = await bot.push("mượn xe bạn đi rồi bị mất thì tôi có phải đền không")
    reply = bot.pop()
    assert (turn.outcome, turn.entry_id) == (Outcome.ABSTAINED, "")
    assert "tư vấn pháp lý" in reply.text
    assert [b.data for b in reply.choice_buttons] == [SEND_DATA]


@async_test
async def test_the_legal_question_model_does_not_override_a_sure_answer(answering, desk) -> None:
    bot = talk_to(answering, desk)
    turn = await bot.push("mượn xe bạn đi rồi bị mất thì tôi có phải đền không")
    assert turn.outcome is Outcome.ANSWERED


@async_test
async def test_a_legal_question_names_a_procedure_only_when_the_search_is_sure(answering, desk) -> None:
    bot = talk_to(answering, desk)
    turn = await bot.push("đăng ký tạm trú muộn thì bị phạt bao nhiêu")
    reply = bot.pop()
    assert (turn.outcome, turn.entry_id) == (Outcome.ABSTAINED, "")
    assert "Thủ tục có thể liên quan: Đăng ký tạm trú" in reply.text
    assert [b.data for b in reply.choice_buttons] == [f"pick:{tam_tru().code}", SEND_DATA]


@async_test
async def test_the_offer_is_accepted_by_typing_its_number(abstaining, store, desk) -> None:
    bot = talk_to(abstaining, desk, store)
    await bot.push("xin trợ cấp thất nghiệp ở đâu")
    bot.pop()
    turn = await bot.push("1")
    assert turn.outcome is Outcome.ESCALATED
    assert await questions_sent(desk) == ["xin trợ cấp thất nghiệp ở đâu"]


@async_test
async def test_asking_for_an_official_with_nothing_asked_yet_asks_for_the_question(answering, store, desk) -> None:
    bot = talk_to(answering, desk, store)
    turn = await bot.push("cho tôi gặp cán bộ")
    assert (turn.outcome, bot.pop().text) == (Outcome.CONVERSATION, catalogue.ESCALATE_ASK)
    turn = await bot.push("Nhà tôi muốn xin cấp số nhà thì làm sao?")
    assert turn.outcome is Outcome.ESCALATED  # recorded, not searched
    assert await questions_sent(desk) == ["Nhà tôi muốn xin cấp số nhà thì làm sao?"]
    assert state(store)["awaiting"] == ""


@async_test
async def test_an_acknowledgement_keeps_the_bot_waiting_for_the_question(answering, store, desk) -> None:
    bot = talk_to(answering, desk, store)
    await bot.push("cho tôi gặp cán bộ")
    assert bot.pop().text == catalogue.ESCALATE_ASK
    await bot.push("ok")
    assert bot.pop().text == catalogue.THANKS and state(store)["awaiting"] == "question"
    turn = await bot.push("Đèn ở hẻm 12 tổ 5 tắt cả tuần nay thì báo ai?")
    assert turn.outcome is Outcome.ESCALATED
    assert await questions_sent(desk) == ["Đèn ở hẻm 12 tổ 5 tắt cả tuần nay thì báo ai?"]


@async_test
async def test_a_request_for_an_official_that_carries_its_question_is_recorded(answering, store, desk) -> None:
    bot = talk_to(answering, desk, store)
    turn = await bot.push("chuyển cho cán bộ giúp: xin giấy phép sửa nhà thế nào")
    assert turn.outcome is Outcome.ESCALATED
    assert await questions_sent(desk) == ["chuyển cho cán bộ giúp: xin giấy phép sửa nhà thế nào"]


# --- feedback and grievances ----------------------------------------------------------------------


@async_test
async def test_a_typed_report_is_taken_by_the_intake_with_its_text(answering, store, desk) -> None:
    bot = talk_to(answering, desk, store)
    report = "Chó nhà hàng xóm thả rông, hôm qua cắn con tôi chảy máu"
    turn = await bot.push(report)
    assert (turn.outcome, bot.pop().text) == (Outcome.CONVERSATION, catalogue.INTAKE_ASK_WHERE)  # not searched
    assert state(store)["intake"]["text"] == report
    assert await desk.store.list() == []  # filed only once the citizen confirms (tests/test_intake.py)


@async_test
async def test_moving_on_cancels_a_pending_report(answering, store, desk) -> None:
    bot = talk_to(answering, desk, store)
    await bot.push("tôi muốn phản ánh")
    assert bot.pop().text == catalogue.INTAKE_ASK_WHAT
    await bot.push(callback_data=CONTACT_DATA)  # another button: the citizen left the report
    bot.pop()
    assert "intake" not in state(store)
    turn = await bot.push("đăng ký tạm trú")
    assert turn.outcome is Outcome.ANSWERED and await desk.store.list() == []


@async_test
async def test_grievances_are_explained_and_not_recorded(answering, store, desk) -> None:
    bot = talk_to(answering, desk, store)
    grievance = "Tôi muốn khiếu nại quyết định xử phạt của phường"
    turn = await bot.push(grievance)
    reply = bot.pop()
    assert turn.outcome is Outcome.ANSWERED and await desk.store.list() == []
    assert "Luật Khiếu nại 2011" in reply.text and "Luật Tố cáo 2018" in reply.text
    assert WARD_CONTACT in reply.text
    # The citizen may still choose to send it as ordinary feedback: the intake takes it as the report.
    turn = await bot.push(callback_data=button(reply, "phản ánh"))
    assert (turn.outcome, bot.pop().text) == (Outcome.CONVERSATION, catalogue.INTAKE_ASK_WHERE)
    assert state(store)["intake"]["text"] == grievance
    # Not twice: pressed again, the button starts a report of its own.
    await bot.push(callback_data=FEEDBACK_DATA)
    assert bot.pop().text == catalogue.INTAKE_ASK_WHAT and state(store)["intake"]["text"] == ""


@async_test
async def test_a_grievance_is_sent_as_feedback_by_typing_the_buttons_number(answering, store, desk) -> None:
    bot = talk_to(answering, desk, store)
    await bot.push("Tôi muốn tố cáo cán bộ địa chính")
    bot.pop()
    assert (await bot.push("1")).outcome is Outcome.CONVERSATION
    assert bot.pop().text == catalogue.INTAKE_ASK_WHERE
    assert state(store)["intake"]["text"] == "Tôi muốn tố cáo cán bộ địa chính"


# --- votes, reset ---------------------------------------------------------------------------------


@async_test
async def test_votes_are_recorded_against_the_entry(answering, store, desk) -> None:
    bot = talk_to(answering, desk, store)
    await bot.push("đăng ký tạm trú")
    card = bot.pop()
    turn = await bot.push(callback_data=button(card, "Hữu ích"))
    assert (turn.outcome, turn.entry_id, bot.pop().text) == (Outcome.CONVERSATION, "1.004194", catalogue.VOTE_UP)
    await bot.push("👎")  # typed, on a channel without buttons
    unhappy = bot.pop()
    assert unhappy.text == catalogue.VOTE_DOWN and unhappy.choice_buttons[0].data == SEND_DATA
    assert [(entry, helpful) for _, entry, helpful in store.votes] == [("1.004194", True), ("1.004194", False)]
    await bot.push(callback_data=SEND_DATA)  # the 👎 offer sends the question that was answered badly
    assert await questions_sent(desk) == ["đăng ký tạm trú"]


@async_test
async def test_a_vote_with_nothing_answered_is_only_thanked(answering, store, desk) -> None:
    bot = talk_to(answering, desk, store)
    await bot.push("👍")
    assert bot.pop().text == catalogue.VOTE_NOTHING and store.votes == []


@async_test
async def test_reset_forgets_the_conversation(abstaining, store, desk) -> None:
    bot = talk_to(abstaining, desk, store)
    await bot.push(callback_data=f"pick:{KHAI_SINH.code}")
    await bot.push("/reset")
    assert bot.pop_all()[-1].text == catalogue.RESET_DONE
    assert state(store) == {"entry_id": "", "pending": [], "question": "", "awaiting": ""}
    await bot.push("lệ phí bao nhiêu?")
    assert bot.pop().text == catalogue.ASK_WHICH_PROCEDURE


# --- state, restarts, engines -------------------------------------------------------------------


@async_test
async def test_a_restart_in_the_middle_of_a_conversation_changes_nothing(clarifying, store, desk) -> None:
    first = talk_to(clarifying, desk, store)
    await first.push("tạm trú")
    first.pop()
    restarted = talk_to(clarifying, desk, store)  # a new process: a new Dialogue over the same store
    turn = await restarted.push("2")
    assert turn.entry_id == "1.002755"
    again = talk_to(clarifying, desk, store)
    await again.push("mất bao lâu?")
    assert again.pop().text.startswith("📋 Gia hạn tạm trú\n\n⏱ Thời gian giải quyết:")


@async_test
async def test_conversations_do_not_share_state(answering, store, desk) -> None:
    bot = talk_to(answering, desk, store)
    await bot.push("đăng ký tạm trú", chat_id="a")
    await bot.push("làm khai sinh cho con", chat_id="b")
    bot.pop_all()
    await bot.push("lệ phí bao nhiêu?", chat_id="a")
    assert bot.pop().text.startswith("📋 Đăng ký tạm trú")


@async_test
async def test_the_engine_can_be_swapped_between_turns(hashing_embedder, store, desk) -> None:
    old = build_engine(hashing_embedder, [tam_tru(), VNEID_FAQ], decision=Decision.ANSWER)
    new = build_engine(hashing_embedder, [KHAI_SINH, VNEID_FAQ], decision=Decision.ANSWER)
    dialogue = make_dialogue(old, desk, store)
    bot = DialogueTester(dialogue)
    await bot.push("đăng ký tạm trú")
    card = bot.pop()
    dialogue.engine = new  # an admin reloads the knowledge base
    turn = await bot.push("làm khai sinh cho con")
    assert turn.entry_id == "1.001193"
    bot.pop()
    # A button from the old knowledge base whose entry is gone is refused politely.
    await bot.push(callback_data=button(card, "Xem thêm"))
    assert bot.pop().text == catalogue.EXPIRED


@async_test
async def test_a_damaged_state_is_ignored(answering, store, desk) -> None:
    store.states[("test", "c1")] = json.dumps({"entry_id": 7, "pending": "x", "awaiting": "forever"})
    bot = talk_to(answering, desk, store)
    turn = await bot.push("đăng ký tạm trú")
    assert turn.entry_id == "1.004194"


@async_test
async def test_unknown_button_data_is_refused(answering, desk) -> None:
    bot = talk_to(answering, desk)
    turn = await bot.push(callback_data="delete-everything")
    assert (turn.outcome, bot.pop().text) == (Outcome.CONVERSATION, catalogue.EXPIRED)


class OrderRecordingStore(MemoryDialogueStore):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    async def load_state(self, conversation):
        self.calls.append("load")
        return await super().load_state(conversation)

    async def save_state(self, conversation, state) -> None:
        self.calls.append("save")
        await super().save_state(conversation, state)


@async_test
async def test_turns_of_one_conversation_do_not_interleave(answering, desk) -> None:
    store = OrderRecordingStore()
    dialogue = make_dialogue(answering, desk, store)

    def message(text: str, chat_id: str) -> IncomingMessage:
        return IncomingMessage(channel="test", chat_id=chat_id, user_id="u", text=text)

    # Each search runs in a worker thread, so without the lock the second turn would load the
    # state before the first saved it.
    await asyncio.gather(dialogue.handle(message("đăng ký tạm trú", "c1")), dialogue.handle(message("tạm trú", "c1")))
    assert store.calls == ["load", "save", "load", "save"]


@async_test
async def test_the_memory_store_only_keeps_json() -> None:
    store = MemoryDialogueStore()
    with pytest.raises(TypeError):
        await store.save_state(("test", "c1"), {"entry_id": {1, 2}})


@async_test
async def test_the_tester_wants_text_or_a_button(answering, desk) -> None:
    bot = talk_to(answering, desk)
    with pytest.raises(ValueError):
        await bot.push()
    with pytest.raises(AssertionError):
        bot.pop()


def test_dialogue_signature() -> None:
    """The constructor the application wires: engine and store, then the ward's details, the
    ticket desk and the pseudonym function by name. There is no dialogue without a desk."""
    with pytest.raises(TypeError):
        Dialogue(None, MemoryDialogueStore(), "Phường Mẫu", "contact")  # type: ignore[misc]
    with pytest.raises(TypeError):
        Dialogue(None, MemoryDialogueStore(), ward_name="Phường Mẫu", ward_contact="contact")  # type: ignore[call-arg]


def test_every_kind_of_intent_has_a_handler_of_its_own(answering, desk) -> None:
    handlers = make_dialogue(answering, desk)._handlers
    assert set(handlers) == set(IntentKind)
    assert len({handler.__func__ for handler in handlers.values()}) == len(IntentKind)
