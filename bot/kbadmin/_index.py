"""The entries an admin browses: the ward folder's Markdown files (editable) over the national
layer (read-only), kept up to date by re-reading only the files that changed, and searched with
retrieval's Vietnamese folding, so a query finds its entries with or without diacritics."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from knowledge import Entry, EntryError, Faq, Problem, Procedure, load_entry_file, read_national_layer
from retrieval import fold, nfc, syllables

from ._files import visible_files


class Origin(str, Enum):
    """Where an entry comes from: the ward's Markdown folder (editable) or the national layer
    (read-only: saving it writes a ward file with the same code, which overrides it)."""

    WARD = "ward"
    NATIONAL = "national"


class EntryKind(str, Enum):
    FAQ = "faq"
    PROCEDURE = "procedure"


@dataclass(frozen=True)
class EntryInfo:
    """One row of the list: ``title`` is an FAQ's question or a procedure's name; ``path`` the
    ward file (None for a national entry); ``overrides_national`` for a ward procedure that
    replaces the national one of its code."""

    entry_id: str
    kind: EntryKind
    title: str
    origin: Origin
    path: Path | None
    overrides_national: bool = False

    @property
    def editable(self) -> bool:
        return self.origin is Origin.WARD


@dataclass(frozen=True)
class EntryPage:
    """One page of a listing; ``page`` counts from 1."""

    items: tuple[EntryInfo, ...]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


@dataclass(frozen=True)
class _Indexed:
    info: EntryInfo
    entry: Entry
    title_tokens: frozenset[str]  # folded syllables of the title and id
    tokens: frozenset[str]  # folded syllables of everything searched
    text: str  # NFC, lower case: for ranking a query typed with diacritics


def _indexed(entry: Entry, origin: Origin, path: Path | None, overrides: bool) -> _Indexed:
    if isinstance(entry, Faq):
        kind, title = EntryKind.FAQ, entry.question
        extra = [*entry.variants, *entry.tags, entry.answer]
    else:
        kind, title = EntryKind.PROCEDURE, entry.name
        extra = [entry.field]
    head = f"{entry.entry_id} {title}"
    whole = " ".join([head, *extra])
    return _Indexed(
        EntryInfo(entry.entry_id, kind, title, origin, path, overrides),
        entry,
        frozenset(syllables(head)),
        frozenset(syllables(whole)),
        nfc(whole).lower(),
    )


class EntryIndex:
    """The ward folder's entries over the national layer. :meth:`refresh` re-reads what changed
    on disk since the last call (by modification time and size), so it is cheap to call before
    every listing; thread-safe."""

    def __init__(self, ward_dir: Path, national: Path | None, cache_dir: Path | None) -> None:
        self.ward_dir = ward_dir
        self.national = national
        self._cache_dir = cache_dir
        self._lock = threading.Lock()
        self._files: dict[Path, tuple[tuple[int, int], Entry | EntryError]] = {}
        self._national_stamp: tuple[int, int] | None = None
        self._national: dict[str, Entry] = {}
        self._entries: dict[str, _Indexed] = {}
        self._broken: tuple[Problem, ...] = ()

    def refresh(self) -> None:
        with self._lock:
            changed = self._refresh_national()
            seen: dict[Path, tuple[tuple[int, int], Entry | EntryError]] = {}
            for file in visible_files(self.ward_dir) if self.ward_dir.is_dir() else ():
                if file.suffix != ".md":
                    continue
                stat = file.stat()
                stamp = (stat.st_mtime_ns, stat.st_size)
                known = self._files.get(file)
                if known is not None and known[0] == stamp:
                    seen[file] = known
                    continue
                changed = True
                try:
                    seen[file] = (stamp, load_entry_file(file))
                except EntryError as error:
                    seen[file] = (stamp, error)
            if changed or seen.keys() != self._files.keys():
                self._files = seen
                self._rebuild()

    def _refresh_national(self) -> bool:
        if self.national is None:
            return False
        stat = self.national.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp == self._national_stamp:
            return False
        entries = read_national_layer(self.national, cache_dir=self._cache_dir)
        self._national = {entry.entry_id: entry for entry in entries}
        self._national_stamp = stamp
        return True

    def _rebuild(self) -> None:
        entries: dict[str, _Indexed] = {}
        broken = []
        for file, (_, loaded) in sorted(self._files.items()):
            if isinstance(loaded, EntryError):
                broken.append(Problem(loaded.path, loaded.line, loaded.message))
            elif loaded.entry_id not in entries:  # a duplicate id is the validator's to report
                overrides = isinstance(loaded, Procedure) and loaded.code in self._national
                entries[loaded.entry_id] = _indexed(loaded, Origin.WARD, file, overrides)
        for code, entry in self._national.items():
            if code not in entries:
                entries[code] = _indexed(entry, Origin.NATIONAL, None, False)
        self._entries = entries
        self._broken = tuple(broken)

    @property
    def broken(self) -> tuple[Problem, ...]:
        """The ward files that cannot be read at all, as of the last refresh."""
        return self._broken

    def get(self, entry_id: str) -> tuple[EntryInfo, Entry] | None:
        found = self._entries.get(entry_id)
        return (found.info, found.entry) if found is not None else None

    def national_entry(self, code: str) -> Entry | None:
        return self._national.get(code)

    def ids(self) -> set[str]:
        return set(self._entries)

    def search(
        self, query: str, *, kind: EntryKind | None, origin: Origin | None, page: int, per_page: int
    ) -> EntryPage:
        """Entries holding every syllable of ``query`` (folded; the last one may be the start of
        a syllable, as while typing), those matching in the title first, then those matching
        the query as typed when it has diacritics; all entries, by kind and id, for no query."""
        wanted = syllables(query)
        typed = nfc(" ".join(query.split())).lower()
        exact = typed != fold(typed)
        ranked = []
        for item in self._entries.values():
            if (kind is not None and item.info.kind is not kind) or (
                origin is not None and item.info.origin is not origin
            ):
                continue
            if wanted and not _has_all(item.tokens, wanted):
                continue
            title_hits = sum(1 for token in wanted if token in item.title_tokens)
            rank = (-title_hits, 0 if exact and typed in item.text else 1, item.info.kind.value, item.info.entry_id)
            ranked.append((rank, item.info))
        ranked.sort(key=lambda pair: pair[0])
        page = max(1, page)
        start = (page - 1) * per_page
        return EntryPage(tuple(info for _, info in ranked[start : start + per_page]), len(ranked), page, per_page)


def _has_all(tokens: frozenset[str], wanted: list[str]) -> bool:
    *whole, last = wanted
    return all(token in tokens for token in whole) and (
        last in tokens or any(token.startswith(last) for token in tokens)
    )
