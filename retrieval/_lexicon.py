"""Query expansion from everyday words to the official terms procedures are named with.

Citizens say "sổ đỏ", "cà vẹt", "làm lại"; the portal says "Giấy chứng nhận quyền sử dụng đất",
"chứng nhận đăng ký xe", "cấp lại". Neither BM25 nor the small embedding model can bridge that
gap, so a reviewed table does. Phrases are matched on folded syllables, longest first and without
overlap, so "mất bao lâu" (how long it takes) can be told apart from "làm mất" (lost).
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources

from wardbot_errors import WardbotError

from ._normalize import syllables


class LexiconFormatError(WardbotError, ValueError):
    pass


class Lexicon:
    """Colloquial phrase → official words, matched on folded syllables."""

    def __init__(self, pairs: Sequence[tuple[str, str]]):
        self._entries: dict[tuple[str, ...], str] = {}
        for colloquial, official in pairs:
            key = tuple(syllables(colloquial))
            if not key:
                raise LexiconFormatError(f"empty phrase for {official!r}")
            self._entries[key] = official
        self._longest = max((len(k) for k in self._entries), default=0)

    @classmethod
    def parse(cls, text: str, *, source: str = "<lexicon>") -> Lexicon:
        """Read ``colloquial<TAB>official`` lines; ``#`` starts a comment; an empty official part
        marks a phrase that must not be expanded by a shorter entry inside it."""
        pairs = []
        first_line: dict[tuple[str, ...], int] = {}
        for line_no, line in enumerate(text.splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) != 2:
                raise LexiconFormatError(f"{source}:{line_no}: expected 'phrase<TAB>expansion'")
            key = tuple(syllables(parts[0]))
            if key in first_line:
                raise LexiconFormatError(f"{source}:{line_no}: {parts[0]!r} is already listed on line {first_line[key]}")
            first_line[key] = line_no
            pairs.append((parts[0].strip(), parts[1].strip()))
        return cls(pairs)

    @classmethod
    def default(cls) -> Lexicon:
        text = resources.files("retrieval").joinpath("lexicon.tsv").read_text(encoding="utf-8")
        return cls.parse(text, source="retrieval/lexicon.tsv")

    def __len__(self) -> int:
        return len(self._entries)

    def expansions(self, text: str) -> list[str]:
        """The official phrases for the colloquial phrases found in ``text``, in text order.

        Longer phrases win over shorter ones they overlap, wherever they start: in "làm mất bao
        lâu" the three-syllable "mất bao lâu" (time) beats the two-syllable "làm mất" (lost).
        """
        tokens = syllables(text)
        candidates = [
            (size, start)
            for start in range(len(tokens))
            for size in range(1, min(self._longest, len(tokens) - start) + 1)
            if tuple(tokens[start : start + size]) in self._entries
        ]
        taken = [False] * len(tokens)
        chosen = []
        for size, start in sorted(candidates, key=lambda c: (-c[0], c[1])):
            if not any(taken[start : start + size]):
                taken[start : start + size] = [True] * size
                chosen.append((start, self._entries[tuple(tokens[start : start + size])]))
        return [official for _, official in sorted(chosen) if official]
