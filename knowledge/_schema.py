"""The knowledge-base entry types: procedures from the public-service portal and reform FAQs.

Entries are plain frozen dataclasses so that loaders, validators, the retriever and handlers can
share them without importing one another.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from enum import Enum


class Channel(str, Enum):
    """A way of filing a dossier (the portal's "Hình thức nộp")."""

    IN_PERSON = "in_person"
    ONLINE = "online"
    POST = "post"


@dataclass(frozen=True, slots=True)
class LegalBasis:
    """A legal document a rule rests on: its name (title) and number such as ``123/2015/NĐ-CP``."""

    name: str
    number: str = ""
    issued: str = ""  # issue date as written (dd/mm/yyyy), when given
    issuer: str = ""


@dataclass(frozen=True, slots=True)
class DocumentItem:
    """One paper in the dossier, with how many originals and copies to bring."""

    name: str
    originals: int | None = None
    copies: int | None = None
    form: str = ""  # the template (mẫu đơn, tờ khai) to fill in, when one is named
    group: str = ""  # the case it belongs to ("Trường hợp ..."), when the list is split into cases


@dataclass(frozen=True, slots=True)
class SubmissionMethod:
    """One way of filing, with its own processing time and fee, both as the portal words them."""

    channel: Channel
    processing_time: str = ""
    fee: str = ""
    description: str = ""


@dataclass(frozen=True, slots=True)
class Procedure:
    """An administrative procedure (thủ tục hành chính) as the National Public Service Portal lists it."""

    code: str  # the national code, e.g. "1.001193"
    name: str
    field: str = ""  # lĩnh vực
    levels: tuple[str, ...] = ()  # cấp thực hiện: "Cấp xã", "Cấp tỉnh", ...
    implementing_agencies: str = ""
    competent_agencies: str = ""
    filing_address: str = ""
    applicants: str = ""  # who may file (đối tượng thực hiện)
    documents: tuple[DocumentItem, ...] = ()
    steps: tuple[str, ...] = ()
    methods: tuple[SubmissionMethod, ...] = ()
    conditions: str = ""
    legal_basis: tuple[LegalBasis, ...] = ()
    result: str = ""
    portal_url: str = ""
    source_url: str = ""
    updated: dt.date | None = None
    decision: str = ""  # the decision that published the procedure (số quyết định)
    # Raw portal text of fields the parser could not structure, keyed by the portal's field name,
    # so nothing a citizen might need is lost.
    # ``dataclasses.field`` in full: the class attribute ``field`` above shadows the bare name here.
    raw: dict[str, str] = dataclasses.field(default_factory=dict, hash=False, compare=False)

    @property
    def entry_id(self) -> str:
        return self.code


@dataclass(frozen=True, slots=True)
class Faq:
    """A question-and-answer entry about the administrative reform, written by the ward."""

    id: str
    question: str
    answer: str
    variants: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    legal_basis: tuple[LegalBasis, ...] = ()
    source: str = ""
    updated: dt.date | None = None

    @property
    def entry_id(self) -> str:
        return self.id


Entry = Procedure | Faq
