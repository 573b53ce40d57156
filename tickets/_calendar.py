"""Vietnamese working days and deadlines for a ward office.

Counting follows Bộ luật Dân sự 2015 Art. 147 (the day of receipt is not counted) and Art. 148 (a
period ending on a rest day ends with the next working day). Working days are Monday-Friday, minus
the public holidays of Bộ luật Lao động 2019 Art. 112 and the compensatory days of its Art. 111(3)
as ``holidays.VN`` computes them, plus the Saturdays the government declares working days in a
swap, and then an admin-editable override table.

``holidays==0.109`` (pinned in pyproject.toml) returns these days, which match the government's
notices of the 2025 and 2026 Tết breaks and swaps:

- 2025: 1/1; 27/1 (29 Tết), 28/1-1/2 Tết; 7/4 Giỗ Tổ; 30/4; 1/5; 2/5 (swap: Sat 26/4 is worked); 1/9-2/9.
- 2026: 1/1; 16/2-20/2 Tết; 26/4 Giỗ Tổ (Sun) and 27/4 observed; 30/4; 1/5; 31/8 (swap: Sat 22/8 is
  worked); 1/9-2/9; 24/11 Ngày Văn hóa Việt Nam.
- 2027: 1/1; 4/2 (29 Tết), 5/2-9/2 Tết, 10/2 (mùng 5, compensatory); 16/4 Giỗ Tổ; 30/4; 1/5 (Sat) and
  3/5 observed; 2/9-3/9; 24/11. Rule-computed: no official 2027 notice was checked.

24/11 is left out of the package layer on purpose: its legal basis is unverified, so it lives as a
``yearly_day_off`` row of the bundled overrides file (``calendar_overrides.csv``) that an admin can
delete.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast
from zoneinfo import ZoneInfo

import holidays

from wardbot_errors import WardbotError

WARD_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# Office hours of a ward's one-stop unit: morning and afternoon sessions.
DEFAULT_HOURS: tuple[tuple[dt.time, dt.time], ...] = (
    (dt.time(7, 30), dt.time(11, 30)),
    (dt.time(13, 30), dt.time(17, 0)),
)

OverrideKind = Literal["day_off", "working_day", "closure", "yearly_day_off"]
OVERRIDE_KINDS: tuple[OverrideKind, ...] = ("day_off", "working_day", "closure", "yearly_day_off")
_HEADER = ["date", "kind", "reason"]

# The English name holidays.VN gives 24/11 (and "... (observed)" for its compensatory day). The
# package's own rows are dropped so that the override row alone decides (see the module docstring).
_UNVERIFIED_HOLIDAY = "Vietnam Cultural Day"


class OverridesError(WardbotError, ValueError):
    """A problem in the overrides file, as ``file:line: message``."""


@dataclass(frozen=True)
class Override:
    """One admin row: ``day`` is off or worked, and why."""

    day: dt.date
    kind: OverrideKind
    reason: str


def bundled_overrides_path() -> Path:
    """The overrides file shipped with wardbot (used when bot.toml names none)."""
    return Path(__file__).with_name("calendar_overrides.csv")


def load_overrides(path: str | Path) -> tuple[Override, ...]:
    """Read and check an overrides CSV (header ``date,kind,reason``; ``#`` comments allowed).

    Every problem raises :class:`OverridesError` naming the file and line, before any row is used.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise OverridesError(f"{path}: cannot read the overrides file: {exc.strerror}") from None
    rows: list[Override] = []
    seen: dict[tuple[dt.date, bool], int] = {}
    header_seen = False
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{path}:{number}"
        cells = [cell.strip() for cell in next(csv.reader([line]))]
        if not header_seen:
            if cells != _HEADER:
                raise OverridesError(f"{where}: expected the header line {','.join(_HEADER)}, got {line.strip()!r}")
            header_seen = True
            continue
        if len(cells) != 3:
            raise OverridesError(f"{where}: expected 3 columns (date,kind,reason), got {len(cells)}")
        date_text, kind, reason = cells
        try:
            day = dt.date.fromisoformat(date_text)
        except ValueError:
            raise OverridesError(f"{where}: date: expected YYYY-MM-DD, got {date_text!r}") from None
        if kind not in OVERRIDE_KINDS:
            raise OverridesError(f"{where}: kind: expected one of {', '.join(OVERRIDE_KINDS)}, got {kind!r}")
        if not reason:
            raise OverridesError(f"{where}: reason: must not be empty (say why the day changes)")
        yearly = kind == "yearly_day_off"
        if yearly and (day.month, day.day) == (2, 29):
            raise OverridesError(f"{where}: date: a yearly day off cannot be 29 February")
        # A dated row and a yearly row on one date may coexist (the dated one wins); two of a sort may not.
        if (day, yearly) in seen:
            raise OverridesError(f"{where}: date: {day} already has a row on line {seen[day, yearly]}")
        seen[day, yearly] = number
        rows.append(Override(day, cast(OverrideKind, kind), reason))
    if not header_seen:
        raise OverridesError(f"{path}: empty: expected at least the header line {','.join(_HEADER)}")
    return tuple(rows)


def check_hours(hours: Sequence[tuple[dt.time, dt.time]]) -> None:
    """Office sessions must each open before they close, follow one another in the day's order and
    not overlap: a deadline in hours walks them in order. :class:`ValueError` names the session."""

    def span(number: int) -> str:
        opens, closes = hours[number - 1]
        return f"session {number} ({opens:%H:%M}-{closes:%H:%M})"

    if not hours:
        raise ValueError("hours: at least one working session is needed")
    for number, (opens, closes) in enumerate(hours, start=1):
        if not opens < closes:
            raise ValueError(f"hours: {span(number)} must open before it closes")
        if number > 1 and opens < hours[number - 2][1]:
            raise ValueError(
                f"hours: {span(number)} must open after {span(number - 1)} closes: "
                "sessions go in the day's order and do not overlap"
            )


class WorkingCalendar:
    """Working days and working-time deadlines of one ward.

    Datetimes in must be timezone-aware; datetimes out are in the ward's time zone.
    """

    def __init__(
        self,
        overrides: Sequence[Override] = (),
        *,
        hours: Sequence[tuple[dt.time, dt.time]] = DEFAULT_HOURS,
        tz: dt.tzinfo = WARD_TZ,
    ) -> None:
        check_hours(hours)
        self.hours = tuple(hours)
        self.tz = tz
        self._package = holidays.VN(language="en_US")  # English names: stable keys for _UNVERIFIED_HOLIDAY
        self._dated = {o.day: o for o in overrides if o.kind != "yearly_day_off"}
        self._yearly = [o for o in overrides if o.kind == "yearly_day_off"]
        self._yearly_days_off: dict[int, set[dt.date]] = {}

    @classmethod
    def from_file(
        cls,
        path: str | Path | None = None,
        *,
        hours: Sequence[tuple[dt.time, dt.time]] = DEFAULT_HOURS,
        tz: dt.tzinfo = WARD_TZ,
    ) -> WorkingCalendar:
        """A calendar with the overrides of ``path`` (default: the bundled file)."""
        return cls(load_overrides(path or bundled_overrides_path()), hours=hours, tz=tz)

    # -- days ---------------------------------------------------------------------------------

    def is_working_day(self, day: dt.date) -> bool:
        """Whether the ward office works on ``day``: a dated override, else a yearly one, else the package."""
        override = self._dated.get(day)
        if override is not None:
            return override.kind == "working_day"
        if day in self._yearly_days_off_in(day.year):
            return False
        return self._package_working_day(day)

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """The working days after ``start`` up to and including ``end`` (Art. 147: ``start`` is not counted)."""
        if end < start:
            raise ValueError(f"the end {end} is before the start {start}")
        return sum(self.is_working_day(start + dt.timedelta(days=i)) for i in range(1, (end - start).days + 1))

    def _package_working_day(self, day: dt.date) -> bool:
        """holidays.VN's answer, without the unverified 24/11 (see the module docstring)."""
        names = [n for n in self._package.get_list(day) if not n.startswith(_UNVERIFIED_HOLIDAY)]
        if names:
            return False
        # weekend_workdays is filled when the year is first looked up, which get_list just did.
        return day in self._package.weekend_workdays or day.weekday() not in self._package.weekend

    def _yearly_days_off_in(self, year: int) -> set[dt.date]:
        """The yearly rows' days off in ``year``, each moved off a rest day as Art. 111(3) compensates."""
        if year not in self._yearly_days_off:
            days = set()
            for row in self._yearly:
                if row.day.year > year:
                    continue
                day = row.day.replace(year=year)
                while not self._package_working_day(day):
                    day += dt.timedelta(days=1)
                days.add(day)
            self._yearly_days_off[year] = days
        return self._yearly_days_off[year]

    # -- deadlines ----------------------------------------------------------------------------

    def due(
        self,
        received_at: dt.datetime,
        amount: int,
        unit: Literal["days", "hours"] = "days",
        *,
        paused: Sequence[tuple[dt.datetime, dt.datetime]] = (),
    ) -> dt.datetime:
        """The moment a request received at ``received_at`` is due, ``amount`` working days or hours later.

        Days: the day of receipt is not counted (Art. 147) and the deadline is the close of the
        ``amount``-th following working day; counting working days only, a deadline never lands on a
        rest day (Art. 148). Hours: working hours from receipt; outside them the clock starts at the
        next session. ``paused`` intervals (waiting for the citizen; pass ``now`` as the end of an
        open one) do not count: in hours exactly, in days as the working days after the pause's first
        day up to and including the day it ended, like a fresh receipt.
        """
        _require_aware("received_at", received_at)
        if amount < 1:
            raise ValueError(f"amount: expected a positive number of {unit}, got {amount}")
        for start, end in paused:
            _require_aware("paused", start)
            _require_aware("paused", end)
            if end < start:
                raise ValueError(f"paused: the interval ends ({end}) before it starts ({start})")
        received_at = received_at.astimezone(self.tz)
        if unit == "days":
            return self._due_in_days(received_at, amount, paused)
        if unit == "hours":
            return self._due_in_hours(received_at, amount, paused)
        raise ValueError(f'unit: expected "days" or "hours", got {unit!r}')

    def _due_in_days(
        self, received_at: dt.datetime, amount: int, paused: Sequence[tuple[dt.datetime, dt.datetime]]
    ) -> dt.datetime:
        paused_days = [(start.astimezone(self.tz).date(), end.astimezone(self.tz).date()) for start, end in paused]
        day, counted = received_at.date(), 0
        while counted < amount:
            day += dt.timedelta(days=1)
            if self.is_working_day(day) and not any(first < day <= last for first, last in paused_days):
                counted += 1
        return dt.datetime.combine(day, self.hours[-1][1], tzinfo=self.tz)

    def _due_in_hours(
        self, received_at: dt.datetime, amount: int, paused: Sequence[tuple[dt.datetime, dt.datetime]]
    ) -> dt.datetime:
        remaining = dt.timedelta(hours=amount)
        for start, end in _without(self._sessions_from(received_at), sorted(paused)):
            if end - start >= remaining:
                return start + remaining
            remaining -= end - start
        raise AssertionError("unreachable: working sessions never run out")

    def _sessions_from(self, moment: dt.datetime) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """Working sessions from ``moment`` on, the first one cut to start at ``moment``."""
        day = moment.date()
        while True:
            if self.is_working_day(day):
                for opens, closes in self.hours:
                    start = dt.datetime.combine(day, opens, tzinfo=self.tz)
                    end = dt.datetime.combine(day, closes, tzinfo=self.tz)
                    if end > moment:
                        yield max(start, moment), end
            day += dt.timedelta(days=1)


def _without(
    sessions: Iterator[tuple[dt.datetime, dt.datetime]], paused: Sequence[tuple[dt.datetime, dt.datetime]]
) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """``sessions`` minus the ``paused`` intervals (sorted by start; they may overlap)."""
    for start, end in sessions:
        cursor = start
        for pause_start, pause_end in paused:
            if pause_end <= cursor or pause_start >= end:
                continue
            if pause_start > cursor:
                yield cursor, pause_start
            cursor = max(cursor, pause_end)
            if cursor >= end:
                break
        if cursor < end:
            yield cursor, end


def _require_aware(name: str, moment: dt.datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name}: expected a timezone-aware datetime, got {moment.isoformat()}")
