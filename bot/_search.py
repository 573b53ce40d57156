"""Open the search engine the application uses: knowledge base, embedding model, retriever."""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from handlers import SearchEngine
from knowledge import KnowledgeBase, bundled_national_path, load_knowledge_base, search_docs
from retrieval import (
    Calibration,
    Embedder,
    EmbeddingCache,
    OnnxEmbedder,
    Retriever,
    RetrieverSettings,
    SentenceTransformerEmbedder,
    apply_adapter,
    bundled_adapter_path,
    ensure_e5_model,
)

from ._config import Config


def bundled_kb_path() -> Path:
    return Path(str(resources.files("knowledge").joinpath("sample")))


def kb_paths(config: Config, paths: Sequence[str | Path] = ()) -> list[Path]:
    """Explicit paths win; then ``[knowledge] paths``; then the sample KB bundled with wardbot."""
    chosen = paths or config.knowledge.paths
    return [Path(p) for p in chosen] if chosen else [bundled_kb_path()]


def national_layer_path(config: Config) -> Path | None:
    """The national layer under the ward's entries: the one ``wardbot kb import-portal --national``
    refreshed into the data directory, else the one bundled with wardbot; None when switched off."""
    if not config.knowledge.national:
        return None
    refreshed = config.national_dir / bundled_national_path().name
    return refreshed if refreshed.is_file() else bundled_national_path()


def load_configured_kb(config: Config, paths: Sequence[str | Path] = ()) -> KnowledgeBase:
    """The knowledge base to serve: explicit ``paths`` alone (as ``eval`` and ``bench`` give them),
    else the configured or bundled ward entries over the national layer."""
    national = None if paths else national_layer_path(config)
    return load_knowledge_base(kb_paths(config, paths), national=national, cache_dir=config.cache_dir)


def model_folder(config: Config, *, progress: bool = True) -> Path:
    """The sentence-transformers folder to encode with: ``[retrieval] model`` or the built-in
    multilingual-e5-small, with the configured adapter merged in (once, beside it)."""
    adapter = config.retrieval.adapter
    if config.retrieval.model:
        base, adapter = Path(config.retrieval.model), "" if adapter == "default" else adapter
    else:
        base = ensure_e5_model(config.models_dir, progress=progress)
        adapter = str(bundled_adapter_path()) if adapter == "default" else adapter
    return apply_adapter(base, adapter, progress=progress) if adapter else base


def open_embedder(config: Config, *, progress: bool = True) -> Embedder:
    model = model_folder(config, progress=progress)
    if config.retrieval.backend == "onnx":
        return OnnxEmbedder(model, threads=config.retrieval.threads, query_precision=config.retrieval.query_precision)
    return SentenceTransformerEmbedder(model, threads=config.retrieval.threads)


class _Bar:
    """A tqdm bar on stderr for index builds, created lazily once the total is known."""

    def __init__(self, label: str, enabled: bool) -> None:
        self._label, self._enabled = label, enabled
        self._bar: Any = None  # a tqdm bar (tqdm has no types)

    def __call__(self, done: int, total: int) -> None:
        if not self._enabled or total == 0:
            return
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=self._label, unit="passage", file=sys.stderr)
        self._bar.update(done - self._bar.n)
        if done >= total:
            self._bar.close()


def save_snapshot(kb: KnowledgeBase, path: Path) -> None:
    """Keep ``kb`` as the last good knowledge base (written whole or not at all)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    contents = {"entries": kb.entries(), "questions": dict(kb.questions), "sources": kb.sources}
    partial.write_bytes(pickle.dumps(contents, protocol=pickle.HIGHEST_PROTOCOL))
    os.replace(partial, path)


def load_snapshot(path: Path) -> KnowledgeBase | None:
    """The last good knowledge base, or None if there is none (or it cannot be read)."""
    try:
        contents = pickle.loads(path.read_bytes())
        return KnowledgeBase.from_entries(contents["entries"], contents["sources"], contents["questions"])
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, KeyError, TypeError, ValueError):
        return None


def open_search_engine(
    config: Config,
    paths: Sequence[str | Path] = (),
    *,
    kb: KnowledgeBase | None = None,
    embedder: Embedder | None = None,
    settings: RetrieverSettings | None = None,
    calibration: Calibration | None = None,
    progress: bool = True,
) -> SearchEngine:
    """Load and validate the KB (raising ``KnowledgeBaseError`` if invalid) and index it; see
    :func:`load_configured_kb` for which KB. ``kb`` indexes that one instead (a snapshot)."""
    kb = kb if kb is not None else load_configured_kb(config, paths)
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
