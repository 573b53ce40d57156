"""Dense retrieval: a sentence-transformers embedder, a persistent embedding cache and an exact
inner-product index.

Encoding passages is the slow part of a build (a few passages a second per core), so every
passage vector is cached under the hash of the model and the text: rebuilding after one entry
changed re-embeds that entry's passages only.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

ProgressCallback = Callable[[int, int], None]  # (done, total)


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors; queries and passages may be encoded differently."""

    name: str
    dimension: int

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray: ...


class SentenceTransformerEmbedder:
    """An :class:`Embedder` over any sentence-transformers model folder, loaded offline.

    The model's ``query``/``passage`` prompts are used when it defines them (e5 models need them).
    """

    def __init__(self, model_path: str | Path, *, threads: int | None = None, batch_size: int = 32):
        import torch
        from sentence_transformers import SentenceTransformer

        if threads:
            torch.set_num_threads(threads)
        self._model = SentenceTransformer(str(model_path), device="cpu", local_files_only=True)
        self._model.eval()
        self._batch_size = batch_size
        self.name = model_name(Path(model_path))
        dimension = self._model.get_embedding_dimension()
        if dimension is None:  # only a model whose last module does not say it (never a pooled one)
            raise ValueError(f"{model_path}: the model does not say the dimension of its embeddings")
        self.dimension = dimension
        prompts = self._model.prompts or {}
        self._query_prompt = "query" if "query" in prompts else None
        self._passage_prompt = "passage" if "passage" in prompts else None

    def _encode(self, texts: Sequence[str], prompt_name: str | None) -> np.ndarray:
        import torch

        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with torch.inference_mode():
            vectors = self._model.encode(
                list(texts),
                prompt_name=prompt_name,
                batch_size=self._batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._query_prompt)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._passage_prompt)


def model_name(path: Path) -> str:
    """The name a model's vectors are cached under: folder name and content fingerprint."""
    return f"{path.name}:{_model_fingerprint(path)}"


def _model_fingerprint(path: Path) -> str:
    """A short hash of the model's config and weight sizes: a different model never shares a cache."""
    digest = hashlib.sha256()
    for file in sorted(path.rglob("*")):
        if file.is_file():
            digest.update(f"{file.relative_to(path)}:{file.stat().st_size}\n".encode())
    return digest.hexdigest()[:12]


class EmbeddingCache:
    """Passage vectors persisted in SQLite, keyed by sha256(model name, text)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")

    @staticmethod
    def key(model: str, text: str) -> str:
        return hashlib.sha256(f"{model}\0{text}".encode()).hexdigest()

    def get_many(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                rows = self._db.execute(
                    f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(chunk))})", chunk
                )
                found.update((key, np.frombuffer(blob, dtype=np.float32)) for key, blob in rows)
        return found

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        with self._lock, self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors (key, vector) VALUES (?, ?)",
                ((key, np.asarray(vec, dtype=np.float32).tobytes()) for key, vec in items.items()),
            )

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]

    def close(self) -> None:
        self._db.close()


def embed_passages(
    embedder: Embedder,
    texts: Sequence[str],
    cache: EmbeddingCache | None,
    *,
    batch_size: int = 64,
    progress: ProgressCallback | None = None,
) -> tuple[np.ndarray, int]:
    """Vectors for ``texts`` (cached ones reused); returns them and how many were newly encoded."""
    keys = [EmbeddingCache.key(embedder.name, t) for t in texts]
    known = cache.get_many(keys) if cache is not None else {}
    # Shortest first: each batch holds texts of similar length and pads little (attention cost
    # grows with the square of the padded length).
    missing = sorted(
        {k: t for k, t in zip(keys, texts, strict=True) if k not in known}.items(), key=lambda item: len(item[1])
    )
    done = 0
    if progress:
        progress(0, len(missing))
    for start in range(0, len(missing), batch_size):
        batch = missing[start : start + batch_size]
        vectors = embedder.encode_passages([t for _, t in batch])
        fresh = dict(zip((k for k, _ in batch), vectors, strict=True))
        if cache is not None:
            cache.put_many(fresh)
        known.update(fresh)
        done += len(batch)
        if progress:
            progress(done, len(missing))
    matrix = np.stack([known[k] for k in keys]) if keys else np.zeros((0, embedder.dimension), np.float32)
    return np.ascontiguousarray(matrix, dtype=np.float32), len(missing)


class DenseIndex:
    """Exact inner-product search over passage vectors; a document scores as its best passage.

    One query against 15,000 passages is a single matrix-vector product: numpy does it in about
    1 ms on one core, where faiss's flat index took 2-3 ms (its thread pool costs more than the
    search at this size).
    """

    def __init__(self, vectors: np.ndarray, passage_doc: Sequence[int], n_docs: int):
        self._vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self._passage_doc = np.asarray(passage_doc, dtype=np.int64)
        self._n_docs = n_docs

    def scores(self, query_vector: np.ndarray, *, depth: int = 256) -> np.ndarray:
        """Cosine of each document's best passage among the ``depth`` nearest; others get the floor."""
        sims = self._vectors @ np.asarray(query_vector, dtype=np.float32).reshape(-1)
        k = min(depth, len(sims))
        if k == 0:
            return np.zeros(self._n_docs, dtype=np.float32)
        nearest = np.argpartition(-sims, k - 1)[:k] if k < len(sims) else np.arange(len(sims))
        out = np.full(self._n_docs, float(sims[nearest].min()), dtype=np.float32)
        np.maximum.at(out, self._passage_doc[nearest], sims[nearest])
        return out
