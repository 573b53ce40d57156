"""Behaviour of diacritic restoration on a small hand-written knowledge base."""

from __future__ import annotations

import json
import unicodedata

import pytest

from retrieval._normalize import fold, normalize_query
from retrieval._restore import DiacriticRestorer

PROCEDURES = [
    "Đăng ký khai sinh",
    "Đăng ký khai tử",
    "Đăng ký kết hôn",
    "Đăng ký tạm trú",
    "Gia hạn tạm trú",
    "Xóa đăng ký tạm trú",
    "Đăng ký thường trú",
    "Cấp căn cước",
    "Cấp đổi thẻ căn cước",
    "Cấp lại thẻ căn cước khi bị mất",
    "Chứng thực bản sao từ bản chính",
    "Đăng ký thế chấp quyền sử dụng đất",
    "Cấp giấy phép kinh doanh; mua bán hàng hóa.",
    "Hồ sơ nộp tại bộ phận một cửa, lệ phí theo quy định.",
    # Template names come without marks; they must not teach "dang ky" as a spelling.
    "Mau 05a. Don dang ky the chap.docx",
]


@pytest.fixture(scope="module")
def restorer() -> DiacriticRestorer:
    return DiacriticRestorer.fit(PROCEDURES)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("dang ky tam tru o dau", "đăng ký tạm trú ở đâu"),  # "ở đâu": built-in phrasing
        ("dang ky khai sinh cho con", "đăng ký khai sinh cho con"),
        ("chung thuc ban sao tu ban chinh", "chứng thực bản sao từ bản chính"),
        ("cap lai the can cuoc bi mat", "cấp lại thẻ căn cước bị mất"),
        # The same folded syllable, two accented forms, decided by the neighbours.
        ("the can cuoc", "thẻ căn cước"),
        ("dang ky the chap", "đăng ký thế chấp"),
        ("ban chinh", "bản chính"),
        ("mua ban hang hoa", "mua bán hàng hóa"),
        ("toi muon hoi", "tôi muốn hỏi"),
    ],
)
def test_restores_known_words(restorer: DiacriticRestorer, query: str, expected: str) -> None:
    assert restorer.restore(query) == expected


def test_typed_marks_are_kept_and_condition_neighbours(restorer: DiacriticRestorer) -> None:
    # "căn" was typed, so "the" before it reads as "thẻ"; "chấp" makes it "thế".
    assert restorer.restore("the căn cuoc") == "thẻ căn cước"
    assert restorer.restore("the chấp") == "thế chấp"
    # A mark typed wrongly into another real word is the user's word: it is not corrected.
    assert restorer.restore("đang ky tam tru") == "đang ký tạm trú"
    # A marked form the knowledge base never uses, of a word it knows, is a typo and restored.
    assert restorer.restore("đăng ký kêt hôn") == "đăng ký kết hôn"
    assert restorer.restore("thẽ căn cước") == "thẻ căn cước"


def test_unknown_words_punctuation_case_and_spacing(restorer: DiacriticRestorer) -> None:
    assert restorer.restore("dang ky  vneid, tam tru?") == "đăng ký  vneid, tạm trú?"
    assert restorer.restore("Dang Ky TAM TRU!") == "Đăng Ký TẠM TRÚ!"
    assert restorer.restore("ho so PA-2026-000123 ngay 12/3") == "hồ sơ PA-2026-000123 ngày 12/3"
    assert restorer.restore("") == ""
    assert restorer.restore("  ...  ") == "  ...  "


def test_punctuation_breaks_context(restorer: DiacriticRestorer) -> None:
    # Each "ban" is read from the neighbour on its own side of the comma.
    assert restorer.restore("mua ban, ban chinh") == "mua bán, bản chính"


def test_input_in_nfd_is_restored_in_nfc(restorer: DiacriticRestorer) -> None:
    query = unicodedata.normalize("NFD", "đăng ky tam tru")
    assert restorer.restore(query) == "đăng ký tạm trú"


def test_learns_forms_and_unmarked_text_is_ignored(restorer: DiacriticRestorer) -> None:
    assert restorer.forms["dang"]["đăng"] >= 7
    assert "dang" not in restorer.forms["dang"]  # only seen in the unmarked template name
    assert {"thẻ", "thế"} <= set(restorer.forms["the"])
    assert "dang" in restorer.vocabulary() and "đăng" not in restorer.vocabulary()


def test_without_conversational_phrasing_only_the_knowledge_base_is_known() -> None:
    plain = DiacriticRestorer.fit(PROCEDURES, conversational=False)
    assert "dau" not in plain.vocabulary()
    assert plain.restore("tam tru o dau") == "tạm trú o dau"


def test_round_trips_through_json(restorer: DiacriticRestorer) -> None:
    data = json.loads(json.dumps(restorer.to_dict(), ensure_ascii=False))
    copy = DiacriticRestorer.from_dict(data)
    for query in ("dang ky tam tru o dau", "the can cuoc", "mua ban hang hoa, ban sao"):
        assert copy.restore(query) == restorer.restore(query)


def test_from_dict_rejects_other_data() -> None:
    with pytest.raises(ValueError, match="format"):
        DiacriticRestorer.from_dict({"format": "something-else"})


def test_restores_a_normalised_teencode_query(restorer: DiacriticRestorer) -> None:
    vocabulary = restorer.vocabulary()
    query = normalize_query("e muon ddawng kys tam tru, lm o dau z", vocabulary=vocabulary)
    assert restorer.restore(query) == "em muốn đăng ký tạm trú, làm ở đâu vậy"


def test_restored_text_folds_back_to_the_query(restorer: DiacriticRestorer) -> None:
    query = "cap doi the can cuoc, gia han tam tru va xoa dang ky thuong tru"
    assert fold(restorer.restore(query)) == query


@pytest.fixture(scope="module")
def large_restorer() -> DiacriticRestorer:
    """A misspelling costs as much as 1 in 10,000 words: only a knowledge base of a real size,
    where "tạm trú" occurs thousands of times, makes a correction worth it."""
    return DiacriticRestorer.fit([*PROCEDURES * 1000, "Nhà xinh xắn, xao động, nhãn mác."])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Initials and finals that many pronounce alike, corrected where a neighbour makes the
        # knowledge base's word far likelier.
        ("dang ky tam chu o dau", "đăng ký tạm trú ở đâu"),
        ("gia han tam chu", "gia hạn tạm trú"),
        ("chung thuc ban xao tu ban chinh", "chứng thực bản sao từ bản chính"),
        ("dang ky khai xinh", "đăng ký khai sinh"),
        ("cap lai the can cuoc bi mac", "cấp lại thẻ căn cước bị mất"),
        # Two syllables typed without the space between them.
        ("chứng thực bảnsao", "chứng thực bản sao"),
        ("Bảnchính", "Bản chính"),
        ("đăng kýtạm trú", "đăng ký tạm trú"),
    ],
)
def test_corrects_misspellings_in_context(large_restorer: DiacriticRestorer, query: str, expected: str) -> None:
    assert large_restorer.restore(query) == expected


@pytest.mark.parametrize(
    "query",
    [
        "đăng ký tạm chú",  # typed with marks: kept as the citizen wrote it
        "dangky tam tru",  # glued but unmarked: as often a name or a brand ("honda")
        "lam o xa",  # no neighbour vouches for "sa"
        "nước ngập",  # unknown, and "ng" + "ập" is no pair of syllables
        "chứngtạm trú",  # "chứng tạm" was never seen: no evidence for the cut
    ],
)
def test_leaves_marked_words_and_unsupported_corrections_alone(large_restorer: DiacriticRestorer, query: str) -> None:
    assert fold(large_restorer.restore(query)) == fold(query)


def test_corrections_can_be_turned_off() -> None:
    plain = DiacriticRestorer.fit(PROCEDURES * 1000, misspelling_penalty=0)
    assert plain.restore("dang ky tam chu") == "đăng ký tạm chủ"  # "chủ trọ": everyday phrasing
    assert plain.restore("chứng thực bảnsao") == "chứng thực bảnsao"
    with pytest.raises(ValueError, match="misspelling_penalty"):
        DiacriticRestorer.fit(PROCEDURES, misspelling_penalty=1.5)
