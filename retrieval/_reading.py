"""How the retriever reads a message before it ranks anything, kept in one place so that the
embedding model is trained on exactly the text it reads when a citizen asks (``retrieval._train``).

A message is normalised (teencode, telex slips), its diacritics restored from the knowledge
base's own vocabulary where it has none, and expanded with the lexicon's official terms. Both
rankers read the whole message (by default; a window is a setting, here and in training), the
embedding model with those terms after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ._lexicon import Lexicon
from ._normalize import has_diacritics, normalize_query, syllables
from ._restore import DiacriticRestorer
from ._types import SearchDoc


@dataclass(frozen=True)
class Reading:
    """A message as the retriever reads it: normalised and restored (what BM25 tokenises), the
    lexicon's official terms found in it, and the text the embedding model encodes."""

    normalized: str
    expansions: list[str]
    dense: str


class QueryReader:
    """The vocabulary, diacritic restorer and lexicon of one knowledge base, and what they make of
    a message (:meth:`read`) or of a corpus question
    (:meth:`corpus_question`)."""

    def __init__(
        self,
        docs: Sequence[SearchDoc],
        *,
        lexicon: Lexicon | None = None,
        restore_diacritics: bool = True,
        dense_query_chars: int = 0,
    ) -> None:
        self.lexicon = lexicon or Lexicon.default()
        self.dense_query_chars = dense_query_chars
        corpus = [" ".join((d.title, *d.aliases, *d.body)) for d in docs]
        self.vocabulary = frozenset(t for text in corpus for t in syllables(text))
        self._restorer = DiacriticRestorer.fit(corpus) if restore_diacritics else None

    def restore(self, normalized: str) -> str:
        """The normalised query with diacritics restored from the KB's own vocabulary (the dense
        model is weak on text without them), and its spelling corrected where the context is
        clear ("tạm chú" -> "tạm trú", "hộchiếu" -> "hộ chiếu")."""
        return self._restorer.restore(normalized) if self._restorer is not None else normalized

    def normalized(self, message: str) -> str:
        """A citizen's message as both rankers read it."""
        return self.restore(normalize_query(message, vocabulary=self.vocabulary))

    def read(self, message: str, *, dense_chars: int | None = None) -> Reading:
        """A citizen's message as the retriever reads it; training reads its questions the same way,
        so that the model learns on the text it meets in service. ``dense_chars`` overrides
        :attr:`dense_query_chars` (training's is ``TrainingSettings.query_chars``)."""
        normalized = self.normalized(message)
        expansions = self.lexicon.expansions(normalized)
        return Reading(normalized, expansions, self.dense_text(normalized, expansions, dense_chars=dense_chars))

    def dense_text(self, text: str, expansions: Sequence[str], *, dense_chars: int | None = None) -> str:
        """What the embedding model reads: the (restored) text, then the official terms. With a
        limit (``dense_chars``, by default :attr:`dense_query_chars`; 0 is none), of a long message
        only its last words: reading the whole of it measured better (docs/retrieval.md, section 12)."""
        official = " ".join(expansions)
        limit = self.dense_query_chars if dense_chars is None else dense_chars
        if limit and len(text) + 1 + len(official) > limit:
            kept: list[str] = []
            length = -1  # no space before the first word
            for word in reversed(text.split()):
                length += 1 + len(word)
                if length > limit - len(official) - 1:
                    break
                kept.append(word)
            text = " ".join(reversed(kept))
        return " ".join(part for part in (text, official) if part)

    def corpus_question(self, question: str) -> str:
        """A corpus question as the indexes hold it: normalised, diacritics restored where it has
        none (those typed with marks keep them: restoring 10,000 of them would add seconds to
        every start)."""
        normalized = normalize_query(question, vocabulary=self.vocabulary)
        return normalized if has_diacritics(question) else self.restore(normalized)
