"""Clocks that stand still until a test moves them: inject them instead of waiting."""

from __future__ import annotations

import datetime as dt


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
