"""The leaders' deadline board (the web console's): on-time rates of this month and this quarter,
the late tickets with their reasons, what is overdue or due soon now, and each official's load.

The on-time figures and late reasons are the report's own (:func:`~bot.reports._figures.deadline_outcome`,
the one definition ``wardbot report`` uses), over the months and quarters of the ward's time; the
deadline states are ``tickets.deadline_state``, the console's queue's. Read from the
:class:`~tickets.TicketStore` the running bot holds, at ``now``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence

from tickets import (
    WARD_TZ,
    Category,
    DeadlinePolicy,
    DeadlineState,
    EventKind,
    Status,
    Ticket,
    TicketEvent,
    TicketStore,
    WorkingCalendar,
    deadline_state,
    working_days_late,
)

from ._figures import LateItem, deadline_outcome
from ._period import Period, parse_period

_OPEN = (Status.NEW, Status.ASSIGNED, Status.REOPENED)


@dataclasses.dataclass(frozen=True)
class OnTime:
    """The on-time figures of one period, as the report counts them up to now."""

    period: Period
    due: int
    on_time: int

    @property
    def rate(self) -> float | None:
        return round(self.on_time / self.due, 4) if self.due else None


@dataclasses.dataclass(frozen=True)
class LateTicket:
    """A late ticket of the quarter (the report's item, with its reason) and how late it is or
    was, in working days: up to its closing, or to now while it is not closed."""

    item: LateItem
    working_days_late: int


@dataclasses.dataclass(frozen=True)
class UrgentTicket:
    """A ticket not closed and not paused that is overdue or due soon now."""

    ticket: Ticket
    state: DeadlineState  # OVERDUE or DUE_SOON
    working_days_late: int  # 0 for one due soon


@dataclasses.dataclass(frozen=True)
class OfficialLoad:
    """One official's load: open tickets assigned to them, how many of those are overdue now,
    and the tickets they answered this month."""

    official: str  # the assignee as recorded: "telegram:123", "cli:lan", a console user's actor
    open_assigned: int
    overdue: int
    answered_this_month: int


@dataclasses.dataclass(frozen=True)
class Board:
    generated_at: dt.datetime
    month: OnTime
    quarter: OnTime
    late: tuple[LateTicket, ...]  # the quarter's, latest deadline first
    urgent: tuple[UrgentTicket, ...]  # overdue first (the longest late first), then due soon by due moment
    load: tuple[OfficialLoad, ...]  # by official


def month_and_quarter(now: dt.datetime) -> tuple[Period, Period]:
    """The month and the quarter ``now`` falls in, in the ward's time."""
    today = now.astimezone(WARD_TZ).date()
    return parse_period(f"{today:%Y-%m}"), parse_period(f"{today.year}-Q{(today.month - 1) // 3 + 1}")


def _on_time(histories: Sequence[tuple[Ticket, Sequence[TicketEvent]]], period: Period, now: dt.datetime) -> OnTime:
    outcomes = [deadline_outcome(ticket, events, period, min(period.end, now)) for ticket, events in histories]
    due = [outcome for outcome in outcomes if outcome is not None]
    return OnTime(period, len(due), sum(1 for outcome in due if outcome is True))


async def build_board(
    store: TicketStore,
    calendar: WorkingCalendar,
    policies: Mapping[Category, DeadlinePolicy],
    *,
    now: dt.datetime,
) -> Board:
    """The board at ``now`` from every ticket's history in ``store``; ``calendar`` and ``policies``
    are the ward's (a ``TicketDesk``'s), which decide due soon and working days late."""
    histories = [(ticket, await store.events(ticket.code)) for ticket in await store.list()]
    month, quarter = month_and_quarter(now)
    late = []
    for ticket, events in histories:
        outcome = deadline_outcome(ticket, events, quarter, min(quarter.end, now))
        if isinstance(outcome, LateItem):
            late.append(LateTicket(outcome, working_days_late(calendar, outcome.due_at, outcome.closed_at or now)))
    urgent, open_assigned, overdue = [], Counter[str](), Counter[str]()
    answered: defaultdict[str, set[str]] = defaultdict(set)
    for ticket, events in histories:
        state = deadline_state(ticket, calendar, policies[ticket.category], now)
        if state in (DeadlineState.OVERDUE, DeadlineState.DUE_SOON):
            urgent.append(UrgentTicket(ticket, state, working_days_late(calendar, ticket.due_at, now)))
        if ticket.assignee and ticket.status in _OPEN:
            open_assigned[ticket.assignee] += 1
            overdue[ticket.assignee] += state is DeadlineState.OVERDUE
        for event in events:
            if event.kind is EventKind.REPLY and month.start <= event.at < month.end:
                answered[event.actor].add(ticket.code)
    officials = sorted(set(open_assigned) | set(answered))
    return Board(
        generated_at=now,
        month=_on_time(histories, month, now),
        quarter=_on_time(histories, quarter, now),
        late=tuple(sorted(late, key=lambda late: (late.item.due_at, late.item.code), reverse=True)),
        urgent=tuple(
            sorted(
                urgent,
                key=lambda u: (u.state is not DeadlineState.OVERDUE, -u.working_days_late, u.ticket.due_at),
            )
        ),
        load=tuple(OfficialLoad(name, open_assigned[name], overdue[name], len(answered[name])) for name in officials),
    )
