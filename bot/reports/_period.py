"""The period a report covers: ``2026-Q3``, ``2026-H1``, ``2026``, ``2026-07`` or
``2026-07-01..2026-09-30``, whole days in Vietnam time."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from tickets import WARD_TZ
from wardbot_errors import WardbotError


class PeriodError(WardbotError, ValueError):
    """A ``--period`` that is none of the accepted forms."""


@dataclass(frozen=True)
class Period:
    """Whole days ``first``..``last`` (inclusive) in Vietnam time."""

    label: str
    first: dt.date
    last: dt.date

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.first, dt.time(), tzinfo=WARD_TZ)

    @property
    def end(self) -> dt.datetime:
        """The first moment after the period (exclusive)."""
        return dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(), tzinfo=WARD_TZ)


def parse_period(text: str) -> Period:
    """``2026-Q3``, ``2026-H1``, ``2026``, ``2026-07`` (a month: wards report monthly too) or
    ``2026-07-01..2026-09-30`` (both days included)."""
    text = text.strip()
    if match := re.fullmatch(r"(\d{4})-(\d{2})", text):
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            raise PeriodError(f"{text!r}: a month is 01 to 12")
        first = dt.date(year, month, 1)
        after = dt.date(year + 1, 1, 1) if month == 12 else dt.date(year, month + 1, 1)
        return Period(text, first, after - dt.timedelta(days=1))
    if match := re.fullmatch(r"(\d{4})-([QqHh])([1-4])", text):
        year, kind, number = int(match[1]), match[2].upper(), int(match[3])
        months = 3 if kind == "Q" else 6
        if kind == "H" and number > 2:
            raise PeriodError(f"{text!r}: a year has halves H1 and H2")
        first = dt.date(year, (number - 1) * months + 1, 1)
        next_month = first.month + months
        after = dt.date(year + 1, 1, 1) if next_month > 12 else dt.date(year, next_month, 1)
        return Period(f"{year}-{kind}{number}", first, after - dt.timedelta(days=1))
    if re.fullmatch(r"\d{4}", text):
        year = int(text)
        return Period(text, dt.date(year, 1, 1), dt.date(year, 12, 31))
    if ".." in text:
        start_text, _, last_text = text.partition("..")
        try:
            first, last = dt.date.fromisoformat(start_text.strip()), dt.date.fromisoformat(last_text.strip())
        except ValueError:
            raise PeriodError(f"{text!r}: expected two dates like 2026-07-01..2026-09-30") from None
        if last < first:
            raise PeriodError(f"{text!r}: the range ends before it starts")
        return Period(f"{first.isoformat()}..{last.isoformat()}", first, last)
    raise PeriodError(f"{text!r}: expected 2026-Q3, 2026-H1, 2026, 2026-07 or 2026-07-01..2026-09-30")
