"""The knowledge-base edit forms: plain text fields, as a web form posts them, and their entries.

A form holds text only (a count is "2", a date "2026-07-20", a list one item per element), so a
front end fills it from posted fields without knowing the schema's types. ``to_entry`` turns it
into the entry the Markdown file will hold and says which fields it cannot read; the fields a form
does not show (a portal procedure's ``raw`` texts) are kept from the entry it edits.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from knowledge import Channel, DocumentItem, Faq, LegalBasis, Procedure, SubmissionMethod


def _items(values: Sequence[str]) -> tuple[str, ...]:
    """The non-blank items of a list field, trimmed: a form's empty rows are not content."""
    return tuple(value.strip() for value in values if value.strip())


@dataclass(frozen=True)
class FaqForm:
    """An FAQ as its form holds it; ``variants`` are the other ways citizens ask it, ``tags`` its
    keywords, ``updated`` YYYY-MM-DD or empty."""

    id: str
    question: str
    answer: str = ""
    variants: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    legal_basis: tuple[LegalBasis, ...] = ()
    source: str = ""
    updated: str = ""

    @classmethod
    def from_entry(cls, faq: Faq) -> FaqForm:
        return cls(
            id=faq.id,
            question=faq.question,
            answer=faq.answer,
            variants=faq.variants,
            tags=faq.tags,
            legal_basis=faq.legal_basis,
            source=faq.source,
            updated=faq.updated.isoformat() if faq.updated else "",
        )

    def to_entry(self) -> tuple[Faq, list[str]]:
        """The FAQ, and why any field could not be read (then the FAQ is not to be saved)."""
        errors: list[str] = []
        faq = Faq(
            id=self.id.strip(),
            question=self.question.strip(),
            answer=self.answer.strip(),
            variants=_items(self.variants),
            tags=_items(self.tags),
            legal_basis=_legal_basis(self.legal_basis),
            source=self.source.strip(),
            updated=_date(self.updated, "updated", errors),
        )
        return faq, errors


@dataclass(frozen=True)
class DocumentForm:
    """One paper of the dossier; ``originals`` and ``copies`` are whole numbers or empty."""

    name: str
    originals: str = ""
    copies: str = ""
    form: str = ""
    group: str = ""


@dataclass(frozen=True)
class MethodForm:
    """One way of filing: ``channel`` is in_person, online or post; ``processing_time`` the time
    limit and ``fee`` the fee, as the ward words them."""

    channel: str
    processing_time: str = ""
    fee: str = ""
    description: str = ""


@dataclass(frozen=True)
class ProcedureForm:
    """A ward procedure as its form holds it. ``filing_address`` is where to file, ``portal_url``
    the online link, ``methods`` how to file (with the time limit and fee of each), ``asked_as``
    how citizens ask for it (the ward's ``questions/<code>.txt``, one question per item)."""

    code: str
    name: str
    field: str = ""
    levels: tuple[str, ...] = ()
    applicants: str = ""
    implementing_agencies: str = ""
    competent_agencies: str = ""
    filing_address: str = ""
    decision: str = ""
    portal_url: str = ""
    source_url: str = ""
    updated: str = ""
    methods: tuple[MethodForm, ...] = ()
    documents: tuple[DocumentForm, ...] = ()
    legal_basis: tuple[LegalBasis, ...] = ()
    steps: tuple[str, ...] = ()
    conditions: str = ""
    result: str = ""
    asked_as: tuple[str, ...] = ()

    @classmethod
    def from_entry(cls, procedure: Procedure, asked_as: Sequence[str] = ()) -> ProcedureForm:
        return cls(
            code=procedure.code,
            name=procedure.name,
            field=procedure.field,
            levels=procedure.levels,
            applicants=procedure.applicants,
            implementing_agencies=procedure.implementing_agencies,
            competent_agencies=procedure.competent_agencies,
            filing_address=procedure.filing_address,
            decision=procedure.decision,
            portal_url=procedure.portal_url,
            source_url=procedure.source_url,
            updated=procedure.updated.isoformat() if procedure.updated else "",
            methods=tuple(
                MethodForm(m.channel.value, m.processing_time, m.fee, m.description) for m in procedure.methods
            ),
            documents=tuple(
                DocumentForm(d.name, _count_text(d.originals), _count_text(d.copies), d.form, d.group)
                for d in procedure.documents
            ),
            legal_basis=procedure.legal_basis,
            steps=procedure.steps,
            conditions=procedure.conditions,
            result=procedure.result,
            asked_as=tuple(asked_as),
        )

    def to_entry(self, base: Procedure | None = None) -> tuple[Procedure, list[str]]:
        """The procedure, keeping what the form does not show (``raw``) from ``base``, the entry
        it edits; and why any field could not be read (then it is not to be saved)."""
        errors: list[str] = []
        methods = []
        for position, method in enumerate(self.methods, start=1):
            if not (method.channel.strip() or method.processing_time.strip() or method.fee.strip()):
                continue  # an empty row of the form
            try:
                channel = Channel(method.channel.strip())
            except ValueError:
                allowed = ", ".join(c.value for c in Channel)
                errors.append(f"`methods` item {position}: channel must be one of {allowed}, got {method.channel!r}")
                continue
            methods.append(
                SubmissionMethod(
                    channel, method.processing_time.strip(), method.fee.strip(), method.description.strip()
                )
            )
        documents = []
        for position, document in enumerate(self.documents, start=1):
            if not any(dataclasses.astuple(document)):
                continue
            where = f"`documents` item {position}"
            documents.append(
                DocumentItem(
                    name=document.name.strip(),
                    originals=_count(document.originals, f"{where}: originals", errors),
                    copies=_count(document.copies, f"{where}: copies", errors),
                    form=document.form.strip(),
                    group=document.group.strip(),
                )
            )
        procedure = Procedure(
            code=self.code.strip(),
            name=self.name.strip(),
            field=self.field.strip(),
            levels=_items(self.levels),
            implementing_agencies=self.implementing_agencies.strip(),
            competent_agencies=self.competent_agencies.strip(),
            filing_address=self.filing_address.strip(),
            applicants=self.applicants.strip(),
            documents=tuple(documents),
            steps=_items(self.steps),
            methods=tuple(methods),
            conditions=self.conditions.strip(),
            legal_basis=_legal_basis(self.legal_basis),
            result=self.result.strip(),
            portal_url=self.portal_url.strip(),
            source_url=self.source_url.strip(),
            updated=_date(self.updated, "updated", errors),
            decision=self.decision.strip(),
            raw=dict(base.raw) if base is not None else {},
        )
        return procedure, errors


def _legal_basis(items: Sequence[LegalBasis]) -> tuple[LegalBasis, ...]:
    cleaned = (LegalBasis(b.name.strip(), b.number.strip(), b.issued.strip(), b.issuer.strip()) for b in items)
    return tuple(basis for basis in cleaned if any(dataclasses.astuple(basis)))


def _date(text: str, label: str, errors: list[str]) -> dt.date | None:
    if not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        errors.append(f"`{label}` must be a date written YYYY-MM-DD (e.g. 2026-07-20), got {text!r}")
        return None


def _count(text: str, label: str, errors: list[str]) -> int | None:
    if not text.strip():
        return None
    if not (text.strip().isascii() and text.strip().isdigit()):
        errors.append(f"{label} must be a whole number ≥ 0, got {text!r}")
        return None
    return int(text.strip())


def _count_text(count: int | None) -> str:
    return "" if count is None else str(count)
