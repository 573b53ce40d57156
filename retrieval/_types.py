"""Value types the retriever takes and returns; free of any knowledge-base or bot import."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


@dataclass(frozen=True, slots=True)
class SearchDoc:
    """One answerable entry as the retriever sees it.

    ``title`` is what the entry is called (a procedure's name, an FAQ's question); ``aliases`` are
    other ways of asking for it; ``body`` holds the longer texts (documents to bring, steps,
    conditions); ``questions`` are citizens' questions it answers (the doc2query corpus), each
    indexed as a passage of its own. ``popularity`` in [0, 1] says how often citizens use the service nationally;
    ``local`` marks entries the ward itself handles (procedures at "Cấp xã", the ward's FAQs).
    ``same_as`` names an earlier document that says exactly the same to a citizen (the portal
    lists a few procedures under several codes): the retriever ranks the two as that one, so a
    citizen is never asked to choose between identical answers.
    """

    id: str
    title: str
    aliases: tuple[str, ...] = ()
    body: tuple[str, ...] = ()
    questions: tuple[str, ...] = ()
    popularity: float = 0.0
    local: bool = False
    same_as: str = ""


class Decision(str, Enum):
    """What a handler should do with a search result."""

    ANSWER = "answer"  # one entry fits: answer with it
    CLARIFY = "clarify"  # a few entries fit about equally: ask the citizen to choose
    ABSTAIN = "abstain"  # nothing fits well enough: say so honestly, offer an official


@dataclass(frozen=True, slots=True)
class Hit:
    """A ranked entry: the calibrated probability that it is the answer, its fused score and the
    parts that were fused (raw BM25, best-passage cosine)."""

    doc_id: str
    confidence: float
    score: float
    lexical: float = 0.0
    dense: float = 0.0


@dataclass(frozen=True, slots=True)
class SearchResult:
    """The ranking for one message and what to do with it.

    ``confidence`` is the calibrated probability that the top hit is the right answer and
    ``in_scope`` the probability that the knowledge base can answer the message at all.
    """

    query: str
    normalized: str
    hits: tuple[Hit, ...]
    decision: Decision
    confidence: float
    in_scope: float
    choices: tuple[Hit, ...] = ()  # the entries to offer when the decision is CLARIFY

    @property
    def top(self) -> Hit | None:
        return self.hits[0] if self.hits else None
