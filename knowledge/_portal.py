"""Parse procedure records crawled from the National Public Service Portal (dichvucong.gov.vn).

The crawler flattened the portal's tables by concatenating cell texts without separators, e.g.
``Hình thức nộpThời gianPhí, lệ phíMô tảTrực tiếp5 Ngày làm việcMiễn phí...``. The parsers below
recover the cells from what each column is known to contain (a channel name, a time with a unit,
a fee amount with a currency, a quantity such as ``1 bản chính,1 bản sao``, a legal document number
such as ``123/2015/NĐ-CP``). Where that is not possible without guessing, the field is flagged as not
clean and its raw text is kept in ``Procedure.raw`` so nothing is lost.
"""

from __future__ import annotations

import gzip
import json
import lzma
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TextIO

from knowledge._schema import Channel, DocumentItem, LegalBasis, Procedure, SubmissionMethod
from wardbot_errors import WardbotError

__all__ = ["ParsedRecord", "PortalFormatError", "iter_portal_jsonl", "parse_portal_record"]

NO_INFO = "Không có thông tin"


class PortalFormatError(WardbotError, ValueError):
    """A line of a portal JSONL file that is not a JSON object."""

    def __init__(self, path: str | Path, line_no: int, message: str) -> None:
        super().__init__(f"{path}:{line_no}: {message}")
        self.path = str(path)
        self.line_no = line_no
        self.message = message


@dataclass(frozen=True, slots=True)
class ParsedRecord:
    """A parsed procedure and whether its table fields could be structured without leftovers."""

    procedure: Procedure
    methods_ok: bool
    documents_ok: bool
    legal_ok: bool
    notes: tuple[str, ...] = ()  # what could not be parsed, or was read from mistyped source text


# --- text tidying -------------------------------------------------------------------------------


def _latin_letters(predicate) -> str:
    """Latin letters (Vietnamese ones included) for a regex class; ranges like À-Ỹ mix cases."""
    letters = (chr(code) for code in range(0xC0, 0x1F00))
    return "".join(c for c in letters if predicate(c) and unicodedata.name(c, "").startswith("LATIN"))


_LOWER = "a-z" + _latin_letters(str.islower)
_UPPER = "A-Z" + _latin_letters(str.isupper)
# The start of a capitalised word, e.g. the first cell of the next row glued to this one.
_CAPITALISED = f"[{_UPPER}][{_LOWER}]"
_NAME_START = re.compile(_CAPITALISED)

# Invisible marks the portal's editors pasted in (LRM, ZWSP, BOM...) that break matching.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad]")
# Half a surrogate pair, which a JSON "\ud800" escape without its partner decodes to: no UTF-8
# file or tokenizer takes one, so the replacement character stands for what the crawl lost.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# Runs of blanks, or one blank that is not a plain space (matching every single space is slow).
_HSPACE = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u3000]{2,}|[\t\u00a0\u2000-\u200a\u202f\u3000]")
_SPACE_AT_LINE_END = re.compile(r" ?\n ?")
_BLANK_LINES = re.compile(r"\n{3,}")
# A sentence glued to the next one at a cell boundary ("pháp luật.Trực tuyến"). Only fixed after a
# lowercase letter so that numbers and codes ("01.TACN", "NĐ-CP.Mau04") are left alone.
_GLUED_SENTENCE = re.compile(rf"([.;:])(?<=[{_LOWER}][.;:])(?={_CAPITALISED})")


def _clean(text: object) -> str:
    """NFC-normalise, drop invisible marks, collapse blanks; "Không có thông tin" means empty."""
    if text is None:
        return ""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", _LONE_SURROGATE.sub("\ufffd", str(text))))
    # U+00D0 (Icelandic Eth) is never Vietnamese; it is a mistyped Đ, as in "NÐ-CP".
    text = text.replace("\u00d0", "Đ").replace("\r\n", "\n").replace("\r", "\n")
    text = _SPACE_AT_LINE_END.sub("\n", _HSPACE.sub(" ", text))
    text = _BLANK_LINES.sub("\n\n", text).strip()
    return "" if text == NO_INFO else text


def _tidy(text: object) -> str:
    """Clean text for output, also unglueing sentences.

    Parsers work on ``_clean`` text instead, since the glue marks cell boundaries they need to see.
    """
    return _GLUED_SENTENCE.sub(r"\1 ", _clean(text))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _strip_bullet(text: str) -> str:
    return re.sub(r"^(?:[-–+*•]+\s*)+", "", text).strip()


def _is_filler(text: str) -> bool:
    """True for text with nothing a reader needs: empty, dashes, "Không có thông tin"."""
    return re.fullmatch(r"[\s\-–*+.]*", text.replace(NO_INFO, "")) is not None


def _matching_paren(text: str, open_at: int) -> int:
    """Index of the ")" closing the "(" at ``open_at``, or -1 when it is never closed."""
    depth = 0
    for i in range(open_at, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    return -1


# --- submission methods (cach_thuc_thuc_hien) ---------------------------------------------------

_METHODS_HEADER = "Hình thức nộpThời gianPhí, lệ phíMô tả"
_CHANNELS = {"Trực tiếp": Channel.IN_PERSON, "Trực tuyến": Channel.ONLINE, "Dịch vụ bưu chính": Channel.POST}
_CURRENCY = r"(?:Việt Nam Đồng|VNĐ|USD|EUR|Đồng)"
_AMOUNT = r"[1-9]\d{0,2}(?:,\d{3})*|[1-9]\d*|0"
_TIME_UNITS = r"(?:Ngày làm việc|Ngày|Giờ|Tháng|Năm|Tuần|Phút)"
# A row starts with the channel immediately followed by the time cell and the fee cell. Requiring
# both cells is what tells a row apart from "trực tiếp"/"Trực tuyến" written inside a description.
# The time is a number with a unit, a bare number, or, for some tax procedures, a short phrase
# ("Không quy định").
_METHOD_ROW = re.compile(
    r"(?P<channel>Trực tiếp|Trực tuyến|Dịch vụ bưu chính)"
    r"(?:"
    rf"(?P<time>\d+(?:[.,]\d+)? ?{_TIME_UNITS}|\d+(?={NO_INFO}|Miễn phí)|{NO_INFO}|Không ?(?={NO_INFO})"
    rf"|[{_UPPER}][^\n]{{0,200}}?(?={NO_INFO}|Miễn phí|(?:{_AMOUNT}) ?{_CURRENCY}))"
    rf"(?P<fee>Miễn phí|{NO_INFO}|(?:{_AMOUNT}) ?{_CURRENCY})"
    # A time without a unit runs straight into the fee amount: "Trực tuyến120,000 VNĐ".
    rf"|(?P<glued>\d[\d,]*) ?(?P<currency>{_CURRENCY})"
    r")"
)


def _split_glued_time_fee(digits: str) -> list[tuple[str, str]]:
    """Every reading of "<time digits><fee amount>" where the amount is a well-formed number."""
    readings = []
    for cut in range(1, len(digits)):
        time, amount = digits[:cut], digits[cut:]
        if "," in time:
            break
        if re.fullmatch(r"[1-9]\d{0,2}(?:,\d{3})*", amount):
            readings.append((time, amount))
    return readings


def _fee_with_note(fee: str, rest: str) -> tuple[str, str, bool]:
    """Attach the parenthesised note right after the fee cell to the fee; return (fee, rest, ok).

    ``ok`` is False when the note's parentheses do not balance and description text follows, so
    where the note ends is a guess (the last ")" of the row).
    """
    # With no fee there is no note; "(1) Trường hợp…" then opens the description's list.
    if not fee or not rest.startswith("(") or re.match(r"\(\w{1,3}\)\s", rest):
        return fee, rest, True
    close = _matching_paren(rest, 0)
    ok = True
    if close < 0:
        close = rest.rfind(")")
        if close < 0:
            close = len(rest)
        ok = _is_filler(rest[close + 1 :])
    note, rest = rest[1:close].strip(), rest[close + 1 :]
    while note.startswith("("):
        # "((...))" on the portal is one note; an opening "(" never closed is noise.
        if _matching_paren(note, 0) == len(note) - 1:
            note = note[1:-1].strip()
        elif note.count("(") > note.count(")"):
            note = note[1:].strip()
        else:
            break
    if note and not _is_filler(note):
        fee = f"{fee} ({note})"
    return fee, rest, ok


def _parse_methods(text: str) -> tuple[tuple[SubmissionMethod, ...], bool, list[str]]:
    if not text:
        return (), True, []
    if not text.startswith(_METHODS_HEADER):
        return (), False, ["methods: table header missing"]
    body = text[len(_METHODS_HEADER) :]
    rows = list(_METHOD_ROW.finditer(body))
    if not rows:
        return (), False, ["methods: no row with channel, time and fee"]
    notes: list[str] = []
    ok = True
    if not _is_filler(body[: rows[0].start()]):
        ok = False
        notes.append("methods: text before the first row")
    methods = []
    for row, following in zip(rows, [*rows[1:], None], strict=True):
        rest = body[row.end() : following.start() if following else len(body)]
        if row["glued"] is not None:
            readings = _split_glued_time_fee(row["glued"])
            if not readings:
                ok = False
                notes.append(f"methods: cannot split time and fee in {row['glued']!r}")
                time, fee = "", f"{row['glued']} {row['currency']}"
            else:
                if len(readings) > 1:
                    ok = False
                    notes.append(f"methods: time and fee run together in {row['glued']!r}; read as {readings[0]}")
                time, fee = readings[0][0], f"{readings[0][1]} {row['currency']}"
        else:
            time = "" if row["time"] == NO_INFO else row["time"].strip()
            fee = "" if row["fee"] == NO_INFO else row["fee"]
        fee, rest, note_ok = _fee_with_note(fee, rest)
        if not note_ok:
            ok = False
            notes.append(f"methods: unbalanced parentheses in the fee note for {row['channel']}")
        methods.append(
            SubmissionMethod(
                channel=_CHANNELS[row["channel"]],
                processing_time=_tidy(time),
                fee=_one_line(_tidy(fee)),
                description=_tidy(rest),
            )
        )
    return tuple(methods), ok, notes


# --- dossier documents (thanh_phan_ho_so) -------------------------------------------------------

_DOCS_HEADER = "Tên giấy tờMẫu đơn, tờ khaiSố lượng"
# The quantity cell is "N bản chính" or "N bản chính,M bản sao", glued to the end of the row. The
# digit run may swallow digits of the name ("Mẫu số 081 bản chính"), so only its last digit counts.
_QUANTITY = re.compile(r"(?P<run>\d+) bản chính(?:,(?P<copies>\d+) bản sao)?")
_FORM_EXT = re.compile(r"\.(?:docx|doc|xlsx|xls|pdf|rar|zip|odt)", re.IGNORECASE)
_FORM_EXT_AT_END = re.compile(_FORM_EXT.pattern + r"$", re.IGNORECASE)


def _is_quantity_cell(text: str, match: re.Match[str]) -> bool:
    """Tell the quantity cell from a count written inside a name ("nộp 01 bản chính tờ khai").

    The cell is glued to its row and the next row is glued to it; prose goes on after the count
    with a space or punctuation.
    """
    before = text[match.start() - 1] if match.start() else ""
    after = text[match.end() : match.end() + 3]
    if after[:1] and after[0] in ";,.:)" or before == "(":
        return False
    if after[:1].isspace() and after[1:2].isalpha():
        # A glued single-digit cell may be followed by a spaced heading ("….2 bản chính Trường hợp…").
        glued = bool(before) and not before.isspace()
        return glued and len(match["run"]) == 1 and _NAME_START.match(after, 1) is not None
    return True


# A form's file name starts where the name cell ends. The cells are glued, so the start is a
# place where a new token begins without a space. Strong signs: after ";", ")", a "." that ends a
# word etc.; a lowercase-to-uppercase step ("theo mẫuTK 1.docx"); an acronym followed by a word
# ("TT-BNNMTMau so 01.docx", "BNNMTthuyết minh.pdf"; not "QĐ-TTg ngày"). Weak signs, also found
# inside file names: a "." after a digit, a step between a letter and a digit ("hàng
# không1.000574.docx").
_FORM_START_STRONG = re.compile(
    rf"(?<=[;:)\]”\"!,])(?=[^\W_])|(?<=[^\d\s]\.)(?=[^\W_])|(?<=[{_LOWER}])(?=[{_UPPER}])"
    rf"|(?<=[{_UPPER}])(?={_CAPITALISED}[{_LOWER}])|(?<=[{_UPPER}]{{3}})(?=[{_LOWER}]{{2}})"
)
_FORM_START_WEAK = re.compile(rf"(?<=\d\.)(?=[^\W_])|(?<=[0-9])(?=[{_UPPER}])|(?<=[{_LOWER}])(?=\d)")
# Weakest: a lowercase file name glued to a lowercase word ("theo quy địnhvăn bản đề nghị.docx");
# only the words file names usually start with are trusted.
_FORM_START_WORD = re.compile(
    rf"(?<=[{_LOWER}])(?=mẫu|mau|văn bản|van ban|đơn|don|báo cáo|bao cao|bản khai|tờ khai|to khai|phụ lục|phu luc)"
)


def _split_forms(cell: str) -> tuple[str, tuple[str, ...], bool]:
    """Split "<name><form file>...<form file>" into the name and the form file names."""
    extensions = list(_FORM_EXT.finditer(cell))
    if not extensions or not _FORM_EXT_AT_END.search(cell):
        return cell, (), True
    # Every extension ends a form; the forms after the first one follow each other directly.
    ends = [m.end() for m in extensions]
    first_end = ends[0]
    window_start = max(0, first_end - 160)

    # Take the leftmost start whose file name does not read like a sentence, preferring strong
    # signs. File names have no "; " and only short ones have ", ".
    def reads_like_file_name(start: int) -> bool:
        name = cell[start:first_end]
        return "; " not in name and (len(name) <= 100 or ", " not in name)

    start = None
    for pattern in (_FORM_START_STRONG, _FORM_START_WEAK, _FORM_START_WORD):
        starts = (m.start() for m in pattern.finditer(cell, window_start, extensions[0].start()))
        start = next((s for s in starts if reads_like_file_name(s)), None)
        if start is not None:
            break
    if start is None:
        if first_end > 40 or not reads_like_file_name(0):
            return cell, (), False
        start = 0  # the whole cell is a file name ("Mẫu đơn (3).docx"); the row has no name
    forms = []
    previous = start
    for end in ends:
        forms.append(cell[previous:end].strip())
        previous = end
    return cell[:start], tuple(f for f in forms if f), True


def _parse_rows(body: str, group: str) -> tuple[list[DocumentItem], str, list[str]]:
    """Rows of one table; returns the items, the text after the last row and problems found."""
    items: list[DocumentItem] = []
    problems: list[str] = []
    row_start = 0
    for match in _QUANTITY.finditer(body):
        if not _is_quantity_cell(body, match):
            continue
        run = match["run"]
        cell = body[row_start : match.start()] + run[:-1]
        row_start = match.end()
        name, forms, forms_ok = _split_forms(_clean(cell))
        if not forms_ok:
            problems.append(f"documents: cannot tell the form file from the name in {name[-60:]!r}")
        name = _strip_bullet(_tidy(name))
        if not name and forms:
            name = forms[0]
        if not name:
            continue  # a quantity with neither name nor form: an empty row on the portal
        items.append(
            DocumentItem(
                name=name,
                originals=int(run[-1]),
                copies=int(match["copies"]) if match["copies"] is not None else None,
                form="; ".join(forms),
                group=group,
            )
        )
    return items, body[row_start:], problems


def _heading(text: str) -> str:
    heading = _tidy(text)
    if _is_filler(heading):
        return ""
    return _strip_bullet(heading).rstrip(":").strip()


def _parse_documents(text: str) -> tuple[tuple[DocumentItem, ...], bool, list[str]]:
    if _is_filler(text):
        return (), True, []
    tables = text.split(_DOCS_HEADER)
    if len(tables) == 1:
        return (), False, ["documents: table header missing"]
    items: list[DocumentItem] = []
    notes: list[str] = []
    ok = True
    # Text before each header is that table's heading: the case it covers ("* Giấy tờ phải nộp:").
    heading = _heading(tables[0])
    for body in tables[1:]:
        table_items, trailing, problems = _parse_rows(body, heading)
        if not table_items and not _is_filler(body):
            ok = False
            notes.append(f"documents: no quantity found in table {heading or 'without heading'!r}")
            trailing = ""
        items.extend(table_items)
        notes.extend(problems)
        ok = ok and not problems
        heading = _heading(trailing)
    if heading:
        ok = False
        notes.append(f"documents: text after the last row: {heading[:60]!r}")
    return tuple(items), ok, notes


# --- legal basis (can_cu_phap_ly) ---------------------------------------------------------------

_LEGAL_HEADER = "Tên văn bản pháp lýMã văn bản"
# The last part of a document number names its issuer (Nghị định 30/2020/NĐ-CP, Phụ lục I).
# Listing them is what stops a number from swallowing the first letters of the next, glued cell
# ("…/NĐ-CPNghị định…").
_ISSUERS = {
    "CP": "Chính phủ",
    "TTg": "Thủ tướng Chính phủ",
    "TTG": "Thủ tướng Chính phủ",
    "QH": "Quốc hội",
    "UBTVQH": "Ủy ban Thường vụ Quốc hội",
    "CTN": "Chủ tịch nước",
    "VPCP": "Văn phòng Chính phủ",
    "VPQH": "Văn phòng Quốc hội",
    "BTC": "Bộ Tài chính",
    "BTP": "Bộ Tư pháp",
    "BCA": "Bộ Công an",
    "BQP": "Bộ Quốc phòng",
    "BNG": "Bộ Ngoại giao",
    "BNV": "Bộ Nội vụ",
    "BXD": "Bộ Xây dựng",
    "BCT": "Bộ Công Thương",
    "BYT": "Bộ Y tế",
    "BGDĐT": "Bộ Giáo dục và Đào tạo",
    "BKHCN": "Bộ Khoa học và Công nghệ",
    "BVHTTDL": "Bộ Văn hóa, Thể thao và Du lịch",
    "BNNMT": "Bộ Nông nghiệp và Môi trường",
    "BNNPTNT": "Bộ Nông nghiệp và Phát triển nông thôn",
    "BTNMT": "Bộ Tài nguyên và Môi trường",
    "BGTVT": "Bộ Giao thông vận tải",
    "BKHĐT": "Bộ Kế hoạch và Đầu tư",
    "BLĐTBXH": "Bộ Lao động - Thương binh và Xã hội",
    "BTTTT": "Bộ Thông tin và Truyền thông",
    "NHNN": "Ngân hàng Nhà nước Việt Nam",
    "UBND": "Ủy ban nhân dân",
    "HĐND": "Hội đồng nhân dân",
    "TANDTC": "Tòa án nhân dân tối cao",
    "VKSNDTC": "Viện kiểm sát nhân dân tối cao",
    "KTNN": "Kiểm toán nhà nước",
    "UBDT": "Ủy ban Dân tộc",
    "BHXH": "Bảo hiểm xã hội Việt Nam",
}
# Longest first, so that an alternation picks "BNNPTNT" over a shorter code it starts with.
# Quốc hội numbers carry the legislature: "QH15".
_ISSUER_CODE = "|".join(
    re.escape(code) + (r"\d{2}" if code in ("QH", "UBTVQH") else "") for code in sorted(_ISSUERS, key=len, reverse=True)
)
# Numbers carry the year ("123/2015/NĐ-CP"), except individual decisions ("2338/QĐ-BTP"). The
# look-behind keeps dates ("ngày 31/12/2023") out; a year glued in front ("Luật Cư trú
# 202068/2020/QH14") is left out of the number. An unknown suffix is still matched, stopping
# before a capitalised word glued after it, so that the row can be split and flagged.
_LEGAL_NUMBER = re.compile(
    r"(?<!/)(?<!/\d)(?<!/\d\d)(?<!/\d{3})(?:(?:19|20)\d\d(?=\d{1,4}(?:\.\d+)?/))?"
    r"(?P<number>\d+(?:\.\d+)?/"
    r"(?:\d{4}(?:/"
    rf"(?:(?:[A-ZĐ]+-)*(?P<issuer>{_ISSUER_CODE})|(?P<unknown>[{_UPPER}](?:[{_UPPER}_/-](?![{_LOWER}]))*))"
    r")?"
    rf"|(?:[A-ZĐ]+-)+(?P<issuer_no_year>{_ISSUER_CODE})))"
)
# Words that, glued right after a number, continue the same cell ("TT-BCAngày 01/7/2025").
_GLUED_CONTINUATION = re.compile(r"(?:ngày|của|về|và|do|năm|tại)\b")
_DOC_TYPE = r"(?:Luật|Bộ luật|Nghị định|Thông tư liên tịch|Thông tư|Nghị quyết|Quyết định|Pháp lệnh)"
# The number cell may repeat the document type ("Luật số 32/2024/QH15", "số 59/2025/TT-NHNN");
# glued to the previous name cell, that prefix belongs to the number, not to the name.
_NUMBER_PREFIX_WORDS = rf"(?:{_DOC_TYPE}(?: số)?|[Ss]ố):?"
_NUMBER_PREFIX = re.compile(rf"(?<=\S){_NUMBER_PREFIX_WORDS}\s*$")
_NUMBER_PREFIX_START = re.compile(rf"(?:{_NUMBER_PREFIX_WORDS})?\s*")
_DOC_TYPE_ONLY = re.compile(rf"\s*{_DOC_TYPE}(?: số)?\s*")
_DANGLING_SO = re.compile(rf"(?:{_DOC_TYPE} )?[Ss]ố:?")
_NAME_AFTER_STOP = re.compile(rf"[.;]{_CAPITALISED}")
_NAME_AFTER_SPACE = re.compile(rf"\s+{_CAPITALISED}")
# A cell boundary left inside a name: a word or number glued to a capitalised word.
_GLUED_WORDS = re.compile(rf"[{_LOWER}0-9]{_CAPITALISED}")
_DATE_NUMERIC = r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})"
_DATE_WORDS = r"(\d{1,2}) tháng (\d{1,2}) năm (\d{4})"
_ISSUED = re.compile(rf"(?:ngày\s+)+(?:{_DATE_NUMERIC}|{_DATE_WORDS})")


def _issuer_name(number: str) -> str:
    """The issuer(s) the number's suffix names: "TTLT-BYT-BCT" is a joint one."""
    names = []
    for part in number.split("/")[-1].split("-"):
        key = re.sub(r"\d{2}$", "", part) if part.startswith(("QH", "UBTVQH")) else part
        if key in _ISSUERS and _ISSUERS[key] not in names:
            names.append(_ISSUERS[key])
    return ", ".join(names)


def _issued_date(name: str, number: str) -> str:
    """The issue date written in the name, when it is the date of this document (not one it cites)."""
    match = _ISSUED.search(name)
    if match is None or any(m["number"] != number for m in _LEGAL_NUMBER.finditer(name, 0, match.start())):
        return ""
    day, month, year = (g for g in match.groups() if g is not None)
    return f"{int(day):02d}/{int(month):02d}/{year}"


def _ends_entry(body: str, row_start: int, start: int, end: int) -> bool:
    """Whether the number at ``start:end`` is a number cell (ending a row) or cited inside a name."""
    rest = body[end:]
    if not rest.strip():
        return True
    prefix = _NUMBER_PREFIX_START.match(rest)
    assert prefix is not None  # the pattern matches the empty string too
    if rest[prefix.end() :].startswith(body[start:end]):
        return False  # the number cell repeats the number the name ends with: "Luật 60/2014/QH1360/…"
    first = rest[0]
    if first.isdigit():
        # Either the name ended with a number cited in it and the number cell follows ("…bởi Nghị
        # định số 232/2025/NĐ-CP34/2025/TT-NHNN"), or the next row is only a number, repeated in
        # its own number cell ("…/TT-BTC01/2013/TT-BVHTTDL01/2013/TT-BVHTTDL").
        following = _LEGAL_NUMBER.match(body, end)
        return following is not None and not _ends_entry(body, end, following.start("number"), following.end())
    if start and body[start - 1] in ";.)":
        return True  # glued to the end of the name cell ("…ngày 18/01/2024;31/2024/QH15")
    if _NAME_AFTER_STOP.match(rest):
        return True  # the next name is glued after a full stop ("…/TT-BTC.Nghị định số…")
    if first.isalpha():
        return _GLUED_CONTINUATION.match(rest) is None
    if first.isspace():
        # A capitalised word after a space starts the next row, unless the number is the one the
        # name opens with ("Quyết định 24/2024/QĐ-UBND Sơn La…").
        opens_name = _DOC_TYPE_ONLY.fullmatch(body[row_start:start]) is not None
        return not opens_name and _NAME_AFTER_SPACE.match(rest) is not None
    return False


def _parse_legal(text: str) -> tuple[tuple[LegalBasis, ...], bool, list[str]]:
    if not text:
        return (), True, []
    if not text.startswith(_LEGAL_HEADER):
        return (), False, ["legal basis: table header missing"]
    body = text[len(_LEGAL_HEADER) :]
    entries: list[LegalBasis] = []
    notes: list[str] = []
    ok = True
    row_start = 0
    for match in _LEGAL_NUMBER.finditer(body):
        if not _ends_entry(body, row_start, match.start("number"), match.end()):
            continue
        number = match["number"]
        cell = _NUMBER_PREFIX.sub("", body[row_start : match.start("number")])
        # Put back the space lost between a cited number and the word after it ("TT-BCAngày").
        cell = _LEGAL_NUMBER.sub(  # the lambda reads this row's cell: sub calls it before the loop moves on
            lambda cited: cited.group() + (" " if _GLUED_CONTINUATION.match(cell, cited.end()) else ""),  # noqa: B023
            cell,
        )
        name = _one_line(_tidy(cell)).strip(" ;,.")
        row_start = match.end()
        if match["unknown"] is not None:
            # The row is split cleanly but the portal's number is mistyped ("118/2025/NĐ-C");
            # it is kept as written, with no issuer.
            notes.append(f"legal basis: unknown issuer in number {number!r}")
        elif match["issuer"] is None and match["issuer_no_year"] is None:
            # A number cell cut short ("46/2020") is completed from the same number in the name.
            in_name = next((m for m in _LEGAL_NUMBER.finditer(name) if m["number"].startswith(f"{number}/")), None)
            if in_name is not None and in_name["issuer"] is not None:
                number = in_name["number"]
            else:
                ok = False
                notes.append(f"legal basis: incomplete number {number!r}")
        if not name:
            ok = False
            notes.append(f"legal basis: no name for {number!r}")
            name = number
        elif _DANGLING_SO.fullmatch(name):
            # A name that stops at "số" ("Thông tư số") lost its number: cells are split elsewhere.
            ok = False
            notes.append(f"legal basis: name {name!r} has no number")
        elif re.search(r"(?<!\d)[;.]\d+(?:\.\d+)?/\d{4}/\S+\s", name) or _GLUED_WORDS.search(name):
            # A number glued after punctuation and followed by more text, or a word glued to the
            # next ("…con nuôiLuật…", "…khen thưởng 202206Quy định…"): two rows read as one.
            ok = False
            notes.append(f"legal basis: rows run together in {name[:60]!r}")
        entries.append(
            LegalBasis(name=name, number=number, issued=_issued_date(name, number), issuer=_issuer_name(number))
        )
    leftover = _tidy(body[row_start:])
    if leftover:
        ok = False
        notes.append(f"legal basis: text after the last number: {leftover[:60]!r}")
    if not entries:
        ok = False
        notes.append("legal basis: no document number found")
    return tuple(entries), ok, notes


# --- steps, result ------------------------------------------------------------------------------

_STEP_WORD = re.compile(r"Bước\s*\d+", re.IGNORECASE)
_LINE_MARKERS = {
    "dash": re.compile(r"^[-–•]\s*"),
    "star": re.compile(r"^\*\s*"),
    "plus": re.compile(r"^\+\s*"),
    "number": re.compile(r"^\d+(?:\.\d+)*[.)]\s*"),
    "letter": re.compile(r"^[a-zđ][.)]\s+"),
}


def _line_kind(line: str) -> str:
    return next((kind for kind, marker in _LINE_MARKERS.items() if marker.match(line)), "")


def _parse_steps(text: str) -> tuple[str, ...]:
    """Split the procedure's sequence into steps; sub-points stay with the step they belong to."""
    if not text:
        return ()
    if _STEP_WORD.search(text):
        # "Bước N" starts a step at the start of a line (after any bullet) or after a sentence end.
        cuts = []
        for match in _STEP_WORD.finditer(text):
            line_start = text.rfind("\n", 0, match.start()) + 1
            if re.fullmatch(r"[\s\-–+*•]*(?:[a-zđ]\)|\d+[.)])?\s*", text[line_start : match.start()]):
                cuts.append(line_start)  # cut before the bullet or label so it goes with its step
            elif re.search(r"[.;:!?]\s*$", text[line_start : match.start()]):
                cuts.append(match.start())
        pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    else:
        lines = [line for line in text.split("\n") if line.strip()]
        kinds = [_line_kind(line) for line in lines]
        top = next((kind for kind in kinds if kind), "")
        pieces = []
        for line, kind in zip(lines, kinds, strict=True):
            if not pieces or not top or kind == top:
                pieces.append(line)
            else:
                pieces[-1] += "\n" + line
    return tuple(step for step in (_strip_bullet(_tidy(p)) for p in pieces) if step)


# The page's interface trails the result cell: keywords, description, an agency picker, a button.
_RESULT_TAIL = re.compile(r"Từ khóa.*?Mô tả(?P<description>.*?)(?:Chọn cơ quan thực hiện.*)?$", re.DOTALL)
# Each result is followed by its catalogue code ("Giấy khai sinhMã: KQ.G15.000031").
# The code is the rest of the text, or runs until the next result's name, which opens with a
# word, an acronym or a bullet.
_RESULT_CODE = re.compile(
    rf"Mã: ?(?:\S+$|[\w.\-]*?(?={_CAPITALISED}|[{_UPPER}]{{2,}}\s|[{_LOWER}]{{2,}}\s|[-+*•]\s|$))"
)


def _parse_result(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    description = ""
    tail = _RESULT_TAIL.search(text)
    if tail is not None:
        description = _tidy(tail["description"])
        text = text[: tail.start()]
    names = [_strip_bullet(_tidy(name)).rstrip(";") for name in _RESULT_CODE.split(text)]
    parts = [name for name in names if name]
    if description:
        parts.append(description)
    return "\n".join(parts)


# --- records ------------------------------------------------------------------------------------


_TABLE_FIELDS = ("cach_thuc_thuc_hien", "thanh_phan_ho_so", "can_cu_phap_ly")


def parse_portal_record(record: dict) -> ParsedRecord:
    """Turn one crawled portal record into a Procedure; never raises on odd field contents."""

    def field(name: str) -> str:
        return _tidy(record.get(name))

    # The table fields are parsed from cleaned but not unglued text: the glue marks cell boundaries.
    tables = {name: _clean(record.get(name)) for name in _TABLE_FIELDS}
    notes: list[str] = []
    raw: dict[str, str] = {}
    methods, methods_ok, method_notes = _parse_methods(tables["cach_thuc_thuc_hien"])
    documents, documents_ok, document_notes = _parse_documents(tables["thanh_phan_ho_so"])
    legal, legal_ok, legal_notes = _parse_legal(tables["can_cu_phap_ly"])
    for name, ok, field_notes in (
        ("cach_thuc_thuc_hien", methods_ok, method_notes),
        ("thanh_phan_ho_so", documents_ok, document_notes),
        ("can_cu_phap_ly", legal_ok, legal_notes),
    ):
        notes.extend(field_notes)
        if not ok:
            raw[name] = tables[name]
    code = field("ma_thu_tuc")
    if not code:
        notes.append("record: no ma_thu_tuc")
    url = field("detail_url")
    procedure = Procedure(
        code=code,
        name=_one_line(field("ten_thu_tuc")),
        field=field("linh_vuc"),
        levels=tuple(level.strip() for level in field("cap_thuc_hien").split(",") if level.strip()),
        implementing_agencies=field("co_quan_thuc_hien"),
        competent_agencies=field("co_quan_co_tham_quyen"),
        filing_address=field("dia_chi_tiep_nhan"),
        applicants=field("doi_tuong_thuc_hien"),
        documents=documents,
        steps=_parse_steps(field("trinh_tu_thuc_hien")),
        methods=methods,
        conditions=field("yeu_cau_dieu_kien"),
        legal_basis=legal,
        result=_parse_result(str(record.get("ket_qua_xu_ly") or "")),
        portal_url=url,
        source_url=url,
        decision=field("so_quyet_dinh"),
        raw=raw,
    )
    return ParsedRecord(procedure, methods_ok, documents_ok, legal_ok, tuple(dict.fromkeys(notes)))


def bundled_national_path() -> Path:
    """The national layer shipped with wardbot: every procedure of the National Public Service
    Portal (2,642 records as of July 2026), the portal JSONL compressed with xz."""
    return Path(str(resources.files("knowledge").joinpath("national", "procedures.jsonl.xz")))


def open_text(path: str | Path) -> TextIO:
    """A UTF-8 text file, decompressed on the fly when its name ends in ``.xz`` or ``.gz``."""
    suffix = Path(path).suffix
    if suffix == ".xz":
        return lzma.open(path, "rt", encoding="utf-8")
    if suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def iter_portal_jsonl(path: str | Path, *, level: str | None = None) -> Iterator[ParsedRecord]:
    """Stream parsed records from a portal JSONL file (plain, or compressed as ``.xz``/``.gz``),
    optionally only those done at ``level``."""
    with open_text(path) as lines:
        for line_no, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                message = f"invalid JSON: {error.msg} (column {error.colno})"
                raise PortalFormatError(path, line_no, message) from None
            except ValueError as error:  # valid JSON that Python refuses: an integer of 4,300+ digits
                raise PortalFormatError(path, line_no, f"invalid JSON: {error}") from None
            except RecursionError:
                raise PortalFormatError(path, line_no, "invalid JSON: nested too deeply") from None
            if not isinstance(record, dict):
                raise PortalFormatError(path, line_no, f"expected a JSON object, got {type(record).__name__}")
            parsed = parse_portal_record(record)
            if level is None or level in parsed.procedure.levels:
                yield parsed
