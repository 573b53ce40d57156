"""The hybrid retriever: lexical and dense rankings fused, then a calibrated decision.

``docs/retrieval.md`` records what was tried and measured to arrive at these defaults.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._actions import FollowUpPrior
from ._calibration import Calibration, ranking_features
from ._dense import DenseIndex, Embedder, EmbeddingCache, ProgressCallback, embed_passages
from ._lexical import LexicalIndex, QuestionIndex, query_tokens
from ._lexicon import Lexicon
from ._reading import QueryReader
from ._scope import has_foreign_twin, is_foreign_procedure, mentions_foreign
from ._types import Decision, Hit, SearchDoc, SearchResult


@dataclass(frozen=True, slots=True)
class RetrieverSettings:
    """Knobs of the combination; the defaults are the measured best on the development set."""

    dense_weight: float = 2.0
    lexical_weight: float = 1.0
    body_weight: float = 0.6
    # Citizens' questions (the doc2query corpus): a procedure scores its best-matching question,
    # BM25 (max-normalised per query) and cosine, added to the name and body scores.
    question_lexical_weight: float = 2.0
    question_dense_weight: float = 8.0
    popularity_weight: float = 0.2
    local_weight: float = 0.1
    # On foreign-party procedures when the question names no foreign party, and on the domestic
    # twins of foreign-party procedures when it does.
    foreign_penalty: float = 0.1
    # On follow-up procedures (cấp lại, đổi, thu hồi, xóa, lưu động, ...) when the question gives
    # no reason for one (lost, damaged, wrong, expired, cannot travel).
    follow_up_penalty: float = 0.1
    restore_diacritics: bool = True
    body_passage_chars: int = 0  # 0: embed titles and aliases only
    # The dense model reads the whole of a message and of a corpus question (0), or of a longer
    # one only its last this many characters with the official terms. Whole, they measured 4.4
    # points of Recall@1 better than the last 120 characters (docs/retrieval.md, section 12).
    dense_query_chars: int = 0
    top_k: int = 10
    # Decisions on the calibrated probabilities.
    min_in_scope: float = 0.8
    answer_confidence: float = 0.8
    clarify_choices: int = 3

    def __post_init__(self) -> None:
        if self.top_k <= 0 or self.clarify_choices <= 0:
            raise ValueError("top_k and clarify_choices must be positive")
        if not (0 <= self.min_in_scope <= 1 and 0 <= self.answer_confidence <= 1):
            raise ValueError("min_in_scope and answer_confidence are probabilities in [0, 1]")


def dense_passages(doc: SearchDoc, max_body_chars: int) -> list[str]:
    """The texts embedded for one document: its title, each alias, optionally title + body."""
    passages = [doc.title, *doc.aliases]
    body = " ".join(doc.body).strip()
    if body and max_body_chars > 0:
        passages.append(f"{doc.title}. {body[:max_body_chars]}")
    return passages


@dataclass(frozen=True, slots=True)
class ComponentScores:
    normalized: str
    tokens: list[str]
    lexical: np.ndarray  # BM25 of names and bodies
    dense: np.ndarray  # cosine of the best name or alias passage
    question_lexical: np.ndarray  # BM25 of the best-matching corpus question
    question_dense: np.ndarray  # cosine of the best-matching corpus question

    @property
    def dense_any(self) -> np.ndarray:
        """Cosine of the best passage of any kind."""
        return np.maximum(self.dense, self.question_dense)


class Retriever:
    """Finds the knowledge-base entries that answer a citizen's message."""

    def __init__(
        self,
        docs: Sequence[SearchDoc],
        embedder: Embedder,
        *,
        cache: EmbeddingCache | None = None,
        settings: RetrieverSettings | None = None,
        calibration: Calibration | None = None,
        lexicon: Lexicon | None = None,
        progress: ProgressCallback | None = None,
    ) -> None:
        if not docs:
            raise ValueError("the retriever needs at least one document")
        ids = [d.id for d in docs]
        if len(set(ids)) != len(ids):
            raise ValueError("document ids must be unique")
        position_of = {doc_id: position for position, doc_id in enumerate(ids)}
        twins = [(position, position_of.get(doc.same_as, -1)) for position, doc in enumerate(docs) if doc.same_as]
        for position, first in twins:
            if not 0 <= first < position or docs[first].same_as:
                raise ValueError(
                    f"document {ids[position]!r} is the same as {docs[position].same_as!r}, "
                    "which must be an earlier document that is the same as no other"
                )
        # Identical documents are ranked as their first: it scores the best of them, the others
        # never rank.
        self._twins = np.array([position for position, _ in twins], dtype=np.intp)
        self._twin_of = np.array([first for _, first in twins], dtype=np.intp)
        self._ranked = np.ones(len(docs), dtype=bool)
        self._ranked[self._twins] = False
        self.settings = s = settings or RetrieverSettings()
        self.docs = tuple(docs)
        self.embedder = embedder
        self.calibration = calibration or Calibration.load()
        self.reader = QueryReader(
            self.docs, lexicon=lexicon, restore_diacritics=s.restore_diacritics, dense_query_chars=s.dense_query_chars
        )
        self._lexical = LexicalIndex(self.docs, body_weight=s.body_weight)
        texts: list[str] = []
        owners: list[int] = []
        for position, doc in enumerate(self.docs):
            for passage in dense_passages(doc, s.body_passage_chars):
                texts.append(passage)
                owners.append(position)
        # Corpus questions are read as citizens' messages are (QueryReader.corpus_question), and
        # embedded as a message is encoded (the whole of it, unless dense_query_chars limits both).
        questions = [self.reader.corpus_question(q) for d in self.docs for q in d.questions]
        question_owners = [position for position, doc in enumerate(self.docs) for _ in doc.questions]
        embedded = texts + [self.reader.dense_text(question, ()) for question in questions]
        vectors, self.newly_embedded = embed_passages(embedder, embedded, cache, progress=progress)
        self._dense = DenseIndex(vectors[: len(texts)], owners, len(self.docs))
        # A document with no corpus questions (an FAQ, a ward's own procedure) is asked by its
        # names: its title and aliases, whose vectors it already has. Without them it would get
        # nothing from the question scores, which weigh most in the fusion, and lose to every
        # procedure that has questions, at a confidence calibrated on documents that have them.
        named = [
            i
            for i, owner in enumerate(owners)
            if not self.docs[owner].questions and texts[i] in (self.docs[owner].title, *self.docs[owner].aliases)
        ]
        questions += [self.reader.corpus_question(texts[i]) for i in named]
        question_owners += [owners[i] for i in named]
        question_vectors = np.concatenate([vectors[len(texts) :], vectors[named]])
        self._question_lexical = QuestionIndex(questions, question_owners, len(self.docs))
        self._question_dense = DenseIndex(question_vectors, question_owners, len(self.docs))
        prior = np.array(
            [s.popularity_weight * d.popularity + s.local_weight * d.local for d in self.docs], dtype=np.float32
        )
        titles = [d.title for d in self.docs]
        foreign = np.array([is_foreign_procedure(title) for title in titles], dtype=np.float32)
        domestic_twin = np.array(has_foreign_twin(titles), dtype=np.float32)
        self._domestic_prior = prior - s.foreign_penalty * foreign  # for questions naming no foreign party
        self._foreign_prior = prior - s.foreign_penalty * domestic_twin  # for those that do
        self._follow_ups = FollowUpPrior(titles)

    def __len__(self) -> int:
        return len(self.docs)

    def component_scores(self, query: str) -> ComponentScores:
        reading = self.reader.read(query)
        tokens = query_tokens(reading.normalized, reading.expansions)
        lexical = self._lexical.scores(tokens)
        vector = self.embedder.encode_queries([reading.dense])[0]
        dense = self._dense.scores(vector)
        question_lexical = self._question_lexical.scores(tokens)
        question_dense = self._question_dense.scores(vector)
        for scores in (lexical, dense, question_lexical, question_dense):
            np.maximum.at(scores, self._twin_of, scores[self._twins])
            scores[self._twins] = scores.min()
        return ComponentScores(reading.normalized, tokens, lexical, dense, question_lexical, question_dense)

    def _ranking(self, fused: np.ndarray) -> np.ndarray:
        """Document positions, best first, the top ``top_k`` of those ranked."""
        order = np.argsort(-fused)
        return order[self._ranked[order]][: self.settings.top_k]

    def fuse(self, parts: ComponentScores) -> np.ndarray:
        """Max-normalised BM25 plus weighted dense cosine plus the popularity/locality prior,
        which holds back the foreign-party procedures, or their domestic twins when the question
        names a foreign party, and the follow-up procedures the question gives no reason for."""
        s = self.settings
        prior = self._foreign_prior if mentions_foreign(parts.normalized) else self._domestic_prior
        fused = s.lexical_weight * _max_normalised(parts.lexical) + s.dense_weight * parts.dense + prior
        fused += s.question_lexical_weight * _max_normalised(parts.question_lexical)
        fused += s.question_dense_weight * parts.question_dense
        fused[self._follow_ups.unasked(parts.normalized)] -= s.follow_up_penalty
        return fused

    def search(self, query: str) -> SearchResult:
        s = self.settings
        parts = self.component_scores(query)
        fused = self.fuse(parts)
        order = self._ranking(fused)
        features = ranking_features(fused, parts.lexical, parts.dense_any, len(parts.tokens))
        confidence = self.calibration.answer.probability(features)
        in_scope = self.calibration.in_scope.probability(features)
        probabilities = self.calibration.hit_probabilities(fused[order], confidence)
        hits = tuple(
            Hit(self.docs[i].id, p, float(fused[i]), float(parts.lexical[i]), float(parts.dense[i]))
            for i, p in zip(order, probabilities, strict=True)
        )
        choices: tuple[Hit, ...]
        if in_scope < s.min_in_scope:
            decision, choices = Decision.ABSTAIN, ()
        elif confidence >= s.answer_confidence:
            decision, choices = Decision.ANSWER, ()
        else:
            decision, choices = Decision.CLARIFY, hits[: s.clarify_choices]
        return SearchResult(query, parts.normalized, hits, decision, confidence, in_scope, choices)

    def features(self, query: str) -> tuple[list[float], list[tuple[str, float]]]:
        """Calibration features of a query and its ranking as (id, fused score), best first."""
        parts = self.component_scores(query)
        fused = self.fuse(parts)
        ranking = [(self.docs[i].id, float(fused[i])) for i in self._ranking(fused)]
        return ranking_features(fused, parts.lexical, parts.dense_any, len(parts.tokens)), ranking


def _max_normalised(scores: np.ndarray) -> np.ndarray:
    """BM25 scores divided by the query's best, so that they live on the cosine's scale."""
    top = float(scores.max())
    return scores / top if top > 0 else scores
