"""Open the search engine the application uses: knowledge base, embedding model, retriever."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from handlers import SearchEngine
from knowledge import load_knowledge_base, search_docs
from retrieval import (
    Calibration,
    Embedder,
    EmbeddingCache,
    OnnxEmbedder,
    Retriever,
    RetrieverSettings,
    SentenceTransformerEmbedder,
    ensure_e5_model,
)

from ._config import Config


def bundled_kb_path() -> Path:
    return Path(str(resources.files("knowledge").joinpath("sample")))


def kb_paths(config: Config, paths: Sequence[str | Path] = ()) -> list[Path]:
    """Explicit paths win; then ``[knowledge] paths``; then the sample KB bundled with wardbot."""
    chosen = paths or config.knowledge.paths
    return [Path(p) for p in chosen] if chosen else [bundled_kb_path()]


def open_embedder(config: Config, *, progress: bool = True) -> Embedder:
    model = config.retrieval.model or ensure_e5_model(config.models_dir, progress=progress)
    if config.retrieval.backend == "onnx":
        return OnnxEmbedder(model, threads=config.retrieval.threads, query_precision=config.retrieval.query_precision)
    return SentenceTransformerEmbedder(model, threads=config.retrieval.threads)


class _Bar:
    """A tqdm bar on stderr for index builds, created lazily once the total is known."""

    def __init__(self, label: str, enabled: bool) -> None:
        self._label, self._enabled, self._bar = label, enabled, None

    def __call__(self, done: int, total: int) -> None:
        if not self._enabled or total == 0:
            return
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=self._label, unit="passage", file=sys.stderr)
        self._bar.update(done - self._bar.n)
        if done >= total:
            self._bar.close()


def open_search_engine(
    config: Config,
    paths: Sequence[str | Path] = (),
    *,
    embedder: Embedder | None = None,
    settings: RetrieverSettings | None = None,
    calibration: Calibration | None = None,
    progress: bool = True,
) -> SearchEngine:
    """Load and validate the KB (raising ``KnowledgeBaseError`` if invalid) and index it."""
    kb = load_knowledge_base(kb_paths(config, paths))
    embedder = embedder or open_embedder(config, progress=progress)
    cache = EmbeddingCache(config.cache_dir / "embeddings.sqlite3")
    settings = settings or RetrieverSettings(
        min_in_scope=config.retrieval.min_in_scope, answer_confidence=config.retrieval.answer_confidence
    )
    retriever = Retriever(
        search_docs(kb),
        embedder,
        cache=cache,
        settings=settings,
        calibration=calibration,
        progress=_Bar("Embedding passages", progress),
    )
    return SearchEngine(kb=kb, retriever=retriever)
