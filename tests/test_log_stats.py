"""``wardbot log stats``: latency percentiles and counts from the compliance log, on a known set."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

import pytest
from fakes.clocks import ManualClock
from fakes.storage import log_turn

from bot.cli import main
from bot.storage import Storage, percentile

# (channel, outcome, latency in ms); the clock starts at 2026-11-20 08:00 UTC (15:00 in Vietnam).
KNOWN = [
    ("telegram", "answered", 100),
    ("telegram", "answered", 200),
    ("web", "clarified", 300),
    ("telegram", "answered", 400),
    ("web", "abstained", 500),
    ("telegram", "answered", 600),
    ("web", "answered", 700),
    ("telegram", "escalated", 800),
    ("web", "conversation", 900),
    ("telegram", "answered", 1000),
]


async def fill(path: Path, clock: ManualClock) -> None:
    """The known set, one message the day before, and one whose reply never got through."""
    async with await Storage.open(path, pseudonym_key=b"k", clock=clock) as storage:

        async def turn(channel: str, outcome: str, latency_ms: int | None) -> None:
            await log_turn(storage, clock, channel=channel, outcome=outcome, latency_ms=latency_ms)

        saved = clock.now
        clock.now = dt.datetime(2026, 11, 19, 10, 0, tzinfo=dt.UTC)  # 17:00 in Vietnam, the day before
        await turn("web", "answered", 30_000)
        clock.now = saved
        for channel, outcome, latency_ms in KNOWN:
            await turn(channel, outcome, latency_ms)
        await turn("telegram", "answered", None)


@pytest.fixture
def data_dir(tmp_path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch) -> Path:
    asyncio.run(fill(tmp_path / "wardbot.sqlite3", clock))
    monkeypatch.setenv("WARDBOT_DATA_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)  # no ./bot.toml: defaults
    return tmp_path


def test_nearest_rank_percentiles() -> None:
    values = list(range(1, 21))
    assert (percentile(values, 0.5), percentile(values, 0.95), percentile(values, 1.0)) == (10, 19, 20)
    assert percentile([7], 0.95) == 7 and percentile([], 0.5) is None
    assert percentile(list(range(1, 61)), 0.95) == 57  # 0.95 * 60 is not quite 57.0 in floating point


def test_figures_since_a_date_on_the_known_set(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["log", "stats", "--since", "2026-11-20", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures == {
        "since": "2026-11-20T00:00:00+07:00",
        "messages": 11,
        "answered": 10,
        "undelivered": 1,
        "latency_ms": {"p50": 500, "p95": 1000, "max": 1000},
        "by_outcome": {"abstained": 1, "answered": 7, "clarified": 1, "conversation": 1, "escalated": 1},
        "by_channel": {"telegram": 7, "web": 4},
    }


def test_without_since_every_message_counts(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["log", "stats"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "Messages: 12 (11 answered, 1 undelivered)",
        "Answer latency: p50 600 ms, p95 30000 ms, max 30000 ms",
        "By outcome: abstained 1, answered 8, clarified 1, conversation 1, escalated 1",
        "By channel: telegram 7, web 5",
    ]


def test_without_a_database_it_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("WARDBOT_DATA_DIR", str(tmp_path / "empty"))
    monkeypatch.chdir(tmp_path)
    assert main(["log", "stats"]) == 1
    assert "no compliance log yet" in capsys.readouterr().err
