"""The ward's compliance report (``wardbot report``): tickets, deadlines, the bot's answers and
citizens' SIPAS ratings over a quarter, a half-year, a year or a date range.

The figures are computed once, by :func:`build_report`, into a :class:`Report`; every format
(text, CSV, XLSX, HTML, PNG) renders that same object, and the table formats all render the same
flattening, :meth:`Report.rows`, so their numbers agree by construction (tests parse them back).

Definitions (the period is ``[start, end)`` in Vietnam time; "as of" is the earlier of the period's
end and now, so a report on a running quarter does not count tomorrow's deadlines as missed):

- **received**: tickets whose ``received_at`` falls in the period.
- **closed**: tickets that are closed as of the period's end and whose closing falls in the
  period (a ticket reopened and still open is not closed; a reopened one closed again counts once).
- **open**: tickets received before the period's end and not closed as of then (answered but not
  closed counts as open).
- **deadline**: the due date set at receipt, moved by each ``due_change`` made before the deadline
  then in force, except those made once an apology slip was sent: an apology's new date is a
  promise to the citizen, not a new deadline (the apology slip, form 04 of Thông tư
  01/2018/TT-VPCP, gives the late dossier a new date for its result), and a late ticket stays late.
- **due**: tickets whose deadline falls in the period, before "as of"; **on time**: those of them
  closed (as of "as of") no later than their deadline; **on-time rate** = on time ÷ due. Each late
  one is listed with its reason: the latest ``due_change``/``pause`` reason, note text or apology
  reason in its history, if any.
- **apology slips**: ``note`` events in the period carrying an ``apology`` payload.
- **first response**: receipt → the ticket's first ``reply``, for first replies in the period;
  **resolution**: receipt → the closing counted in "closed". Both in working hours of the ward's
  calendar (paused time is not subtracted), as p50/p95 (nearest rank) and mean, overall and by
  category and channel.
- **bot**: compliance-log rows received in the period, by outcome (the officials' group left out); answer latency p50/p95 over the
  delivered ones; 👍 share = helpful votes ÷ votes cast in the period; the ten most frequent
  unanswered questions of the period after normalising (Unicode NFC, lower case, single spaces,
  no surrounding punctuation).
- **SIPAS**: per factor, the mean and count of the scores in ``note`` events' ``sipas`` payloads
  (``{factor: score}``) in the period.

CSV layout: one table with the header ``section,item,metric,value``; ``item`` names the row's
subject within its section (a category, a channel, a ticket code, a question; empty for totals).
XLSX: the same rows, one sheet per section. Empty values mean "no data" (e.g. no ticket was due).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import statistics
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

from tickets import (
    SIPAS_FACTORS,
    WARD_TZ,
    EventKind,
    Status,
    Ticket,
    TicketEvent,
    WorkingCalendar,
    replay_events,
    timestamp_text,
)

from .._config import Config
from ..storage import OFFICIALS_OUTCOME, percentile
from ._period import Period

BOT_OUTCOMES = ("answered", "clarified", "abstained", "escalated")
TOP_UNANSWERED = 10
DURATIONS = ("first_response", "resolution")  # the two times measured, as Report and GroupFigures name them


# --- The figures ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimeStats:
    """Durations in working hours, rounded to 0.01 h; None where there is no sample."""

    n: int
    p50: float | None
    p95: float | None
    mean: float | None

    @classmethod
    def of(cls, hours: Iterable[float]) -> TimeStats:
        values = sorted(hours)
        if not values:
            return cls(0, None, None, None)
        p50, p95 = percentile(values, 0.50), percentile(values, 0.95)
        assert p50 is not None and p95 is not None  # there are values
        return cls(len(values), round(p50, 2), round(p95, 2), round(statistics.fmean(values), 2))


@dataclass(frozen=True)
class GroupFigures:
    """Tickets of one category or one channel."""

    dimension: str  # "category" or "channel"
    key: str
    received: int
    closed: int
    first_response: TimeStats
    resolution: TimeStats


@dataclass(frozen=True)
class LateItem:
    code: str
    category: str
    channel: str
    due_at: dt.datetime
    closed_at: dt.datetime | None  # None: still not closed
    reason: str


@dataclass(frozen=True)
class BotFigures:
    messages: int
    outcomes: dict[str, int]  # the four of BOT_OUTCOMES always, then any other seen
    undelivered: int
    latency_p50_ms: int | None
    latency_p95_ms: int | None
    votes: int
    helpful: int
    top_unanswered: tuple[tuple[str, int], ...]

    @property
    def helpful_share(self) -> float | None:
        return round(self.helpful / self.votes, 4) if self.votes else None


@dataclass(frozen=True)
class SipasScore:
    factor: str
    mean: float
    n: int


@dataclass(frozen=True)
class Report:
    period: Period
    generated_at: dt.datetime
    received: int
    closed: int
    open: int
    due: int
    on_time: int
    late: tuple[LateItem, ...]
    apologies: int
    first_response: TimeStats
    resolution: TimeStats
    groups: tuple[GroupFigures, ...]
    bot: BotFigures
    sipas: tuple[SipasScore, ...]

    @property
    def on_time_rate(self) -> float | None:
        return round(self.on_time / self.due, 4) if self.due else None

    def rows(self) -> list[tuple[str, str, str, Any]]:
        """Every figure as ``(section, item, metric, value)``: what CSV, XLSX and HTML render."""
        rows: list[tuple[str, str, str, Any]] = [
            ("tickets", "", "received", self.received),
            ("tickets", "", "closed", self.closed),
            ("tickets", "", "open", self.open),
            ("tickets", "", "apologies", self.apologies),
            ("on_time", "", "due", self.due),
            ("on_time", "", "on_time", self.on_time),
            ("on_time", "", "late", len(self.late)),
            ("on_time", "", "rate", self.on_time_rate),
        ]
        for item in self.late:
            rows += [
                ("late", item.code, "category", item.category),
                ("late", item.code, "channel", item.channel),
                ("late", item.code, "due_at", _local(item.due_at)),
                ("late", item.code, "closed_at", _local(item.closed_at)),
                ("late", item.code, "reason", item.reason),
            ]
        subjects = [("all", self.first_response, self.resolution)]
        subjects += [(f"{g.dimension}={g.key}", g.first_response, g.resolution) for g in self.groups]
        for subject, first_response, resolution in subjects:
            for name, stats in (("first_response", first_response), ("resolution", resolution)):
                for field in ("n", "p50", "p95", "mean"):
                    rows.append(("times", subject, f"{name}_{field}", getattr(stats, field)))
        for group in self.groups:
            rows += [
                ("times", f"{group.dimension}={group.key}", "received", group.received),
                ("times", f"{group.dimension}={group.key}", "closed", group.closed),
            ]
        bot = self.bot
        rows.append(("bot", "", "messages", bot.messages))
        rows += [("bot", "outcome", outcome, count) for outcome, count in bot.outcomes.items()]
        rows += [
            ("bot", "", "undelivered", bot.undelivered),
            ("bot", "", "latency_p50_ms", bot.latency_p50_ms),
            ("bot", "", "latency_p95_ms", bot.latency_p95_ms),
            ("bot", "", "votes", bot.votes),
            ("bot", "", "helpful", bot.helpful),
            ("bot", "", "helpful_share", bot.helpful_share),
        ]
        rows += [("unanswered", question, "count", count) for question, count in bot.top_unanswered]
        for score in self.sipas:
            rows += [("sipas", score.factor, "mean", score.mean), ("sipas", score.factor, "n", score.n)]
        return rows


def _local(moment: dt.datetime | None) -> str:
    return "" if moment is None else moment.astimezone(WARD_TZ).strftime("%Y-%m-%d %H:%M")


# --- Reading the stores ---------------------------------------------------------------------------


def _query(path: Path, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
    """Rows from a store opened read-only; none when the file or its table does not exist yet."""
    if not path.exists():
        return []
    connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        connection.row_factory = sqlite3.Row
        return connection.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []
        raise
    finally:
        connection.close()


def _ticket_histories(path: Path, until: dt.datetime) -> list[list[TicketEvent]]:
    """Each ticket's events before ``until``, in order (tickets created later are left out)."""
    rows = _query(path, "SELECT * FROM ticket_events WHERE at < ? ORDER BY ticket, seq", [timestamp_text(until)])
    histories: dict[str, list[TicketEvent]] = defaultdict(list)
    for row in rows:
        event = TicketEvent(
            row["ticket"],
            row["seq"],
            row["actor"],
            dt.datetime.fromisoformat(row["at"]),
            EventKind(row["kind"]),
            json.loads(row["data"]),
        )
        histories[event.ticket].append(event)
    return list(histories.values())


# --- Computing ------------------------------------------------------------------------------------


def working_hours(calendar: WorkingCalendar, start: dt.datetime, end: dt.datetime) -> float:
    """Working time between two moments, in hours: office sessions on the ward's working days."""
    total = dt.timedelta()
    day = start.astimezone(calendar.tz).date()
    while day <= end.astimezone(calendar.tz).date():
        if calendar.is_working_day(day):
            for opens, closes in calendar.hours:
                session_start = max(dt.datetime.combine(day, opens, tzinfo=calendar.tz), start)
                session_end = min(dt.datetime.combine(day, closes, tzinfo=calendar.tz), end)
                total += max(session_end - session_start, dt.timedelta())
        day += dt.timedelta(days=1)
    return total.total_seconds() / 3600


def _deadline(created: Ticket, events: Sequence[TicketEvent]) -> dt.datetime:
    """The deadline on-time is judged by (see the module docstring)."""
    deadline, apologised = created.due_at, False
    for event in events:
        if event.kind is EventKind.NOTE and "apology" in event.data:
            apologised = True
        elif event.kind is EventKind.DUE_CHANGE and not apologised and event.at <= deadline:
            deadline = dt.datetime.fromisoformat(event.data["due_at"])
    return deadline


def _late_reason(events: Sequence[TicketEvent]) -> str:
    """The latest reason an official gave in the ticket's history, if any."""
    reason = ""
    for event in events:
        apology = event.data.get("apology") if event.kind is EventKind.NOTE else None
        candidates = [
            event.data.get("reason") if event.kind in (EventKind.DUE_CHANGE, EventKind.PAUSE) else None,
            event.data.get("text") if event.kind is EventKind.NOTE else None,
            apology.get("reason") if isinstance(apology, dict) else None,
        ]
        reason = next((str(c).strip() for c in reversed(candidates) if c and str(c).strip()), reason)
    return reason


def deadline_outcome(
    ticket: Ticket, events: Sequence[TicketEvent], period: Period, as_of: dt.datetime
) -> bool | LateItem | None:
    """How ``ticket`` (replayed from ``events``) counts in the on-time figures of ``period``:
    None when its deadline is not due in the period before ``as_of``, True when it was closed by
    its deadline, else the late item with its reason (the report's and the deadline board's one
    definition)."""
    deadline = _deadline(replay_events(events[:1]), events)
    if not period.start <= deadline < as_of:
        return None
    is_closed = ticket.status is Status.CLOSED
    if is_closed and ticket.closed_at is not None and ticket.closed_at <= deadline:
        return True
    closed_at = ticket.closed_at if is_closed else None
    return LateItem(ticket.code, ticket.category.value, ticket.channel, deadline, closed_at, _late_reason(events))


def normalise_question(text: str) -> str:
    """A question as it is grouped for "most frequent": NFC, lower case, single spaces, no
    punctuation around it (so "Làm CCCD ở đâu?" and "làm cccd ở đâu" count as one)."""
    text = " ".join(unicodedata.normalize("NFC", text).lower().split())
    return text.strip(" .,;:!?…\"'()[]-")


def _ticket_figures(
    histories: Sequence[Sequence[TicketEvent]], period: Period, as_of: dt.datetime, calendar: WorkingCalendar
) -> dict[str, Any]:
    start, end = period.start, period.end

    def in_period(moment: dt.datetime | None) -> TypeGuard[dt.datetime]:
        return moment is not None and start <= moment < end

    received = closed = still_open = due = on_time = apologies = 0
    late: list[LateItem] = []
    first_responses: dict[tuple[str, str], list[float]] = defaultdict(list)
    resolutions: dict[tuple[str, str], list[float]] = defaultdict(list)
    counts: Counter[tuple[str, str, str]] = Counter()  # (dimension, key, "received" | "closed")
    sipas: dict[str, list[float]] = defaultdict(list)
    for events in histories:
        ticket = replay_events(events)
        groups = [("category", ticket.category.value), ("channel", ticket.channel)]
        is_closed = ticket.status is Status.CLOSED
        if in_period(ticket.received_at):
            received += 1
            counts.update((dimension, key, "received") for dimension, key in groups)
        if ticket.received_at < end and not is_closed:
            still_open += 1
        if is_closed and in_period(ticket.closed_at):
            closed += 1
            counts.update((dimension, key, "closed") for dimension, key in groups)
            hours = working_hours(calendar, ticket.received_at, ticket.closed_at)
            for group in [("all", ""), *groups]:
                resolutions[group].append(hours)
        first_reply = next((e for e in events if e.kind is EventKind.REPLY), None)
        if first_reply is not None and in_period(first_reply.at):
            hours = working_hours(calendar, ticket.received_at, first_reply.at)
            for group in [("all", ""), *groups]:
                first_responses[group].append(hours)
        outcome = deadline_outcome(ticket, events, period, as_of)
        if outcome is not None:
            due += 1
            if isinstance(outcome, LateItem):
                late.append(outcome)
            else:
                on_time += 1
        for event in events:
            if event.kind is not EventKind.NOTE or not in_period(event.at):
                continue
            if "apology" in event.data:
                apologies += 1
            for factor, score in (event.data.get("sipas") or {}).items():
                sipas[str(factor)].append(float(score))
    keys = sorted({(d, k) for d, k, _ in counts} | set(first_responses) | set(resolutions))
    group_figures = tuple(
        GroupFigures(
            dimension,
            key,
            counts[dimension, key, "received"],
            counts[dimension, key, "closed"],
            TimeStats.of(first_responses.get((dimension, key), [])),
            TimeStats.of(resolutions.get((dimension, key), [])),
        )
        for dimension, key in keys
        if dimension != "all"
    )
    factor_order = [f for f in SIPAS_FACTORS if f in sipas] + sorted(set(sipas) - set(SIPAS_FACTORS))
    return {
        "received": received,
        "closed": closed,
        "open": still_open,
        "due": due,
        "on_time": on_time,
        "late": tuple(sorted(late, key=lambda item: (item.due_at, item.code))),
        "apologies": apologies,
        "first_response": TimeStats.of(first_responses.get(("all", ""), [])),
        "resolution": TimeStats.of(resolutions.get(("all", ""), [])),
        "groups": group_figures,
        "sipas": tuple(
            SipasScore(factor, round(statistics.fmean(sipas[factor]), 2), len(sipas[factor])) for factor in factor_order
        ),
    }


def _bot_figures(path: Path, period: Period) -> BotFigures:
    bounds = [timestamp_text(period.start), timestamp_text(period.end)]
    rows = _query(
        path,
        # The officials' own group chat is logged too, but it is not the bot answering citizens.
        "SELECT outcome, latency_ms FROM compliance_log WHERE received_at >= ? AND received_at < ? AND outcome != ?",
        [*bounds, OFFICIALS_OUTCOME],
    )
    votes = _query(path, "SELECT helpful FROM votes WHERE voted_at >= ? AND voted_at < ?", bounds)
    # What the bot could not answer: every abstention's message, and the questions recorded for an
    # official before tickets existed (those are tickets now, in the ticket figures; older
    # databases may still hold such rows until the retention purge removes them).
    questions = _query(
        path,
        "SELECT m.text AS question FROM compliance_log c JOIN messages m ON m.id = c.message "
        "WHERE c.received_at >= ? AND c.received_at < ? AND c.outcome = 'abstained' "
        "UNION ALL SELECT question FROM unanswered WHERE asked_at >= ? AND asked_at < ?",
        [*bounds, *bounds],
    )
    outcomes = Counter(row["outcome"] for row in rows)
    latencies = sorted(row["latency_ms"] for row in rows if row["latency_ms"] is not None)
    frequent = Counter(normalise_question(row["question"]) for row in questions)
    frequent.pop("", None)
    top = sorted(frequent.items(), key=lambda pair: (-pair[1], pair[0]))[:TOP_UNANSWERED]
    return BotFigures(
        messages=len(rows),
        outcomes={
            **{o: outcomes[o] for o in BOT_OUTCOMES},
            **{o: n for o, n in sorted(outcomes.items()) if o not in BOT_OUTCOMES},
        },
        undelivered=len(rows) - len(latencies),
        latency_p50_ms=percentile(latencies, 0.50),
        latency_p95_ms=percentile(latencies, 0.95),
        votes=len(votes),
        helpful=sum(1 for row in votes if row["helpful"]),
        top_unanswered=tuple(top),
    )


def build_report(
    period: Period,
    *,
    tickets_path: Path,
    bot_path: Path,
    calendar: WorkingCalendar,
    now: dt.datetime,
) -> Report:
    """All the figures of ``period`` from the two stores (missing files count as empty)."""
    as_of = min(period.end, now)
    histories = _ticket_histories(tickets_path, as_of)
    return Report(
        period=period,
        generated_at=now,
        bot=_bot_figures(bot_path, period),
        **_ticket_figures(histories, period, as_of, calendar),
    )


def ward_report(config: Config, period: Period, *, now: dt.datetime) -> Report:
    """:func:`build_report` over the ward's own stores (``config``'s data directory and calendar):
    what ``wardbot report`` and the web console's reports page show."""
    return build_report(
        period,
        tickets_path=config.data_dir / "tickets.sqlite3",
        bot_path=config.database_path,
        calendar=config.calendar.working_calendar(),
        now=now,
    )
