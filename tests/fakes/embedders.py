"""An embedder for tests that need no model."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from retrieval import bigrams, syllables


class HashingEmbedder:
    """A bag of folded syllables and bigrams hashed into 256 dimensions, L2-normalised.

    Deterministic and instant; good enough to exercise indexing, caching and fusion. It counts
    every encoded passage, and keeps its text, so tests can check what was (re-)embedded.
    """

    name = "hashing-test-embedder"
    dimension = 256

    def __init__(self) -> None:
        self.passages_encoded = 0
        self.passages_seen: list[str] = []

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dimension, dtype=np.float32)
        tokens = syllables(text)
        for token in tokens + bigrams(tokens):
            bucket = int.from_bytes(hashlib.blake2b(token.encode(), digest_size=4).digest(), "little")
            vector[bucket % self.dimension] += 1.0
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm else vector

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts])

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.passages_encoded += len(texts)
        self.passages_seen.extend(texts)
        return np.stack([self._vector(t) for t in texts])
