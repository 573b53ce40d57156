"""Intent detection: accent-insensitive, teencode-tolerant, and strict about what else is said."""

from __future__ import annotations

import pytest

from handlers import IntentKind, Section, detect_intent, parse_callback
from handlers._intent import (
    PLAIN_KINDS,
    Choice,
    Erase,
    Escalate,
    Feedback,
    FollowUp,
    Intake,
    Lookup,
    Menu,
    MenuTopic,
    More,
    Pick,
    Plain,
    Question,
    Rate,
    Vote,
    menu_data,
    more_data,
    pick_data,
    vote_data,
)

K, S = IntentKind, Section


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("/start", K.GREETING),
        ("/start@WardBot", K.GREETING),
        ("xin chào", K.GREETING),
        ("Chào bạn nhé", K.GREETING),
        ("xin chao ad", K.GREETING),
        ("/help", K.HELP),
        ("hướng dẫn", K.HELP),
        ("/reset", K.RESET),
        ("bắt đầu lại", K.RESET),
        ("cảm ơn nhé", K.THANKS),
        ("ok cảm ơn ad nhiều", K.THANKS),
        ("tks", K.THANKS),
        ("/khonghieu", K.HELP),  # an unknown command gets the help text
    ],
)
def test_conversation_intents(text: str, kind: IntentKind) -> None:
    assert detect_intent(text) == Plain(kind)


@pytest.mark.parametrize(
    "text",
    ["Xin chào, cho hỏi đăng ký tạm trú", "hướng dẫn làm khai sinh", "cảm ơn, còn làm căn cước thì sao"],
)
def test_a_greeting_or_thanks_with_a_subject_is_a_question(text: str) -> None:
    assert detect_intent(text) == Question()


@pytest.mark.parametrize(
    ("text", "sections"),
    [
        ("lệ phí bao nhiêu?", (S.FEE,)),
        ("le phi bn z ad", (S.FEE,)),
        ("nộp online được không?", (S.ONLINE,)),
        ("nop onl dc ko", (S.ONLINE,)),
        ("mất bao lâu?", (S.TIME,)),
        ("bao nhiêu ngày thì có kết quả", (S.TIME,)),
        ("cần mang gì?", (S.DOCUMENTS,)),
        ("can mang j", (S.DOCUMENTS,)),
        ("nộp ở đâu?", (S.WHERE,)),
        ("căn cứ pháp lý", (S.LEGAL,)),
        ("xem thêm", (S.DETAILS,)),
        ("lệ phí và thời gian bao lâu", (S.FEE, S.TIME)),
    ],
)
def test_bare_follow_ups_name_their_sections(text: str, sections: tuple[Section, ...]) -> None:
    assert detect_intent(text) == FollowUp(sections)


def test_a_follow_up_that_names_a_procedure_is_a_new_question() -> None:
    assert detect_intent("lệ phí đăng ký kết hôn bao nhiêu") == Question((S.FEE,))


@pytest.mark.parametrize(
    "text",
    # Words that contain a cue's letters but not its meaning.
    ["đăng ký tạm trú cho cả hộ gia đình", "chuyển mục đích sử dụng đất phi nông nghiệp", "khai sinh tại nhà"],
)
def test_look_alike_words_are_not_follow_up_cues(text: str) -> None:
    assert detect_intent(text) == Question(sections=())


@pytest.mark.parametrize(
    "text",
    [
        "Chó nhà hàng xóm thả rông, hôm qua cắn con tôi chảy máu",
        "đường trước nhà có ổ gà to quá",
        "quán karaoke hát đến 12 giờ đêm",
        "khu phố tôi bị ngập nước mỗi khi mưa",
        "đèn đường tổ 5 hỏng cả tuần nay",
        "rác thải đổ bừa ở đầu hẻm",
        "vỉa hè bị lấn chiếm buôn bán",
        "có người bày hàng ra hết vỉa hè trước nhà, xe không ra vào được",
        "mất nước từ sáng đến giờ",
        "cán bộ một cửa thái độ rất hách dịch",
        "Hồ sơ của tôi trễ hẹn hai tuần rồi mà chưa có kết quả",
    ],
)
def test_reports_are_feedback(text: str) -> None:
    assert detect_intent(text) == Feedback(standalone=False)


def test_a_question_about_late_dossiers_is_not_a_report() -> None:
    assert detect_intent("Hồ sơ bị trễ hẹn thì cơ quan có phải xin lỗi không?").kind is K.QUESTION


def test_wanting_to_report_without_saying_what_is_standalone_feedback() -> None:
    assert detect_intent("tôi muốn gửi phản ánh") == Feedback(standalone=True)


@pytest.mark.parametrize(
    "text",
    [
        "Hàng xóm xây tường lấn sang đất nhà tôi 20 cm, làm vậy có vi phạm không?",
        "đi xe máy không đội mũ bảo hiểm thì bị phạt bao nhiêu tiền",
        "Con tôi 17 tuổi đánh nhau gây thương tích thì bị xử lý thế nào?",
        "Án treo có phải đi làm nghĩa vụ quân sự không, luật quy định thế nào?",
        "tiêu chuẩn sức khỏe tuyển sinh vào trường công an là gì",
        "bán hàng rong trên vỉa hè có hợp pháp không ạ",
        "anh em tranh chấp đất hương hỏa thì ai đúng ai sai",
        "cty no luong 3 thang toi muon khoi kien duoc ko",
    ],
)
def test_questions_about_the_law_are_legal_not_procedure_questions(text: str) -> None:
    assert detect_intent(text).kind is K.LEGAL


@pytest.mark.parametrize(
    "text",
    [
        "đăng ký tạm trú online có được không",
        "nộp hồ sơ ở phường khác có được không ạ",
        "làm căn cước cho con dưới 14 tuổi được không",
        "nộp phạt vi phạm giao thông online ở đâu",
        "hồ sơ xin phiếu lý lịch tư pháp khi có tiền án cần gì",
        "điều kiện đăng ký kết hôn với người nước ngoài",
        "hợp pháp hóa lãnh sự giấy tờ ở đâu",
        "hồ sơ bị từ chối thì làm sao",
        "yêu cầu bồi thường nhà nước nộp hồ sơ thế nào",
    ],
)
def test_procedure_questions_with_legal_sounding_words_stay_questions(text: str) -> None:
    assert detect_intent(text).kind in (K.QUESTION, K.FOLLOW_UP)


@pytest.mark.parametrize("text", ["Tôi muốn khiếu nại quyết định của phường", "cho hỏi cách viết đơn tố cáo"])
def test_complaints_and_denunciations_are_grievances_not_feedback(text: str) -> None:
    assert detect_intent(text).kind is K.GRIEVANCE


def test_asking_for_an_official() -> None:
    assert detect_intent("cho tôi gặp cán bộ") == Escalate(standalone=True)
    with_question = detect_intent("chuyển cho cán bộ giúp: xin giấy phép sửa nhà thế nào")
    assert with_question == Escalate(standalone=False)


def test_contacts_and_small_talk() -> None:
    assert detect_intent("cho em xin số zalo của chú chủ tịch phường với").kind is K.CONTACT
    assert detect_intent("thời tiết hôm nay thế nào").kind is K.SMALL_TALK
    # The hotline is an FAQ subject, not a request for the ward's contacts.
    assert detect_intent("số điện thoại đường dây nóng 1022").kind is K.QUESTION


@pytest.mark.parametrize(("text", "number"), [("2", 2), ("số 2 ạ", 2), ("chọn 3", 3), ("1022", 1022)])
def test_numbers_are_choices(text: str, number: int) -> None:
    assert detect_intent(text) == Choice(number)


@pytest.mark.parametrize(("text", "helpful"), [("👍", True), ("👍🏻", True), ("👎", False), ("👎👎", False)])
def test_thumbs_are_votes(text: str, helpful: bool) -> None:
    assert detect_intent(text) == Vote(helpful, entry_id="")


def test_callback_data_round_trips() -> None:
    assert parse_callback(pick_data("1.004194")) == Pick("1.004194")
    assert parse_callback(more_data("vneid-muc-2")) == More("vneid-muc-2", section=None)
    assert parse_callback(vote_data("1.004194", False)) == Vote(helpful=False, entry_id="1.004194")
    assert parse_callback(menu_data(MenuTopic.FAQ)) == Menu(MenuTopic.FAQ)
    # Telegram allows 64 bytes of callback data.
    assert len(vote_data("1.004194", True).encode()) <= 64


@pytest.mark.parametrize("data", ["", "pick:", "vote:2:1.004194", "vote:1:", "menu:weather", "delete-everything"])
def test_callback_data_this_version_never_produced_is_refused(data: str) -> None:
    assert parse_callback(data) is None


def test_each_kind_has_one_shape_that_holds_only_what_it_needs() -> None:
    shapes = [Choice, Pick, More, Vote, Menu, Feedback, Escalate, FollowUp, Question, Lookup, Intake, Rate, Erase]
    kinds = [shape.kind for shape in shapes]
    assert len(set(kinds)) == len(kinds) and set(kinds).isdisjoint(PLAIN_KINDS)
    assert set(kinds) | PLAIN_KINDS == set(IntentKind)
    assert all(Plain(kind).kind is kind for kind in PLAIN_KINDS)
    with pytest.raises(ValueError):
        Plain(K.CHOICE)  # a kind with data has its own class
    with pytest.raises(AttributeError):
        Choice(2).number = 3  # type: ignore[misc]  # frozen
    assert not hasattr(Choice(2), "entry_id") and not hasattr(Plain(K.HELP), "number")
