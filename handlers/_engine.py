"""What handlers search: a validated knowledge base and the retriever built over it."""

from __future__ import annotations

from dataclasses import dataclass

from knowledge import KnowledgeBase
from retrieval import Retriever


@dataclass(frozen=True)
class SearchEngine:
    """A knowledge base and its index, swapped as one value when an admin reloads the KB."""

    kb: KnowledgeBase
    retriever: Retriever
