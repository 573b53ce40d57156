"""BM25 over accent-folded syllables and syllable bigrams, one index per field.

Vietnamese words are mostly two syllables, and citizens often type without diacritics, so the
tokens are folded syllables plus adjacent-syllable bigrams: bigrams stand in for compound words
without a word segmenter (segmenters produced nonsense on undiacritised text in our probe).
Titles and bodies are indexed separately so that a match on a procedure's name weighs more than a
match somewhere in its list of documents.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence

import bm25s
import numpy as np

from ._normalize import _ADMIN, bigrams, fold, syllables
from ._types import SearchDoc

# bm25s sets its logger to DEBUG when imported, which puts its "Building index" lines into any log
# configured for INFO; its level goes back to the application's.
logging.getLogger("bm25s").setLevel(logging.NOTSET)

# The portal writes "BHXH", "BHYT", "TNCN" in names; citizens write them out or abbreviate them
# the same way (the query normaliser expands them), so documents get the same expansion.
_FOLDED_ABBREVIATIONS = {fold(short): fold(long).split() for short, long in _ADMIN.items()}


def document_tokens(text: str) -> list[str]:
    tokens: list[str] = []
    for syllable in syllables(text):
        tokens.extend(_FOLDED_ABBREVIATIONS.get(syllable, (syllable,)))
    return tokens + bigrams(tokens)


# "cần những giấy tờ gì", "hồ sơ thế nào", "thủ tục ra sao" ask what to bring; they name no
# procedure, but as tokens they match the procedures whose names contain "giấy tờ" or "hồ sơ"
# ("khai sinh cho người đã có hồ sơ, giấy tờ cá nhân") over the plain one. Matched folded.
_ASKING_WHAT_TO_BRING = re.compile(r"\b(?:(?:can|nhung|cac) )*(?:giay to|ho so|thu tuc) (?:gi|nao|the nao|ra sao)\b")


def query_tokens(normalized_query: str, expansions: Iterable[str] = ()) -> list[str]:
    """Tokens of a normalised query, without the words that only ask what to bring, plus those of
    each lexicon expansion (bigrams kept within each phrase, so an expansion never forms a bigram
    with the words around it)."""
    tokens = document_tokens(_ASKING_WHAT_TO_BRING.sub(" ", fold(normalized_query)))
    for phrase in expansions:
        tokens.extend(document_tokens(phrase))
    return tokens


def _bm25(texts: Iterable[str]) -> bm25s.BM25:
    index = bm25s.BM25(k1=1.2, b=0.75)
    # bm25s cannot index an empty document: a placeholder token that no query produces.
    index.index([document_tokens(t) or ["\0"] for t in texts], show_progress=False)
    return index


class LexicalIndex:
    """Scores every document as a weighted sum of its title and body BM25 scores."""

    def __init__(self, docs: Sequence[SearchDoc], *, body_weight: float = 0.6):
        if not docs:
            raise ValueError("LexicalIndex needs at least one document")
        self.body_weight = body_weight
        self._size = len(docs)
        self._title = _bm25(" . ".join((d.title, *d.aliases)) for d in docs)
        self._body = _bm25(" . ".join(d.body) for d in docs)

    def scores(self, tokens: list[str]) -> np.ndarray:
        if not tokens:
            return np.zeros(self._size, dtype=np.float32)
        return self._title.get_scores(tokens) + self.body_weight * self._body.get_scores(tokens)


class QuestionIndex:
    """BM25 over single questions, each pointing to its document; a document scores as its best
    question, so a procedure with many questions is not favoured for having many."""

    def __init__(self, questions: Sequence[str], owners: Sequence[int], n_docs: int):
        if len(questions) != len(owners):
            raise ValueError("every question needs an owner")
        self._owners = np.asarray(owners, dtype=np.int64)
        self._n_docs = n_docs
        self._index = _bm25(questions)

    def scores(self, tokens: list[str]) -> np.ndarray:
        out = np.zeros(self._n_docs, dtype=np.float32)
        if tokens:
            np.maximum.at(out, self._owners, self._index.get_scores(tokens).astype(np.float32))
        return out
