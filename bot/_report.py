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
  promise to the citizen, not a new deadline (domain.md §3.2), and a late ticket stays late.
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

import base64
import csv
import datetime as dt
import html
import io
import json
import re
import sqlite3
import statistics
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

from handlers import catalogue
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

from ._storage import OFFICIALS_OUTCOME, percentile

BOT_OUTCOMES = ("answered", "clarified", "abstained", "escalated")
TOP_UNANSWERED = 10
DURATIONS = ("first_response", "resolution")  # the two times measured, as Report and GroupFigures name them


class PeriodError(ValueError):
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
    """``2026-Q3``, ``2026-H1``, ``2026`` or ``2026-07-01..2026-09-30`` (both days included)."""
    text = text.strip()
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
    raise PeriodError(f"{text!r}: expected 2026-Q3, 2026-H1, 2026 or 2026-07-01..2026-09-30")


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


def format_value(value: Any) -> str:
    """A figure as CSV and HTML write it (and as tests compare it): no data is empty."""
    if value is None:
        return ""
    if isinstance(value, float):  # figures are rounded to at most 4 decimals; no exponent notation
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return str(value)


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
        deadline = _deadline(replay_events(events[:1]), events)
        if start <= deadline < as_of:
            due += 1
            if is_closed and ticket.closed_at is not None and ticket.closed_at <= deadline:
                on_time += 1
            else:
                closed_at = ticket.closed_at if is_closed else None
                reason = _late_reason(events)
                late.append(LateItem(ticket.code, ticket.category.value, ticket.channel, deadline, closed_at, reason))
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


# --- Rendering ------------------------------------------------------------------------------------


def _hours(value: float | None) -> str:
    return "-" if value is None else f"{value:g} h"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f} %"


def _times_line(label: str, stats: TimeStats, indent: str = "  ") -> str:
    hours = {"p50": _hours(stats.p50), "p95": _hours(stats.p95), "mean": _hours(stats.mean)}
    return indent + catalogue.REPORT_TIMES_LINE.format(label=label, n=stats.n, **hours)


def render_text(report: Report) -> str:
    """The report for a person to read, headed in Vietnamese."""
    period, bot = report.period, report.bot

    def heading(number: int, section: str) -> list[str]:
        return ["", f"{number}. {catalogue.REPORT_SECTIONS[section]}"]

    first, last = period.first.strftime(catalogue.DATE), period.last.strftime(catalogue.DATE)
    counts = {"received": report.received, "closed": report.closed, "open": report.open}
    on_time = {"rate": _percent(report.on_time_rate), "on_time": report.on_time, "due": report.due}
    lines = [
        catalogue.REPORT_TITLE.format(period=period.label, first=first, last=last),
        catalogue.REPORT_GENERATED.format(time=_local(report.generated_at)),
        *heading(1, "tickets"),
        "  " + catalogue.REPORT_TICKET_COUNTS.format(**counts),
        "  " + catalogue.REPORT_APOLOGIES.format(count=report.apologies),
        *heading(2, "on_time"),
        "  " + catalogue.REPORT_ON_TIME.format(**on_time),
    ]
    if report.late:
        lines.append("  " + catalogue.REPORT_LATE.format(count=len(report.late)))
        for item in report.late:
            closed = (
                catalogue.REPORT_CLOSED_AT.format(time=_local(item.closed_at))
                if item.closed_at
                else catalogue.REPORT_NOT_CLOSED
            )
            line = catalogue.REPORT_LATE_LINE.format(
                code=item.code,
                category=catalogue.CATEGORY_SHORT.get(item.category, item.category),
                channel=catalogue.REPORT_CHANNELS.get(item.channel, item.channel),
                due=_local(item.due_at),
                closed=closed,
                reason=item.reason or catalogue.REPORT_NO_REASON,
            )
            lines.append("    " + line)
    lines += heading(3, "times")
    lines += [_times_line(catalogue.REPORT_TIMES[measure], getattr(report, measure)) for measure in DURATIONS]
    for group in report.groups:
        names = catalogue.CATEGORY_SHORT if group.dimension == "category" else catalogue.REPORT_CHANNELS
        name = names.get(group.key, group.key)
        label = catalogue.REPORT_METRICS[group.dimension]
        summary = catalogue.REPORT_GROUP.format(label=label, name=name, received=group.received, closed=group.closed)
        lines.append("  " + summary)
        lines += [
            _times_line(catalogue.REPORT_TIMES_IN_GROUP[measure], getattr(group, measure), indent="    ")
            for measure in DURATIONS
        ]
    outcomes = ", ".join(
        f"{catalogue.REPORT_OUTCOMES.get(outcome, outcome)} {count}" for outcome, count in bot.outcomes.items()
    )
    latency = "-" if bot.latency_p50_ms is None else f"p50 {bot.latency_p50_ms} ms, p95 {bot.latency_p95_ms} ms"
    helpful = {"rate": _percent(bot.helpful_share), "helpful": bot.helpful, "votes": bot.votes}
    lines += [
        *heading(4, "bot"),
        "  " + catalogue.REPORT_MESSAGES.format(messages=bot.messages, outcomes=outcomes, undelivered=bot.undelivered),
        "  " + catalogue.REPORT_LATENCY.format(latency=latency),
        "  " + catalogue.REPORT_HELPFUL.format(**helpful),
        "  " + catalogue.REPORT_UNANSWERED,
    ]
    lines += [f"    {count} × {question}" for question, count in bot.top_unanswered] or [
        "    " + catalogue.REPORT_NO_QUESTIONS
    ]
    lines += heading(5, "sipas")
    lines += [
        f"  {catalogue.REPORT_SIPAS_FACTORS.get(s.factor, s.factor)}: {s.mean:g} (n={s.n})" for s in report.sipas
    ] or ["  " + catalogue.REPORT_NO_RATINGS]
    return "\n".join(lines) + "\n"


def item_label(section: str, item: str) -> str:
    """How the report names an item: "Tất cả", "Loại: Phản ánh, kiến nghị", a SIPAS factor...;
    ticket codes and citizens' questions are shown as they are."""
    if item == "all":
        return catalogue.REPORT_ITEM_ALL
    if section == "times" and "=" in item:
        dimension, _, key = item.partition("=")
        names = catalogue.CATEGORY_LABELS if dimension == "category" else catalogue.REPORT_CHANNELS
        label = catalogue.REPORT_DIMENSIONS.get(dimension, dimension)
        return catalogue.REPORT_ITEM_GROUP.format(dimension=label, name=names.get(key, key))
    if section == "bot" and item == "outcome":
        return catalogue.REPORT_ITEM_OUTCOMES
    if section == "sipas":
        return catalogue.REPORT_SIPAS_FACTORS.get(item, item)
    return item


def metric_label(section: str, item: str, metric: str) -> str:
    if section == "bot" and item == "outcome":
        return catalogue.REPORT_OUTCOMES.get(metric, metric)
    return catalogue.REPORT_METRICS.get(metric, metric)


def value_label(metric: str, value: Any) -> Any:
    """A value as people read it: a category or channel key named in Vietnamese."""
    if metric == "category":
        return catalogue.CATEGORY_LABELS.get(value, value)
    if metric == "channel":
        return catalogue.REPORT_CHANNELS.get(value, value)
    return value


def labelled_rows(report: Report) -> list[tuple[str, str, str, Any, str, str, str, Any]]:
    """:meth:`Report.rows` with what people read appended: the labels of section, item and
    metric, and the value as shown."""
    return [
        (section, item, metric, value, catalogue.REPORT_SECTIONS[section], item_label(section, item),
         metric_label(section, item, metric), value_label(metric, value))
        for section, item, metric, value in report.rows()
    ]  # fmt: skip


# CSV columns: the stable keys machines read, the value, then the labels people read.
CSV_HEADER = ("section", "item", "metric", "value", "section_label", "item_label", "metric_label")


def render_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(
        (section, item, metric, format_value(value), *labels)
        for section, item, metric, value, *labels, _ in labelled_rows(report)
    )
    return out.getvalue()


def render_xlsx(report: Report, path: Path) -> None:
    """One sheet per section, named in Vietnamese, with the columns Mục, Chỉ số, Giá trị."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    sheets: dict[str, Any] = {}
    for section, _, _, _, section_label, item, metric, value in labelled_rows(report):
        if section not in sheets:
            sheet = workbook.create_sheet(section_label[:31])  # Excel's limit on sheet names
            sheet.append([catalogue.REPORT_COLUMNS[c] for c in ("item", "metric", "value")])
            for cell in sheet[1]:
                cell.font = Font(bold=True)
            sheet.column_dimensions["A"].width = 40
            sheet.column_dimensions["B"].width = 30
            sheet.column_dimensions["C"].width = 40
            sheets[section] = sheet
        sheets[section].append([item, metric, value])
    workbook.save(path)


def render_png(report: Report) -> bytes:
    """A chart page: on-time vs late, the bot's outcomes, response times by category."""
    out = io.BytesIO()
    chart_figure(report).savefig(out, format="png")
    return out.getvalue()


def chart_figure(report: Report):
    """The figure :func:`render_png` draws (matplotlib, no display needed)."""
    import matplotlib

    matplotlib.use("Agg")  # no display; DejaVu Sans, bundled with matplotlib, has Vietnamese letters
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(12, 4.2), dpi=100, layout="constrained")
    title = catalogue.REPORT_CHART_TITLE.format(period=report.period.label, received=report.received)
    figure.suptitle(title, fontsize=14)
    on_time, bot, timing = figure.subplots(1, 3)

    bars = [catalogue.REPORT_METRICS["on_time"], catalogue.REPORT_METRICS["late"]]
    on_time.bar(bars, [report.on_time, len(report.late)], color=["#2e7d32", "#c62828"])
    rate = {"rate": _percent(report.on_time_rate), "on_time": report.on_time, "due": report.due}
    on_time.set_title(catalogue.REPORT_CHART_ON_TIME.format(**rate))
    on_time.set_ylabel(catalogue.REPORT_CHART_DUE_AXIS)

    outcomes = report.bot.outcomes
    bot.bar([catalogue.REPORT_OUTCOMES.get(o, o) for o in outcomes], list(outcomes.values()), color="#1565c0")
    bot.set_title(catalogue.REPORT_CHART_BOT.format(messages=report.bot.messages))
    bot.tick_params(axis="x", labelrotation=30)
    for counts in (on_time, bot):
        counts.yaxis.set_major_locator(MaxNLocator(integer=True))

    subjects = [(catalogue.REPORT_CHART_ALL, report.first_response, report.resolution)] + [
        (catalogue.CATEGORY_SHORT.get(g.key, g.key), g.first_response, g.resolution)
        for g in report.groups
        if g.dimension == "category"
    ]
    positions = range(len(subjects))
    width = 0.38
    first_response = [s[1].p50 or 0 for s in subjects]
    resolution = [s[2].p50 or 0 for s in subjects]
    timing.bar([p - width / 2 for p in positions], first_response, width, label=catalogue.REPORT_CHART_FIRST_RESPONSE)
    timing.bar([p + width / 2 for p in positions], resolution, width, label=catalogue.REPORT_CHART_RESOLUTION)
    timing.set_xticks(list(positions), [s[0] for s in subjects])
    timing.set_title(catalogue.REPORT_CHART_TIMES)
    timing.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncols=2, fontsize="small")
    for axes in (on_time, bot, timing):  # an empty period: 0 to 1, not -0.05 to 0.05
        axes.set_ylim(bottom=0, top=max(1.0, axes.get_ylim()[1]))
    return figure


_CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; width: 100%; } td, th { border: 1px solid #ddd; padding: .3em .6em; }
th { background: #f2f2f2; text-align: left; } td.number { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 100%; } .meta { color: #666; }
"""


def render_html(report: Report) -> str:
    """A self-contained page: inline CSS, the chart page as a base64 PNG, one table per section.
    Each row carries its ``section``, ``item`` and ``metric`` keys as data attributes, so that
    the page can be read back by machines as well as people."""
    chart = base64.b64encode(render_png(report)).decode("ascii")
    period = report.period
    first, last = period.first.strftime(catalogue.DATE), period.last.strftime(catalogue.DATE)
    meta = catalogue.REPORT_PAGE_META.format(first=first, last=last, time=_local(report.generated_at))
    columns = "".join(f"<th>{html.escape(catalogue.REPORT_COLUMNS[c])}</th>" for c in ("item", "metric", "value"))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="vi"><head><meta charset="utf-8">',
        f"<title>{html.escape(catalogue.REPORT_PAGE_TITLE.format(period=period.label))}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(catalogue.REPORT_PAGE_HEADING.format(period=period.label))}</h1>",
        f'<p class="meta">{html.escape(meta)}</p>',
        f'<img alt="{html.escape(catalogue.REPORT_CHART_ALT)}" src="data:image/png;base64,{chart}">',
    ]
    section = None
    for key, item, metric, _, _, item_text, metric_text, value in labelled_rows(report):
        if key != section:
            if section is not None:
                parts.append("</table>")
            parts += [f"<h2>{html.escape(catalogue.REPORT_SECTIONS[key])}</h2>", f"<table><tr>{columns}</tr>"]
            section = key
        cell_class = "number" if isinstance(value, int | float) else "text"
        parts.append(
            f'<tr data-section="{key}" data-item="{html.escape(item)}" data-metric="{metric}">'
            f"<td>{html.escape(item_text)}</td><td>{html.escape(metric_text)}</td>"
            f'<td class="{cell_class}">{html.escape(format_value(value))}</td></tr>'
        )
    parts += ["</table>", "</body></html>"]
    return "\n".join(parts) + "\n"
