"""Knowledge-base entries rendered as replies: the procedure card, its sections, FAQ answers.

The card is what a citizen reads on a phone, so it is short: the papers everyone needs (the form
first), then those only some cases need, or the cases themselves when every paper depends on one;
one line per way of filing with what the record says of its fee (a period, an exemption, who sets
it); where to file, the main legal documents, the source. "Xem thêm" shows the rest of the record
and offers its long parts (documents, steps, conditions, legal basis) one at a time, as buttons; a
follow-up ("lệ phí bao nhiêu?") renders only the section asked about. Every fact comes from the
entry as the portal or the ward wrote it (a time's unit only from the record's own text); the only
rule added here is where to file after the 2025 reform (NĐ 118/2025/NĐ-CP).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from urllib.parse import urlparse

from knowledge import Channel, DocumentItem, Entry, Faq, LegalBasis, Procedure, SubmissionMethod
from retrieval import fold, syllables

from . import _catalogue as text
from ._intent import Section, more_data, section_data, vote_data
from ._messages import Button, Reply

__all__ = [
    "answer_reply",
    "choice_titles",
    "details_reply",
    "entry_title",
    "procedure_card",
    "procedure_sections",
]

# How much of each list the short card shows; "Xem thêm" shows the rest.
CARD_DOCUMENTS = 4  # papers everyone needs
CARD_CONDITIONAL = 3  # papers or cases only some need
CARD_CASES = 8  # cases, when every paper depends on the case
CARD_LEGAL = 3
DOCUMENT_NAME_CHARS = 90
GROUP_NAME_CHARS = 70
CASE_CHARS = 90  # the case that tells two ways of filing apart
FEE_NOTE_CHARS = 170  # what the card quotes of a fee's note
AGENCY_CHARS = 160
SHORT_LAW_NAME_CHARS = 40  # a law's name short enough to print beside its number ("Luật Cư trú 2020")
FAQ_ANSWER_CHARS = 700
TITLE_CHARS = 60  # a choice button's label: Telegram shows about this much of a full-width button
HEADING_CHARS = 200  # a procedure's name atop the card and sections; "Xem thêm" shows it whole

WARD_LEVEL = "Cấp xã"  # the portal's "cấp thực hiện" value for communes and wards
PORTAL_HOST = "dichvucong.gov.vn"
# Portal field names whose raw text ``Procedure.raw`` keeps when the parser could not structure it.
RAW_METHODS, RAW_DOCUMENTS, RAW_LEGAL = "cach_thuc_thuc_hien", "thanh_phan_ho_so", "can_cu_phap_ly"
# The long parts "Xem thêm" offers as buttons, in this order.
DETAIL_SECTIONS = (Section.DOCUMENTS, Section.STEPS, Section.CONDITIONS, Section.LEGAL)

# "7,000 Việt Nam Đồng" → "7.000 đồng": the portal writes thousands with commas, citizens with dots.
_AMOUNT = re.compile(r"(\d{1,3}(?:,\d{3})+|\d+) ?(?:Việt Nam Đồng|VNĐ|VND|đồng)", re.IGNORECASE)
_BARE_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_LAW_NUMBER = re.compile(r"/QH\d*$")
_DECREE_NUMBER = re.compile(r"/NĐ-CP$")
# A legal document's number as notes cite it: "64/2025/TT-BTC", "123/2015/NĐ-CP".
_CITED_NUMBER = re.compile(r"\d+(?:\.\d+)?/\d{4}/[A-ZĐ][\w-]*[A-Za-zĐ0-9]")


# --- small helpers ------------------------------------------------------------------------------


def _shorten(value: str, limit: int) -> str:
    """``value`` cut at a word boundary to at most ``limit`` characters, marked with an ellipsis."""
    value = " ".join(value.split())
    if len(value) <= limit:
        return value
    cut = value.rfind(" ", 0, limit)
    return value[: cut if cut > limit // 2 else limit].rstrip(" ,;:.") + text.ELLIPSIS


def _shorten_answer(value: str, limit: int) -> str:
    """An answer cut to at most ``limit`` characters where a line ends if one ends late enough,
    else at a word boundary, keeping its paragraphs and lists; marked with an ellipsis."""
    if len(value) <= limit:
        return value
    window = value[:limit]
    line_end = window.rfind("\n")
    if line_end > limit // 2:
        return value[:line_end].rstrip() + "\n" + text.ELLIPSIS
    cut = window.rfind(" ")
    return value[: cut if cut > limit // 2 else limit].rstrip(" ,;:.") + text.ELLIPSIS


def _block(*lines: str) -> str:
    return "\n".join(line for line in lines if line)


def _date(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else text.UPDATED_UNKNOWN


def entry_title(entry: Entry, limit: int = TITLE_CHARS) -> str:
    """What an entry is called on a choice button."""
    return _shorten(_entry_name(entry), limit)


def _entry_name(entry: Entry) -> str:
    return " ".join((entry.name if isinstance(entry, Procedure) else entry.question).split()).rstrip(" .")


def _shared_prefix(words: Sequence[str], other: Sequence[str]) -> int:
    count = 0
    for mine, theirs in zip(words, other, strict=False):
        if fold(mine) != fold(theirs):
            break
        count += 1
    return count


# Words a cut head should not end on: they lead into what was cut ("Thủ tục hải quan đối với…").
_DANGLING = frozenset("doi voi cua ve va cho tai cac theo trong thuoc do hoac la co nhung de tu den".split())
CHOICE_CONTEXT_WORDS = 1  # words kept before the one that tells a choice apart ("… của cư dân biên giới")


def _distinguishing_title(words: Sequence[str], differs_at: int, limit: int) -> str:
    """The name within ``limit``: whole when it fits; cut at its end when the word that tells it
    apart from the others still shows; else its first words, "…", and its end from just before
    that word."""
    name = " ".join(words)
    if len(name) <= limit or len(" ".join(words[: differs_at + 1])) < limit:
        return _shorten(name, limit)
    start = max(differs_at - CHOICE_CONTEXT_WORDS, 1)
    tail = " ".join(words[start:])
    if len(tail) > limit * 2 // 3:
        tail = _shorten(tail, limit * 2 // 3)
    budget = limit - len(tail) - len(text.ELLIPSIS) - 1
    head: list[str] = []
    for word in words[:start]:
        if len(" ".join([*head, word])) > budget:
            break
        head.append(word)
    while len(head) > 1 and fold(head[-1]).strip(",;:") in _DANGLING:
        head.pop()
    return f"{' '.join(head).rstrip(' ,;:')}{text.ELLIPSIS} {tail}" if head else _shorten(name, limit)


def choice_titles(entries: Sequence[Entry], limit: int = TITLE_CHARS) -> list[str]:
    """Labels for entries offered side by side ("Ý anh/chị là…?"), each within ``limit`` and
    showing the words that tell it from the others, which a plain cut loses when the names share
    a long start ("Thủ tục hải quan đối với xăng dầu, hóa chất, khí, nguyên liệu xuất khẩu…" /
    "… nhập khẩu…"). Names that still read the same get the level that handles each, else the
    code."""
    words = [_entry_name(entry).split() for entry in entries]
    labels = []
    for i, mine in enumerate(words):
        others = [
            other for j, other in enumerate(words) if j != i and [fold(w) for w in other] != [fold(w) for w in mine]
        ]
        differs_at = max((_shared_prefix(mine, other) for other in others), default=0)
        labels.append(_distinguishing_title(mine, differs_at, limit))
    folded = [fold(label) for label in labels]
    for i, entry in enumerate(entries):
        twins = [j for j, label in enumerate(folded) if label == folded[i]]
        if len(twins) < 2:
            continue
        levels = [", ".join(level.lower() for level in getattr(entries[j], "levels", ())) for j in twins]
        own = levels[twins.index(i)]
        if own and levels.count(own) == 1:
            room = limit - len(text.CHOICE_LEVELS.format(label="", levels=own))
            labels[i] = text.CHOICE_LEVELS.format(label=_shorten(labels[i], room), levels=own)
        else:
            room = limit - len(text.CHOICE_CODE.format(label="", code=entry.entry_id))
            labels[i] = text.CHOICE_CODE.format(label=_shorten(labels[i], room), code=entry.entry_id)
    return labels


def vote_row(entry_id: str) -> tuple[Button, ...]:
    return (
        Button(text.HELPFUL_BUTTON, data=vote_data(entry_id, True)),
        Button(text.NOT_HELPFUL_BUTTON, data=vote_data(entry_id, False)),
    )


# --- documents ----------------------------------------------------------------------------------

# What a document list's heading says: papers everyone brings, explanations, or one case of several.
COMMON, NOTES, CASE = "common", "notes", "case"
# Numbering before a heading or a paper: "(1.1)", "1.", "(ii)", "a)", "9", "(*)", "I.".
_NUMBERING = re.compile(r"^\s*(?:\([\w.*]{1,6}\)|[0-9]+(?:\.[0-9]+)*[.)]?|[ivxIVX]{1,4}[.)]|[a-zđ][.)])\s*")
# "…, hồ sơ gồm:" closing a case's heading adds nothing to its name on a card.
_GROUP_TAIL = re.compile(r"[,:\s]*(?:(?:thành phần )?hồ sơ|giấy tờ)?\s*(?:bao gồm|gồm)(?: có)?\s*:?\s*$", re.IGNORECASE)
_KIND_HEADING = re.compile(r"(?:cac |nhung )?(?:giay to|chung tu|tai lieu|ho so|thanh phan ho so)\b")
# The paper to fill in: the portal lists it anywhere, citizens start with it.
_FORM_WORDS = (
    "to khai", "don ", "mau ", "ban khai", "phieu ", "van ban de nghi", "giay de nghi", "to trinh", "bieu mau",
)  # fmt: skip
_CONDITION_WORDS = ("truong hop", "doi voi truong hop", "doi voi", "neu ", "ngoai ra")


def _is_note(item: DocumentItem) -> bool:
    """The portal lists explanations ("Trường hợp … thì không phải nộp") as rows with no copies."""
    return item.originals == 0 and not item.copies


def _count(item: DocumentItem) -> str:
    parts = []
    if item.originals:
        parts.append(text.COUNT_ORIGINALS.format(n=item.originals))
    if item.copies:
        parts.append(text.COUNT_COPIES.format(n=item.copies))
    return ", ".join(parts)


def _document_line(item: DocumentItem, name_limit: int | None) -> str:
    name = _shorten(item.name, name_limit) if name_limit else item.name
    count = _count(item)
    return text.DOCUMENT_LINE_COUNTED.format(name=name, count=count) if count else text.DOCUMENT_LINE.format(name=name)


def _group_kind(group: str) -> str:
    """Whether a list's heading holds papers everyone needs ("Giấy tờ phải nộp", none at all),
    explanations ("Lưu ý") or one case among several ("(1.7) Đối với công trình nhà ở riêng lẻ",
    "Trường hợp ủy quyền …", "Đăng ký tạm trú theo danh sách, hồ sơ gồm")."""
    folded = fold(_NUMBERING.sub("", group)).strip(" :.-*")
    if not folded:
        return COMMON
    if folded.startswith(("luu y", "ghi chu", "chu y")):
        return NOTES
    if _KIND_HEADING.match(folded) and not any(word in folded for word in ("truong hop", "doi voi")):
        return COMMON
    return CASE


def _is_form(item: DocumentItem) -> bool:
    return bool(item.form) or fold(_NUMBERING.sub("", item.name)).startswith(_FORM_WORDS)


def _is_conditional(item: DocumentItem) -> bool:
    """A paper needed only in some case ("Trường hợp trẻ em bị bỏ rơi thì …", "Văn bản ủy quyền …
    trong trường hợp ủy quyền"), which the portal may list before the ones everyone needs."""
    folded = fold(_NUMBERING.sub("", item.name)).lstrip("( ")
    return folded.startswith(_CONDITION_WORDS) or any(
        cue in folded[:160] for cue in (" trong truong hop ", "(neu co", "(truong hop", " neu co yeu cau")
    )


def _rank(item: DocumentItem) -> int:
    """The form first, then the papers everyone needs, then the conditional ones."""
    if _is_form(item):
        return 0
    return 2 if _is_conditional(item) else 1


def _groups(documents: Sequence[DocumentItem]) -> dict[str, list[DocumentItem]]:
    """The papers under each heading, in the portal's order of headings; a heading the portal
    splits in two (papers of one case listed in two places) is put back together."""
    groups: dict[str, list[DocumentItem]] = {}
    for item in documents:
        groups.setdefault(item.group, []).append(item)
    return groups


def _group_label(group: str, limit: int | None) -> str:
    label = _GROUP_TAIL.sub("", group).strip().rstrip(":") or group.rstrip(":")
    return _shorten(label, limit) if limit else label


def _case_line(group: str, items: Sequence[DocumentItem]) -> str:
    return text.DOCUMENT_CASE_LINE.format(group=_group_label(group, GROUP_NAME_CHARS), count=len(items))


def _document_lines(documents: Sequence[DocumentItem], *, short: bool) -> list[str]:
    return _short_document_lines(documents) if short else _full_document_lines(documents)


def _full_document_lines(documents: Sequence[DocumentItem]) -> list[str]:
    """Every paper under its heading: papers everyone needs first (the form at the top of its
    list), then each case, then the explanations; within a list the portal's order otherwise."""
    groups = _groups(documents)
    order = {group: position for position, group in enumerate(groups)}
    kind_order = {COMMON: 0, CASE: 1, NOTES: 2}

    def group_key(group: str) -> tuple[int, int, int]:
        has_form = any(_is_form(item) for item in groups[group])
        return kind_order[_group_kind(group)], 0 if has_form else 1, order[group]

    lines: list[str] = []
    for group in sorted(groups, key=group_key):
        if group:
            lines.append(text.DOCUMENT_GROUP.format(group=group.rstrip(":")))
        for item in sorted(groups[group], key=lambda item: 0 if _is_form(item) and not _is_note(item) else 1):
            if _is_note(item):
                lines.append(text.DOCUMENT_NOTE.format(text=item.name))
            else:
                lines.append(_document_line(item, None))
    return lines


def _short_document_lines(documents: Sequence[DocumentItem]) -> list[str]:
    """The card's papers. Those everyone needs come first, the form at the top, under their
    headings; then, marked as such, what only some cases need: single papers, or a case's whole
    list as one line. When every paper depends on the case (one list per kind of building), the
    cases are listed instead, so that nobody reads another case's papers as their own."""
    groups = {group: [item for item in items if not _is_note(item)] for group, items in _groups(documents).items()}
    order = {group: position for position, group in enumerate(groups)}
    cases = [(group, items) for group, items in groups.items() if _group_kind(group) == CASE and items]
    common_groups = {group for group in groups if _group_kind(group) == COMMON}
    if len(cases) == 1 and not any(groups[group] for group in common_groups):
        common_groups, cases = {cases[0][0]}, []  # one case only: its papers are everyone's
    common = [item for group, items in groups.items() if group in common_groups for item in items]
    ranked = sorted(common, key=lambda item: (_rank(item), order[item.group]))
    everyone = [item for item in ranked if _rank(item) < 2]
    conditional = [item for item in ranked if _rank(item) == 2]
    total = len(common) + sum(len(items) for _, items in cases)

    lines: list[str] = []
    shown = 0
    heading = ""
    for item in everyone[:CARD_DOCUMENTS]:
        if item.group != heading:
            heading = item.group
            if heading:
                lines.append(text.DOCUMENT_GROUP.format(group=_group_label(heading, GROUP_NAME_CHARS)))
        lines.append(_document_line(item, DOCUMENT_NAME_CHARS))
        shown += 1
    if cases and not common:
        lines.append(text.DOCUMENTS_CASES.format(count=len(cases)))
        for group, items in cases[:CARD_CASES]:
            lines.append(_case_line(group, items))
            shown += len(items)
    else:
        extra: list[tuple[str, int]] = [(_document_line(item, DOCUMENT_NAME_CHARS), 1) for item in conditional]
        extra += [(_case_line(group, items), len(items)) for group, items in cases]
        if extra:
            lines.append(text.DOCUMENTS_CONDITIONAL)
        for line, papers in extra[:CARD_CONDITIONAL]:
            lines.append(line)
            shown += papers
    if total > shown:
        lines.append(text.MORE_ITEMS.format(count=total - shown))
    if cases:
        lines.append(text.DOCUMENTS_CASES_HINT)
    return lines


# --- ways of filing: time, fee and the case each applies to ----------------------------------------

_TIME_UNITS = r"ngày làm việc|ngày|giờ làm việc|giờ|tháng|tuần|phút"
_STATED_TIME = re.compile(rf"(?<![\d/.,])0*(\d+)\s*({_TIME_UNITS})\b", re.IGNORECASE)
# "trả kết quả … trong ngày làm việc tiếp theo", "ngay trong ngày nhận đủ hồ sơ": a time of one day.
_SAME_DAY = re.compile(r"ngay trong ngày( làm việc)?|trong (ngày làm việc) tiếp theo", re.IGNORECASE)


def _stated_unit(number: int, passage: str) -> str | None:
    """The unit the passage gives ``number`` ("01 ngày làm việc" for 1), when it gives one unit."""
    units = {match[2].lower() for match in _STATED_TIME.finditer(passage) if int(match[1]) == number}
    if not units and number == 1:
        units = {"ngày làm việc" if any(match.groups()) else "ngày" for match in _SAME_DAY.finditer(passage)}
    return units.pop() if len(units) == 1 else None


def _time(method: SubmissionMethod, procedure: Procedure | None = None) -> str:
    value = method.processing_time.strip()
    if not value:
        return text.NOT_GIVEN
    if _BARE_NUMBER.fullmatch(value):
        # The portal's bare "1": its unit only where the record's own text gives it, else said plainly.
        if procedure is not None and value.isdigit() and int(value) > 0:
            passages = (
                ("description", method.description),
                ("steps", "\n".join(procedure.steps)),
                ("conditions", procedure.conditions),
            )
            for source, passage in passages:
                unit = _stated_unit(int(value), passage)
                if unit:
                    return text.TIME_INFERRED.format(
                        value=f"{value} {unit}", number=value, source=text.TIME_SOURCES[source]
                    )
        return text.TIME_WITHOUT_UNIT.format(value=value)
    # "3 Ngày làm việc" → "3 ngày làm việc"; phrases such as "Không quy định" stay as written.
    return value.lower() if value[0].isdigit() else value


# Kinds of sentence in a fee's note, in the order the card quotes them.
_DATED, _CONDITION, _DETAIL = 0, 1, 2
_PROVINCE, _RULE, _PAYMENT, _NOTHING = 10, 11, 12, 13
# Sentences of a note: at a full stop or at a new capitalised clause after ";", and at bullets.
_NOTE_BREAK = re.compile(r"(?<=\.)\s+(?=\S)|(?<=;)\s+(?=[A-ZĐÀ-Ỹ])|\s+(?=[-+•]\s)|\s*\*\s*")
_NOTE_NOTHING = frozenset(
    {"khong", "khong co", "khong quy dinh", "chua quy dinh", "dong", "mien phi", "mien le phi", "le phi : dong",
     "le phi: dong", "phi : dong", "phi: dong", "khong thu"}
)  # fmt: skip
_PROVINCE_WORDS = ("hoi dong nhan dan", "hdnd", "uy ban nhan dan cap tinh", "uy ban nhan dan tinh", "ubnd tinh")
_RULE_START = (
    "theo quy dinh", "theo ", "thong tu", "nghi dinh", "nghi quyet", "quyet dinh", "quy dinh", "can cu",
    "ap dung muc thu", "ap dung theo", "muc thu theo", "thuc hien theo", "luat ",
)  # fmt: skip
_CONDITION_CUES = (
    "truong hop", "neu ", "doi voi", "mien", "khong thu", "khong phai nop", "dung han", "qua han", "%", "giam",
    "toi da", "tu trang", "chi thu", "chi ap dung", "ap dung", "rieng ", "khi ",
)  # fmt: skip
_PAYMENT_CUES = (
    "tai thoi diem nop", "chuyen vao tai khoan", "chuyen khoan", "hinh thuc nop", "thoi diem nop",
    "chuc nang thanh toan", "thanh toan truc tuyen",
)  # fmt: skip
_STATED_AMOUNT = re.compile(r"\d[\d.,]*\s*(?:triệu\s*)?(?:đồng|đ\b|Đ\b|VNĐ|VND|vnđ|USD)", re.IGNORECASE)
_UNTIL = re.compile(
    r"đến hết ngày (\d{1,2})[/.](\d{1,2})[/.](\d{4})|đến hết ngày (\d{1,2}) tháng (\d{1,2}) năm (\d{4})"
)
# Where a sentence starts citing the rule it follows ("… thực hiện theo quy định tại Thông tư số …").
_CITATION = re.compile(
    r"[\s,(]*(?:(?:được\s+)?(?:thực hiện|áp dụng)\s+)?(?:theo quy định tại|theo quy định của|quy định tại|theo)\s+"
    r"(?=(?:(?:điểm|khoản|Điều|Mục)\s+\S+\s+)*(?:Thông tư|Nghị định|Nghị quyết|Quyết định)\b)",
    re.IGNORECASE,
)
_RULE_NAME = re.compile(
    r"(?:Thông tư liên tịch|Thông tư|Nghị định|Nghị quyết|Quyết định)(?: số)?\s+" + _CITED_NUMBER.pattern
)


def _note_sentences(note: str) -> list[str]:
    """A fee's note split into sentences; a heading ending in ":" stays with what follows it."""
    # "Lệ phí : Đồng (…", "Lệ phí : 400.000 Đồng (…": the portal's form field repeated in the note.
    note = re.sub(r"^(?:(?:Lệ phí|Phí)\s*:\s*)?(?:[\d.,]+\s*)?Đồng\b\s*\(?", "", note.strip())
    if note.count(")") > note.count("("):
        note = note[: note.rfind(")")] + note[note.rfind(")") + 1 :]
    sentences: list[str] = []
    for piece in _NOTE_BREAK.split(note):
        piece = re.sub(r"^[-+•\s]+", "", piece or "").strip().rstrip(" ;.")
        if not piece:
            continue
        if sentences and sentences[-1].endswith(":"):
            sentences[-1] = f"{sentences[-1]} {piece}"
        else:
            sentences.append(piece)
    return sentences


def _sentence_kind(sentence: str) -> int:
    folded = fold(sentence).strip(" .;:-")
    if folded in _NOTE_NOTHING or not re.search(r"[a-z]", folded):
        return _NOTHING
    if any(word in folded for word in _PROVINCE_WORDS) and ("quy dinh" in folded or "quyet dinh" in folded):
        return _PROVINCE
    if any(cue in folded for cue in _PAYMENT_CUES):
        return _PAYMENT
    if _UNTIL.search(sentence):
        return _DATED
    if folded.startswith(_RULE_START):
        # A rule's title ("… quy định mức thu, chế độ thu, nộp, miễn, quản lý …") is no condition;
        # a rule followed by an amount ("Theo … Thông tư số 25/2022/TT-BTC: 20 triệu đồng") is a detail.
        return _DETAIL if _STATED_AMOUNT.search(sentence) else _RULE
    if any(cue in folded for cue in _CONDITION_CUES):
        return _CONDITION
    return _DETAIL


def _until(sentence: str) -> dt.date:
    """The last day of the period a sentence of a fee's note gives ("đến hết ngày 31/12/2026")."""
    match = _UNTIL.search(sentence)
    if match is None:
        return dt.date.min
    day, month, year = (int(group) for group in match.groups() if group is not None)
    try:
        return dt.date(year, month, day)
    except ValueError:
        return dt.date.min


def _cited(sentence: str) -> str:
    """The sentence with the rule it cites cut to the rule's number ("Phí cấp bản sao (nếu có yêu
    cầu) (theo 281/2016/TT-BTC)"), what follows the rule kept ("… (theo 75/2022/TT-BTC) thì công
    dân phải xuất trình …")."""
    match = _CITATION.search(sentence)
    if match is None or match.start() < 15:
        return sentence
    rest = sentence[match.end() :]
    number = _CITED_NUMBER.search(rest)
    goes_on = re.search(r"\s(?:thì|phải)\b|:", rest)
    if number is None or (goes_on is not None and goes_on.start() < number.end()):
        return sentence
    head = sentence[: match.start()].rstrip(" ,;:(")
    return text.FEE_CITED.format(text=head, number=number.group()) + (rest[goes_on.start() :] if goes_on else "")


def _amount(value: str) -> str:
    return _AMOUNT.sub(lambda match: f"{match.group(1).replace(',', '.')} {text.CURRENCY}", value)


def _fee_parts(value: str) -> tuple[str, str]:
    """What the card says a fee is and what it quotes of the record's note (possibly nothing).

    A note that says who sets the fee ("do Hội đồng nhân dân cấp tỉnh quyết định"), states an
    amount after all, or only cites a rule never lets "Miễn phí" stand alone. Of the rest, a
    period ("đến hết ngày 31/12/2026")
    comes first, only the latest when the note lists several, then exemptions and cases, then
    other details; the ways of paying are left to the fee section."""
    value = " ".join(value.split())
    headline, _, note = value.partition(" (")
    headline = _amount(headline.strip())
    sentences = [(sentence, _sentence_kind(sentence)) for sentence in _note_sentences(note)]
    kinds = {kind for _, kind in sentences}
    free = fold(headline) == "mien phi"
    if _PROVINCE in kinds:
        headline = text.FEE_PROVINCE if free or not headline else text.FEE_PROVINCE_AMOUNT.format(fee=headline)
    elif free and any(_STATED_AMOUNT.search(sentence) for sentence, _ in sentences):
        headline = text.FEE_UNCLEAR_AMOUNT  # the amounts follow in the note
    elif free and _RULE in kinds and not kinds & {_DATED, _CONDITION}:
        rule = next(sentence for sentence, kind in sentences if kind == _RULE)
        named = _RULE_NAME.search(rule)
        cited = named.group() if named else re.sub(r"^(?:[Tt]heo quy định (?:của|tại)|[Tt]heo|[Tt]ại)\s+", "", rule)
        headline = text.FEE_UNCLEAR.format(text=_shorten(cited, 70))
    latest = max((_until(sentence) for sentence, kind in sentences if kind == _DATED), default=None)
    quoted = []
    for sentence, kind in sorted(sentences, key=lambda pair: pair[1]):
        if kind == _DATED and latest is not None and _until(sentence) < latest:  # (not None: this one is dated)
            continue  # an earlier period the record also lists, superseded by a later one
        if kind == _DETAIL and sentence.startswith("/") and len(sentence) < 40:
            headline = f"{headline}{sentence}"  # "/hồ sơ": what the amount is for
        elif kind in (_DATED, _CONDITION, _DETAIL):
            quoted.append(_amount(_cited(sentence)))
    return headline, ". ".join(quoted)


def _fee(value: str, *, short: bool) -> str:
    value = value.strip()
    if not value:
        return text.NOT_GIVEN
    headline, quoted = _fee_parts(value)
    if short:
        return headline or _shorten(value, 80)
    _, _, note = " ".join(value.split()).partition(" (")
    note = re.sub(r"^[-+•\s]+", "", note[:-1] if note.endswith(")") else note).strip(" ;")
    if not note or all(_sentence_kind(sentence) in (_NOTHING, _PROVINCE) for sentence in _note_sentences(note)):
        return headline  # nothing the headline does not already say
    return text.FEE_WITH_NOTE.format(fee=headline, text=note)


def _fee_note(value: str) -> str:
    """The card's line under a way of filing with what the fee's note adds, or nothing."""
    _, quoted = _fee_parts(value) if value.strip() else ("", "")
    return text.FEE_NOTE.format(text=_shorten(quoted, FEE_NOTE_CHARS)) if quoted else ""


_CASE_PHRASE = re.compile(r"(?:trường hợp|đối với)\s[^.;:()]{3,}", re.IGNORECASE)
_LEADING_LABEL = re.compile(r"^[-+•*\s]*(?:[a-zđ0-9][.)]\s*)?([^:.;]{5,120}):")


def _method_case(method: SubmissionMethod) -> str:
    """The case a way of filing's description names ("trường hợp cần xác minh"), preferring the
    sentence that states its time; else the label its description opens with."""
    description = " ".join(method.description.split())
    if not description:
        return ""
    sentences = re.split(r"(?<=[.;])\s+", description)
    number = re.match(r"\d+", method.processing_time.strip())
    stating = [s for s in sentences if number and re.search(rf"(?<!\d)0*{number.group()}\s*(?:ngày|giờ|tháng)", s)]
    for sentence in [*stating, *sentences]:
        match = _CASE_PHRASE.search(sentence)
        if match:
            case = match.group().strip(" ,")
            return _shorten(case[0].lower() + case[1:], CASE_CHARS)
    label = _LEADING_LABEL.match(description)
    return _shorten(label.group(1).strip(), CASE_CHARS) if label else ""


def _method_labels(methods: Sequence[SubmissionMethod]) -> list[str]:
    """The case of each way of filing that the portal lists more than once with different times
    or fees (two "Trực tuyến" rows: 1 day when the data is in the national database, 3 when it
    must be checked), as its description names it; empty for the others, and for a way of filing
    whose rows the descriptions do not tell apart."""
    labels = [""] * len(methods)
    for channel in dict.fromkeys(method.channel for method in methods):
        rows = [i for i, method in enumerate(methods) if method.channel is channel]
        values = {(methods[i].processing_time, methods[i].fee) for i in rows}
        if len(rows) < 2 or len(values) < 2:
            continue
        cases = [_method_case(methods[i]) for i in rows]
        if all(cases) and len(set(cases)) == len(cases):
            for i, case in zip(rows, cases, strict=True):
                labels[i] = case
    return labels


def _by_channel(methods: Sequence[SubmissionMethod], value: Callable[[SubmissionMethod], str]) -> list[tuple[str, str]]:
    """``(channels, value)`` with the channels that share a value (and case) joined, in the
    portal's order; a case that tells two rows of one channel apart follows the channels."""
    groups: dict[tuple[str, str], list[str]] = {}
    for method, case in zip(methods, _method_labels(methods), strict=True):
        channel = text.CHANNEL_NAMES[method.channel]
        names = groups.setdefault((case, value(method)), [])
        if channel not in names:
            names.append(channel)
    lines = []
    for (case, shared), channels in groups.items():
        joined = text.CHANNEL_SEPARATOR.join(channels)
        lines.append((text.METHOD_CASE.format(channels=joined, group=case) if case else joined, shared))
    return lines


def _method_lines(procedure: Procedure) -> list[str]:
    def time_and_fee(method: SubmissionMethod) -> str:
        return "\0".join((_time(method, procedure), _fee(method.fee, short=True), _fee_note(method.fee)))

    lines = []
    for channels, shared in _by_channel(procedure.methods, time_and_fee):
        time, fee, note = shared.split("\0")
        lines.append(text.METHOD_LINE.format(channels=channels, time=time, fee=fee))
        if note:
            lines.append(note)
    return lines


def _online(procedure: Procedure) -> SubmissionMethod | None:
    return next((m for m in procedure.methods if m.channel is Channel.ONLINE), None)


# --- where to file --------------------------------------------------------------------------------


def _at_ward_centre(procedure: Procedure) -> bool:
    """Whether the ward's service centre receives this procedure: a commune-level procedure that
    the commune's People's Committee handles (or, with no agency named, one done only at commune
    level). Procedures of the commune police (residence, ID cards) are received by the police, and
    those of another body (a register's keeper) by that body, so the centre rule is not stated."""
    if WARD_LEVEL not in procedure.levels:
        return False
    words = f" {' '.join(syllables(f'{procedure.filing_address} {procedure.implementing_agencies}'))} "
    if " cong an " in words:
        return False
    if not words.strip():
        return procedure.levels == (WARD_LEVEL,)
    return any(f" {marker} " in words for marker in ("uy ban", "ubnd", "xa", "phuong"))


def _where_lines(procedure: Procedure, ward_name: str, *, short: bool = False) -> list[str]:
    agency = " ".join((procedure.filing_address or procedure.implementing_agencies).split())
    if short:
        agency = _shorten(agency, AGENCY_CHARS)
    lines = []
    if _at_ward_centre(procedure):
        lines.append(text.WHERE_WARD_CENTRE.format(ward_name=ward_name))
        lines.append(text.WHERE_ANY_IN_PROVINCE)
    if agency:
        lines.append(text.WHERE_AGENCY.format(agency=agency))
    if procedure.levels and WARD_LEVEL not in procedure.levels:
        lines.append(text.WHERE_NOT_WARD.format(levels=", ".join(level.lower() for level in procedure.levels)))
    if _online(procedure) and _portal_url(procedure):
        lines.append(text.WHERE_ONLINE)
    return lines


# --- legal basis and source ----------------------------------------------------------------------


def _legal_rank(basis: LegalBasis) -> int:
    """Laws first, then government decrees, then the rest: the order a reader weighs them in."""
    if _LAW_NUMBER.search(basis.number):
        return 0
    return 1 if _DECREE_NUMBER.search(basis.number) else 2


def _legal_label(basis: LegalBasis, *, full: bool) -> str:
    name, number = " ".join(basis.name.split()), basis.number.strip()
    if not number:
        label = name
    elif number in name:
        label = name if full or len(name) <= SHORT_LAW_NAME_CHARS else number
    elif full or (name.startswith("Luật") and len(name) <= SHORT_LAW_NAME_CHARS):
        label = text.LEGAL_NAMED.format(name=name, number=number)
    else:
        label = number
    if full and basis.issued and basis.issued not in label and "ngày" not in label:
        label = text.LEGAL_ISSUED.format(label=label, issued=basis.issued)
    return label


def _legal_short(legal: Sequence[LegalBasis], template: str) -> str:
    if not legal:
        return ""
    ordered = sorted(legal, key=_legal_rank)
    items = ", ".join(_legal_label(basis, full=False) for basis in ordered[:CARD_LEGAL])
    if len(ordered) > CARD_LEGAL:
        items = f"{items} {text.LEGAL_MORE.format(count=len(ordered) - CARD_LEGAL)}"
    return template.format(items=items)


def _legal_lines(legal: Sequence[LegalBasis]) -> list[str]:
    return [text.LEGAL_LINE.format(label=_legal_label(basis, full=True)) for basis in sorted(legal, key=_legal_rank)]


def _portal_url(procedure: Procedure) -> str:
    return procedure.portal_url or procedure.source_url


def _source_line(procedure: Procedure) -> str:
    url = procedure.source_url or procedure.portal_url
    host = urlparse(url).hostname or ""
    source = text.SOURCE_PORTAL if host.endswith(PORTAL_HOST) else (host or text.NOT_GIVEN)
    if procedure.decision:
        source = text.SOURCE_DECISION.format(source=source, decision=procedure.decision)
    return text.SOURCE_LINE.format(source=source, updated=_date(procedure.updated))


# --- replies ----------------------------------------------------------------------------------------


def _section_count(procedure: Procedure, section: Section) -> tuple[bool, int]:
    """Whether the record has the part "Xem thêm" offers, and how many items it lists (0: untold)."""
    if section is Section.DOCUMENTS:
        papers = sum(not _is_note(item) for item in procedure.documents)
        return bool(procedure.documents or procedure.raw.get(RAW_DOCUMENTS)), papers
    if section is Section.STEPS:
        return bool(procedure.steps), len(procedure.steps)
    if section is Section.CONDITIONS:
        return bool(procedure.conditions), 0
    return bool(procedure.legal_basis or procedure.raw.get(RAW_LEGAL)), len(procedure.legal_basis)


_SECTION_LABELS = {
    Section.DOCUMENTS: text.SECTION_DOCUMENTS_BUTTON,
    Section.STEPS: text.SECTION_STEPS_BUTTON,
    Section.CONDITIONS: text.SECTION_CONDITIONS_BUTTON,
    Section.LEGAL: text.SECTION_LEGAL_BUTTON,
}


def _section_rows(procedure: Procedure, shown: Sequence[Section] = ()) -> list[tuple[Button, ...]]:
    """Buttons for the long parts of the record not on screen, two to a row."""
    buttons = []
    for section in DETAIL_SECTIONS:
        present, count = _section_count(procedure, section)
        if present and section not in shown:
            label = _SECTION_LABELS[section]
            if count:
                label = text.SECTION_BUTTON_COUNT.format(label=label, count=count)
            buttons.append(Button(label, data=section_data(procedure.code, section)))
    return [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]


def _procedure_buttons(
    procedure: Procedure, *, more: bool, shown: Sequence[Section] = ()
) -> tuple[tuple[Button, ...], ...]:
    """The portal link, then "Xem thêm" (on the card and short sections) or the long parts not on
    screen (in "Xem thêm" and after one of its parts), then the vote."""
    rows: list[tuple[Button, ...]] = []
    url = _portal_url(procedure)
    if url:
        label = text.FILE_ONLINE_BUTTON if _online(procedure) else text.PORTAL_BUTTON
        rows.append((Button(label, url=url),))
    if more:
        rows.append((Button(text.MORE_BUTTON, data=more_data(procedure.code)),))
    else:
        rows.extend(_section_rows(procedure, shown))
    rows.append(vote_row(procedure.code))
    return tuple(rows)


def _heading(procedure: Procedure, *, short: bool = True) -> str:
    return text.CARD_TITLE.format(name=_shorten(procedure.name, HEADING_CHARS) if short else procedure.name)


def _code_line(procedure: Procedure) -> str:
    code_line = text.CARD_CODE.format(code=procedure.code)
    if procedure.field:
        code_line = f"{code_line} · {text.CARD_FIELD.format(field=procedure.field)}"
    return code_line


def procedure_card(procedure: Procedure, *, ward_name: str) -> Reply:
    """The short card: what to bring, how long and how much per way of filing, where, why, source."""
    documents = _document_lines(procedure.documents, short=True)
    methods = _method_lines(procedure)
    where = _where_lines(procedure, ward_name, short=True)
    parts = [
        _block(_heading(procedure), _code_line(procedure)),
        _block(text.DOCUMENTS_HEADING, *documents) if documents else "",
        _block(text.METHODS_HEADING, *methods) if methods else "",
        _block(text.WHERE_HEADING, *where) if where else "",
        _block(_legal_short(procedure.legal_basis, text.LEGAL_SHORT), _source_line(procedure)),
    ]
    return Reply("\n\n".join(part for part in parts if part), _procedure_buttons(procedure, more=True))


def _section(heading: str, lines: Sequence[str], procedure: Procedure, raw_field: str = "") -> str:
    """A heading over its lines, followed by the portal's raw text of the field when the parser
    could not structure it; empty when there is nothing to show."""
    raw = procedure.raw.get(raw_field, "") if raw_field else ""
    if not lines and not raw:
        return ""
    return _block(heading, *lines, text.RAW_TEXT.format(text=raw) if raw else "")


def _documents_section(procedure: Procedure) -> str:
    return _section(text.DOCUMENTS_HEADING, _document_lines(procedure.documents, short=False), procedure, RAW_DOCUMENTS)


def _time_section(procedure: Procedure) -> str:
    lines = [
        text.TIME_LINE.format(channels=channels, time=time)
        for channels, time in _by_channel(procedure.methods, lambda m: _time(m, procedure))
    ]
    return _section(text.TIME_HEADING, lines, procedure, RAW_METHODS)


def _fee_section(procedure: Procedure) -> str:
    lines = [
        text.FEE_LINE.format(channels=channels, fee=fee)
        for channels, fee in _by_channel(procedure.methods, lambda m: _fee(m.fee, short=False))
    ]
    return _section(text.FEE_HEADING, lines, procedure, RAW_METHODS)


def _online_section(procedure: Procedure) -> str:
    if not procedure.methods:
        return _section("", [], procedure, RAW_METHODS)
    online = _online(procedure)
    if online:
        return text.ONLINE_YES.format(time=_time(online, procedure), fee=_fee(online.fee, short=False))
    channels = text.CHANNEL_SEPARATOR.join(dict.fromkeys(text.CHANNEL_NAMES[m.channel] for m in procedure.methods))
    return text.ONLINE_NO.format(channels=channels)


def _where_section(procedure: Procedure, ward_name: str) -> str:
    return _section(text.WHERE_HEADING, _where_lines(procedure, ward_name), procedure)


def _legal_section(procedure: Procedure) -> str:
    return _section(text.LEGAL_HEADING, _legal_lines(procedure.legal_basis), procedure, RAW_LEGAL)


def _steps_section(procedure: Procedure) -> str:
    steps = [text.STEP_LINE.format(number=n, text=step) for n, step in enumerate(procedure.steps, 1)]
    return _section(text.STEPS_HEADING, steps, procedure)


def _conditions_section(procedure: Procedure) -> str:
    return _section(text.CONDITIONS_HEADING, [procedure.conditions] if procedure.conditions else [], procedure)


def _details_text(procedure: Procedure, ward_name: str) -> str:
    """What "Xem thêm" shows at once: who files, every way of filing as the portal describes it,
    the result, where, the source; the long parts wait behind their buttons."""
    methods = []
    for method, following in zip(procedure.methods, [*procedure.methods[1:], None], strict=True):
        methods.append(
            text.METHOD_DETAIL.format(
                channel=text.CHANNEL_NAMES[method.channel],
                time=_time(method, procedure),
                fee=_fee(method.fee, short=False),
            )
        )
        # The portal often repeats one description for every way of filing: shown once, after the last.
        if method.description and (following is None or following.description != method.description):
            methods.append(text.METHOD_DESCRIPTION.format(text=method.description))
    parts = [
        _block(_heading(procedure, short=False), _code_line(procedure)),
        text.APPLICANTS.format(text=procedure.applicants) if procedure.applicants else "",
        _section(text.METHODS_HEADING, methods, procedure, RAW_METHODS),
        _section(text.RESULT_HEADING, [procedure.result] if procedure.result else [], procedure),
        _where_section(procedure, ward_name),
        _source_line(procedure),
        text.DETAILS_PICK if _section_rows(procedure) else "",
    ]
    return "\n\n".join(part for part in parts if part)


def procedure_sections(procedure: Procedure, sections: Sequence[Section], *, ward_name: str) -> Reply:
    """Only the sections a follow-up asked about, under the procedure's name; "Xem thêm"
    (``Section.DETAILS``) is the overview with the long parts offered as buttons."""
    if Section.DETAILS in sections:
        return Reply(_details_text(procedure, ward_name), _procedure_buttons(procedure, more=False))
    render = {
        Section.DOCUMENTS: _documents_section,
        Section.TIME: _time_section,
        Section.FEE: _fee_section,
        Section.ONLINE: _online_section,
        Section.WHERE: lambda p: _where_section(p, ward_name),
        Section.LEGAL: _legal_section,
        Section.STEPS: _steps_section,
        Section.CONDITIONS: _conditions_section,
    }
    parts = [render[section](procedure) or text.SECTION_EMPTY for section in sections]
    body = "\n\n".join([_heading(procedure), *parts])
    long_part = any(section in DETAIL_SECTIONS for section in sections)
    return Reply(body, _procedure_buttons(procedure, more=not long_part, shown=sections))


def _faq_reply(faq: Faq, *, ward_name: str, full: bool) -> Reply:
    answer = faq.answer.strip()
    truncated = not full and len(answer) > FAQ_ANSWER_CHARS
    source = faq.source or text.FAQ_SOURCE_WARD.format(ward_name=ward_name)
    if full:
        legal = _block(text.LEGAL_HEADING, *_legal_lines(faq.legal_basis)) if faq.legal_basis else ""
    else:
        legal = _legal_short(faq.legal_basis, text.FAQ_LEGAL)
    parts = [
        text.FAQ_TITLE.format(question=faq.question),
        _shorten_answer(answer, FAQ_ANSWER_CHARS) if truncated else answer,
        _block(legal, text.FAQ_SOURCE.format(source=source, updated=_date(faq.updated))),
    ]
    rows: list[tuple[Button, ...]] = []
    if truncated:
        rows.append((Button(text.MORE_BUTTON, data=more_data(faq.id)),))
    rows.append(vote_row(faq.id))
    return Reply("\n\n".join(part for part in parts if part), tuple(rows))


def answer_reply(entry: Entry, *, ward_name: str) -> Reply:
    """The first answer with an entry: a procedure's card or an FAQ's (possibly shortened) answer."""
    if isinstance(entry, Procedure):
        return procedure_card(entry, ward_name=ward_name)
    return _faq_reply(entry, ward_name=ward_name, full=False)


def details_reply(entry: Entry, *, ward_name: str) -> Reply:
    """Everything about an entry: what "Xem thêm" shows."""
    if isinstance(entry, Procedure):
        return procedure_sections(entry, (Section.DETAILS,), ward_name=ward_name)
    return _faq_reply(entry, ward_name=ward_name, full=True)
