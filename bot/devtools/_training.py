"""``wardbot train``: fine-tune the embedding model on the question corpus and measure it on the
held-out questions, which are never trained on."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from knowledge import search_docs
from retrieval import (
    EmbeddingCache,
    OnnxEmbedder,
    QueryReader,
    TrainingSettings,
    apply_adapter,
    embed_passages,
    ensure_e5_model,
    read_questions,
    train_adapter,
)

from .._config import Config
from .._search import load_configured_kb


def dense_recall(embedder: OnnxEmbedder, reader: QueryReader, titles: Sequence[str], ids: Sequence[str],
                 questions_path: Path, cache: EmbeddingCache) -> dict:  # fmt: skip
    """Recall@1/@5 of the embedding model alone, each held-out question, as the retriever reads
    it, against every name."""
    questions = [q for q in read_questions(questions_path) if not q.out_of_scope]
    names, _ = embed_passages(embedder, titles, cache)
    vectors = embedder.encode_queries([reader.read(q.query).dense for q in questions])
    order = np.argsort(-(vectors @ names.T), axis=1)[:, :5]
    hits = [[ids[i] in q.gold for i in row] for q, row in zip(questions, order, strict=True)]
    return {"questions": len(questions), "recall_at_1": round(float(np.mean([h[0] for h in hits])), 3),
            "recall_at_5": round(float(np.mean([any(h) for h in hits])), 3)}  # fmt: skip


def train(
    config: Config,
    kb: Sequence[str | Path],
    out: Path,
    *,
    settings: TrainingSettings,
    held_out: Path | None,
    log: Callable[[str], None] = functools.partial(print, flush=True),
) -> dict:
    """Train an adapter on the corpus of the configured KB (or ``kb``), write it to ``out``, and
    return the training summary with the held-out figures of the base and the tuned model."""
    base = ensure_e5_model(config.models_dir)
    every_doc = search_docs(load_configured_kb(config, kb))
    reader = QueryReader(every_doc)  # as the retriever over this knowledge base reads a message
    docs = [doc for doc in every_doc if doc.questions]
    log(f"corpus: {len(docs)} procedures, {sum(len(d.questions) for d in docs)} questions")
    cache = EmbeddingCache(config.cache_dir / "embeddings.sqlite3")
    base_embedder = OnnxEmbedder(base, query_precision="fp32")
    titles, ids = [d.title for d in docs], [d.id for d in docs]
    name_vectors, _ = embed_passages(base_embedder, titles, cache)
    adapter, _ = train_adapter(base, docs, settings, name_vectors=name_vectors, reader=reader, log=log)
    adapter.save(out)
    summary = dict(adapter.info)
    if held_out is not None:
        tuned = OnnxEmbedder(apply_adapter(base, out), query_precision="fp32")
        summary["held_out"] = {
            "file": held_out.name,
            "base": dense_recall(base_embedder, reader, titles, ids, held_out, cache),
            "tuned": dense_recall(tuned, reader, titles, ids, held_out, cache),
        }
        dataclasses.replace(adapter, info=summary).save(out)
    return summary
