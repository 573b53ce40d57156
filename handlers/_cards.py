"""Knowledge-base entries rendered as replies: the procedure card, its sections, FAQ answers.

The card is what a citizen reads on a phone, so it is short: the first few documents, one line per
way of filing, where to file, the main legal documents, the source. Everything else sits behind
"Xem thêm", which renders the whole procedure; a follow-up ("lệ phí bao nhiêu?") renders only the
section asked about. Every fact comes from the entry as the portal or the ward wrote it; the only
rule added here is where to file after the 2025 reform (domain notes §3.2).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from urllib.parse import urlparse

from knowledge import Channel, DocumentItem, Entry, Faq, LegalBasis, Procedure, SubmissionMethod
from retrieval import fold, syllables

from . import _catalogue as text
from ._intent import Section, more_data, vote_data
from ._messages import Button, Reply

__all__ = ["answer_reply", "details_reply", "entry_title", "procedure_card", "procedure_sections"]

# How much of each list the short card shows; "Xem thêm" shows the rest.
CARD_DOCUMENTS = 4
CARD_LEGAL = 3
DOCUMENT_NAME_CHARS = 90
GROUP_NAME_CHARS = 70
AGENCY_CHARS = 160
SHORT_LAW_NAME_CHARS = 40  # a law's name short enough to print beside its number ("Luật Cư trú 2020")
FAQ_ANSWER_CHARS = 700
TITLE_CHARS = 60  # a choice button's label
HEADING_CHARS = 200  # a procedure's name atop the card and sections; "Xem thêm" shows it whole

WARD_LEVEL = "Cấp xã"  # the portal's "cấp thực hiện" value for communes and wards
PORTAL_HOST = "dichvucong.gov.vn"
# Portal field names whose raw text ``Procedure.raw`` keeps when the parser could not structure it.
RAW_METHODS, RAW_DOCUMENTS, RAW_LEGAL = "cach_thuc_thuc_hien", "thanh_phan_ho_so", "can_cu_phap_ly"

# "7,000 Việt Nam Đồng" → "7.000 đồng": the portal writes thousands with commas, citizens with dots.
_AMOUNT = re.compile(r"(\d{1,3}(?:,\d{3})+|\d+) ?(?:Việt Nam Đồng|VNĐ|VND|đồng)", re.IGNORECASE)
_BARE_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_LAW_NUMBER = re.compile(r"/QH\d*$")
_DECREE_NUMBER = re.compile(r"/NĐ-CP$")


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
    return _shorten(entry.name if isinstance(entry, Procedure) else entry.question, limit)


def vote_row(entry_id: str) -> tuple[Button, ...]:
    return (
        Button(text.HELPFUL_BUTTON, data=vote_data(entry_id, True)),
        Button(text.NOT_HELPFUL_BUTTON, data=vote_data(entry_id, False)),
    )


# --- documents ----------------------------------------------------------------------------------


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


def _is_conditional(item: DocumentItem) -> bool:
    """Papers needed only in some case ("Trường hợp ủy quyền …"), which the portal may list first."""
    return any(fold(label).startswith("truong hop") for label in (item.group, item.name))


def _document_lines(documents: Sequence[DocumentItem], *, short: bool) -> list[str]:
    """Documents under their case headings; the short form skips notes, lists the papers everyone
    needs before conditional ones, and stops early."""
    shown = list(documents)
    hidden = 0
    if short:
        shown = sorted((item for item in shown if not _is_note(item)), key=_is_conditional)
    if short and len(shown) > CARD_DOCUMENTS:
        hidden = len(shown) - CARD_DOCUMENTS
        shown = shown[:CARD_DOCUMENTS]
    lines: list[str] = []
    group = ""
    for item in shown:
        if item.group != group:
            group = item.group
            if group:
                label = _shorten(group, GROUP_NAME_CHARS) if short else group
                lines.append(text.DOCUMENT_GROUP.format(group=label.rstrip(":")))
        if _is_note(item):
            lines.append(text.DOCUMENT_NOTE.format(text=item.name))
        else:
            lines.append(_document_line(item, DOCUMENT_NAME_CHARS if short else None))
    if hidden:
        lines.append(text.MORE_ITEMS.format(count=hidden))
    return lines


# --- ways of filing: time and fee -----------------------------------------------------------------


def _time(value: str) -> str:
    value = value.strip()
    if not value:
        return text.NOT_GIVEN
    if _BARE_NUMBER.fullmatch(value):
        return text.TIME_WITHOUT_UNIT.format(value=value)
    # "3 Ngày làm việc" → "3 ngày làm việc"; phrases such as "Không quy định" stay as written.
    return value.lower() if value[0].isdigit() else value


def _fee(value: str, *, short: bool) -> str:
    value = value.strip()
    if not value:
        return text.NOT_GIVEN
    headline = value.split(" (", 1)[0].strip() if short else value
    if not headline or headline.startswith("("):
        headline = _shorten(value, 80)
    return _AMOUNT.sub(lambda match: f"{match.group(1).replace(',', '.')} {text.CURRENCY}", headline)


def _by_channel(methods: Iterable[SubmissionMethod], value: Callable[[SubmissionMethod], str]) -> list[tuple[str, str]]:
    """``(channels, value)`` with the channels that share a value joined, in the portal's order."""
    groups: dict[str, list[str]] = {}
    for method in methods:
        groups.setdefault(value(method), []).append(text.CHANNEL_NAMES[method.channel])
    return [(text.CHANNEL_SEPARATOR.join(channels), shared) for shared, channels in groups.items()]


def _method_lines(procedure: Procedure) -> list[str]:
    def time_and_fee(method: SubmissionMethod) -> str:
        return f"{_time(method.processing_time)}\0{_fee(method.fee, short=True)}"

    lines = []
    for channels, shared in _by_channel(procedure.methods, time_and_fee):
        time, fee = shared.split("\0")
        lines.append(text.METHOD_LINE.format(channels=channels, time=time, fee=fee))
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


def _procedure_buttons(procedure: Procedure, *, more: bool) -> tuple[tuple[Button, ...], ...]:
    rows: list[tuple[Button, ...]] = []
    url = _portal_url(procedure)
    if url:
        label = text.FILE_ONLINE_BUTTON if _online(procedure) else text.PORTAL_BUTTON
        rows.append((Button(label, url=url),))
    if more:
        rows.append((Button(text.MORE_BUTTON, data=more_data(procedure.code)),))
    rows.append(vote_row(procedure.code))
    return tuple(rows)


def _heading(procedure: Procedure, *, short: bool = True) -> str:
    return text.CARD_TITLE.format(name=_shorten(procedure.name, HEADING_CHARS) if short else procedure.name)


def procedure_card(procedure: Procedure, *, ward_name: str) -> Reply:
    """The short card: what to bring, how long and how much per way of filing, where, why, source."""
    code_line = text.CARD_CODE.format(code=procedure.code)
    if procedure.field:
        code_line = f"{code_line} · {text.CARD_FIELD.format(field=procedure.field)}"
    documents = _document_lines(procedure.documents, short=True)
    methods = _method_lines(procedure)
    where = _where_lines(procedure, ward_name, short=True)
    parts = [
        _block(_heading(procedure), code_line),
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
        for channels, time in _by_channel(procedure.methods, lambda m: _time(m.processing_time))
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
        return text.ONLINE_YES.format(time=_time(online.processing_time), fee=_fee(online.fee, short=False))
    channels = text.CHANNEL_SEPARATOR.join(text.CHANNEL_NAMES[m.channel] for m in procedure.methods)
    return text.ONLINE_NO.format(channels=channels)


def _where_section(procedure: Procedure, ward_name: str) -> str:
    return _section(text.WHERE_HEADING, _where_lines(procedure, ward_name), procedure)


def _legal_section(procedure: Procedure) -> str:
    return _section(text.LEGAL_HEADING, _legal_lines(procedure.legal_basis), procedure, RAW_LEGAL)


def _details_text(procedure: Procedure, ward_name: str) -> str:
    methods = []
    for method in procedure.methods:
        methods.append(
            text.METHOD_DETAIL.format(
                channel=text.CHANNEL_NAMES[method.channel],
                time=_time(method.processing_time),
                fee=_fee(method.fee, short=False),
            )
        )
        if method.description:
            methods.append(text.METHOD_DESCRIPTION.format(text=method.description))
    steps = [text.STEP_LINE.format(number=n, text=step) for n, step in enumerate(procedure.steps, 1)]
    parts = [
        _block(_heading(procedure, short=False), text.CARD_CODE.format(code=procedure.code)),
        text.APPLICANTS.format(text=procedure.applicants) if procedure.applicants else "",
        _documents_section(procedure),
        _section(text.METHODS_HEADING, methods, procedure, RAW_METHODS),
        _section(text.STEPS_HEADING, steps, procedure),
        _section(text.CONDITIONS_HEADING, [procedure.conditions] if procedure.conditions else [], procedure),
        _section(text.RESULT_HEADING, [procedure.result] if procedure.result else [], procedure),
        _where_section(procedure, ward_name),
        _legal_section(procedure),
        _source_line(procedure),
    ]
    return "\n\n".join(part for part in parts if part)


def procedure_sections(procedure: Procedure, sections: Sequence[Section], *, ward_name: str) -> Reply:
    """Only the sections a follow-up asked about, under the procedure's name."""
    if Section.DETAILS in sections:
        return Reply(_details_text(procedure, ward_name), _procedure_buttons(procedure, more=False))
    render = {
        Section.DOCUMENTS: _documents_section,
        Section.TIME: _time_section,
        Section.FEE: _fee_section,
        Section.ONLINE: _online_section,
        Section.WHERE: lambda p: _where_section(p, ward_name),
        Section.LEGAL: _legal_section,
    }
    parts = [render[section](procedure) or text.SECTION_EMPTY for section in sections]
    body = "\n\n".join([_heading(procedure), *parts])
    return Reply(body, _procedure_buttons(procedure, more=True))


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
