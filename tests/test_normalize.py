"""Behaviour of query normalisation: folding, teencode, telex leftovers, stretched letters."""

from __future__ import annotations

import unicodedata

import pytest

from retrieval._normalize import bigrams, fold, has_diacritics, nfc, normalize_query, syllables


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Đăng Ký Tạm Trú", "dang ky tam tru"),
        (nfd("Đăng ký khai sinh"), "dang ky khai sinh"),
        ("đ Đ", "d d"),
        ("Nguyễn Thị Ánh Tuyết", "nguyen thi anh tuyet"),
        ("Phường 7, Quận 3", "phuong 7, quan 3"),
        ("PA-2026-000123", "pa-2026-000123"),
    ],
)
def test_fold(text: str, expected: str) -> None:
    assert fold(text) == expected


def test_nfc_composes_decomposed_input() -> None:
    assert nfc(nfd("Hộ chiếu")) == "Hộ chiếu"
    assert len(nfc(nfd("ộ"))) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dang ky tam tru", False),
        ("đang", True),  # đ alone is a mark
        ("ĐANG KY", True),
        (nfd("cá"), True),
        ("PA-2026-000123", False),
        ("", False),
    ],
)
def test_has_diacritics(text: str, expected: bool) -> None:
    assert has_diacritics(text) is expected


def test_syllables_fold_and_keep_numbers() -> None:
    assert syllables("Đăng ký PA-2026-000123, lệ phí 50.000đ") == [
        "dang", "ky", "pa", "2026", "000123", "le", "phi", "50", "000d",
    ]
    assert syllables(nfd("Thủ tục")) == ["thu", "tuc"]
    assert syllables("ho_chieu") == ["ho", "chieu"]  # "_" is reserved for bigrams


@pytest.mark.parametrize(
    ("tokens", "expected"),
    [(["dang", "ky", "tam"], ["dang_ky", "ky_tam"]), (["ky"], []), ([], [])],
)
def test_bigrams(tokens: list[str], expected: list[str]) -> None:
    assert bigrams(tokens) == expected
    assert bigrams(iter(tokens)) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Whole messages as citizens type them.
        (
            "mn oi e moi len tp di lam, chu tro bao phai dk tam tru, lm online dc ko z",
            "mọi người ơi em moi len thành phố di lam, chu tro bao phai đăng ký tam tru, "
            "làm online được không vậy",
        ),
        (
            "mik mở shop quần áo online có cần đk hộ kinh doanh k mn",
            "mình mở shop quần áo online có cần đăng ký hộ kinh doanh không mọi người",
        ),
        ("lamf cccd cho be", "làm căn cước công dân cho be"),
        ("caaaan gi a", "can gi ạ"),
        ("ddawng kys thuowngf truus", "đăng ký thường trú"),
        # Abbreviations of the domain.
        ("CCCD het han", "căn cước công dân het han"),
        ("lam gks cho con", "lam giấy khai sinh cho con"),
        ("doi gplx o ubnd", "doi giấy phép lái xe o ủy ban nhân dân"),
        ("dong bhxh va bhyt", "dong bảo hiểm xã hội va bảo hiểm y tế"),
        ("sđt của xã", "số điện thoại của xã"),
        ("cấp gcn qsdđ", "cấp giấy chứng nhận quyền sử dụng đất"),
        ("lm ntn, mất bn tiền, trc bao lâu", "làm như thế nào, mất bao nhiêu tiền, trước bao lâu"),
        ("j v", "gì vậy"),
        ("xong r", "xong rồi"),
        ("đc hông", "được không"),
        ("hết hạn r,", "hết hạn rồi,"),
    ],
)
def test_normalize_query_rewrites(query: str, expected: str) -> None:
    assert normalize_query(query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Lone letters: pronoun, politeness particle, or a grade that must stay.
        ("a ơi cho e hỏi", "anh ơi cho em hỏi"),
        ("bằng lái của a sắp hết hạn", "bằng lái của anh sắp hết hạn"),
        ("lm ntn a", "làm như thế nào ạ"),
        ("dc k a, mn", "được không ạ, mọi người"),
        ("thi bằng lái hạng a", "thi bằng lái hạng a"),
        ("bang c bi mat", "bang c bi mat"),
        ("c muốn hỏi", "chị muốn hỏi"),
        # "hk": hộ khẩu after the words that go with it, otherwise a closing "không".
        ("tach hk rieng", "tach hộ khẩu rieng"),
        ("sổ hk bị mất", "sổ hộ khẩu bị mất"),
        ("có cần mang khai sinh hk", "có cần mang khai sinh không"),
        ("xin ở phường đc hk ạ", "xin ở phường được không ạ"),
        # "mk" and "vc" by the word before.
        ("quên mk vneid", "quên mật khẩu vneid"),
        ("mk muốn hỏi", "mình muốn hỏi"),
        ("vc e đk kết hôn", "vợ chồng em đăng ký kết hôn"),
        ("nghỉ vc r", "nghỉ việc rồi"),
    ],
)
def test_normalize_query_context_dependent_forms(query: str, expected: str) -> None:
    assert normalize_query(query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kooo", "không"),  # squeezed, then expanded
        ("vậyyyy", "vậy"),
        ("nhaa", "nha"),  # "aa" would be telex â, but "nhâ" is not a syllable
        ("đii", "đi"),
        ("dạaaa", "dạ"),
        ("nhéeee", "nhé"),
        ("ưu tiên", "ưu tiên"),  # ư + u is a real rhyme
        ("lương hưuu", "lương hưu"),
        ("dcccc", "được"),
        ("kkk", "kkk"),  # laughter is not "không"
        ("khoong", "không"),
        ("nguwoif", "người"),
        ("nhw vaayj", "như vậy"),
        ("hoaf giair", "hòa giải"),
        ("thuees", "thuế"),
        ("trinh baos mat ho chieeus", "trinh báo mat ho chiếu"),
    ],
)
def test_normalize_query_squeezes_and_converts_telex(query: str, expected: str) -> None:
    assert normalize_query(query) == expected


@pytest.mark.parametrize(
    "query",
    [
        "lam giay khai sinh cho con can gi",
        "khai sinh",
        "ca lam viec",  # "ca" is a word, not công an
        "cai kia",
        "vay ngan hang",  # "vay" (borrow) is not the teencode "v"
        "the bi hong",  # "hong" may be hỏng
        "an ninh trat tu",
        "le phi 1022 dong",
        "ma ho so pa-2026-000123",
        "xem https://dichvucong.gov.vn/p/home/dvc-tthc.html?ma=1.001193 nhe",
        "gui mail hoso@phuong7.gov.vn",
        "bang a1, to 500k, be 15t, ct07, m2",
        "facebook zoom google app shopee bus",  # loanwords survive telex and squeezing
        "đăng ký tạm trú ở đâu?",
    ],
)
def test_normalize_query_leaves_plain_text_alone(query: str) -> None:
    assert normalize_query(query) == query


def test_normalize_query_case_whitespace_and_nfd() -> None:
    assert normalize_query("  Dang   KY\t tam\n tru  ") == "dang ky tam tru"
    assert normalize_query(nfd("Đăng Ký Khai Sinh")) == "đăng ký khai sinh"
    assert normalize_query("PA-2026-000123") == "pa-2026-000123"
    assert normalize_query("") == ""
    assert normalize_query("dc ko?!") == "được không?!"


def test_normalize_query_vocabulary_gates_telex_and_squeezing() -> None:
    vocabulary = {"dang", "ky", "tam", "tru", "nha"}
    assert normalize_query("ddawng kys tamj truus", vocabulary=vocabulary) == "đăng ký tạm trú"
    # Folded results unknown to the knowledge base are left as typed.
    assert normalize_query("thuowngf", vocabulary=vocabulary) == "thuowngf"
    assert normalize_query("nhaa đii", vocabulary=vocabulary) == "nha đii"
    # A word the knowledge base uses is not a stretched one: "huu" is "hưu" without its marks.
    assert normalize_query("luong huu", vocabulary={"luong", "huu", "hu"}) == "luong huu"
    # Teencode does not depend on the vocabulary.
    assert normalize_query("dk dc ko", vocabulary=vocabulary) == "đăng ký được không"
