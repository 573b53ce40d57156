"""The loaded knowledge base: validated entries, indexed by their id, with a content fingerprint."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from ._markdown import dump_entry
from ._schema import Entry, Faq, Procedure


def entry_digest(entry: Entry) -> str:
    """sha256 of the entry in its Markdown form, which is canonical (``dump_entry`` gives equal
    bytes for equal entries), so a portal record and its exported file hash the same."""
    return hashlib.sha256(dump_entry(entry).encode("utf-8")).hexdigest()


def fingerprint(
    entries: Iterable[Entry],
    questions: Mapping[str, Sequence[str]] | None = None,
    digests: Mapping[str, str] | None = None,
) -> str:
    """A sha256 hex digest of the entries' content and their citizen questions, independent of
    their order and source format. ``digests`` holds :func:`entry_digest` already computed, by
    entry id (the national layer's, cached: dumping 2,642 entries takes seconds)."""
    known = digests or {}
    parts = [known.get(entry.entry_id) or entry_digest(entry) for entry in entries]
    for code, lines in (questions or {}).items():
        if lines:
            parts.append(hashlib.sha256("\n".join((f"questions {code}", *lines)).encode()).hexdigest())
    return hashlib.sha256("\n".join(sorted(parts)).encode("ascii")).hexdigest()


@dataclass(frozen=True)
class KnowledgeBase:
    """Procedures by code and FAQs by id, each sorted by id; read-only.

    Build it with ``load_knowledge_base``, which validates the files first, or with
    ``from_entries`` for entries already checked.
    """

    procedures: Mapping[str, Procedure]
    faqs: Mapping[str, Faq]
    sources: tuple[str, ...]  # the paths it was loaded from, as given
    fingerprint: str
    # How citizens ask for each procedure (the question corpus), by code; only codes in the KB.
    questions: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def from_entries(
        cls,
        entries: Iterable[Entry],
        sources: Iterable[str] = (),
        questions: Mapping[str, Sequence[str]] | None = None,
        digests: Mapping[str, str] | None = None,
    ) -> KnowledgeBase:
        """The knowledge base of ``entries`` and the citizen questions of its procedures; raises
        ``ValueError`` if two entries share an id. ``digests``: see :func:`fingerprint`."""
        entries = list(entries)
        procedures: dict[str, Procedure] = {}
        faqs: dict[str, Faq] = {}
        for entry in entries:
            # One namespace for both kinds, because ``get`` looks an id up in both.
            if entry.entry_id in procedures or entry.entry_id in faqs:
                raise ValueError(f"two entries have the id {entry.entry_id!r}")
            if isinstance(entry, Procedure):
                procedures[entry.code] = entry
            else:
                faqs[entry.id] = entry
        asked = {code: tuple(lines) for code, lines in sorted((questions or {}).items()) if code in procedures}
        return cls(
            procedures=MappingProxyType(dict(sorted(procedures.items()))),
            faqs=MappingProxyType(dict(sorted(faqs.items()))),
            sources=tuple(sources),
            fingerprint=fingerprint(entries, asked, digests),
            questions=MappingProxyType(asked),
        )

    def get(self, entry_id: str) -> Entry | None:
        """The procedure with this code or the FAQ with this id, if there is one."""
        return self.procedures.get(entry_id) or self.faqs.get(entry_id)

    def entries(self) -> list[Entry]:
        """All entries: procedures by code, then FAQs by id."""
        return [*self.procedures.values(), *self.faqs.values()]

    def __len__(self) -> int:
        return len(self.procedures) + len(self.faqs)
