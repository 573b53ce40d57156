"""The ticket desk: what the citizen-facing side does with tickets.

It files a ticket with its due moment computed from the ward's deadline policy and working-day
calendar, shows a ticket only to its filer (same channel and chat) or to whoever holds its lookup
code, and records the citizen's SIPAS rating after closing (SIPAS, Bộ Nội vụ's Satisfaction Index
of Public Administration Services, set by Nghị quyết 30c/NQ-CP). Officials' actions
go through :class:`~tickets.TicketStore` directly. Whoever must hear of each new ticket (the
officials' group) adds an async callback to :attr:`TicketDesk.on_opened`.

Pauses (the ticket waits for the citizen): an official pauses a ticket; the citizen's answer is
attached with :meth:`TicketDesk.supplement`, which resumes it. Resuming (:meth:`TicketDesk.resume`)
moves the due moment to the policy's deadline counted from receipt with every paused interval left
out (:meth:`WorkingCalendar.due`'s ``paused``), recorded as a ``due_change`` whose reason is the
pause's. :func:`deadline_state` says where an unpaused ticket stands against its due moment.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from enum import Enum
from typing import Literal

from ._calendar import WorkingCalendar
from ._store import Category, EventKind, Status, Ticket, TicketEvent, TicketNotFound, TicketStore

__all__ = [
    "DEFAULT_POLICIES",
    "SIPAS_FACTORS",
    "DeadlinePolicy",
    "DeadlineState",
    "TicketDesk",
    "WorkingPeriod",
    "deadline_state",
    "paused_intervals",
    "working_days_late",
]

log = logging.getLogger(__name__)

Unit = Literal["days", "hours"]

# The five factors SIPAS measures (access to the service, the procedure, the civil servant, the
# result, the handling of feedback), in the order the citizen is asked about them.
SIPAS_FACTORS = ("access", "procedure", "official", "result", "feedback")
SIPAS_SCORES = range(1, 6)


@dataclasses.dataclass(frozen=True, slots=True)
class WorkingPeriod:
    """An amount of working days or working hours."""

    amount: int
    unit: Unit = "days"

    def __post_init__(self) -> None:
        if self.unit not in ("days", "hours"):
            raise ValueError(f'unit: expected "days" or "hours", got {self.unit!r}')
        if self.amount < 1:
            raise ValueError(f"amount: expected a positive number of {self.unit}, got {self.amount}")


@dataclasses.dataclass(frozen=True, slots=True)
class DeadlinePolicy:
    """How long a category of ticket may take, and how long before its due moment to warn."""

    amount: int
    unit: Unit = "days"
    warn_before: WorkingPeriod = WorkingPeriod(1, "days")

    def __post_init__(self) -> None:
        WorkingPeriod(self.amount, self.unit)  # the same checks


# Nghị định 20/2008/NĐ-CP's own deadlines were not checked against its text, and local rules are
# often tighter: each ward sets its own in bot.toml.
DEFAULT_POLICIES: Mapping[Category, DeadlinePolicy] = {
    Category.FEEDBACK: DeadlinePolicy(10, "days", WorkingPeriod(2, "days")),
    Category.QUESTION: DeadlinePolicy(5, "days", WorkingPeriod(1, "days")),
}


class DeadlineState(str, Enum):
    """Where a ticket stands against its due moment (the console colours its queue by it)."""

    OVERDUE = "overdue"  # not closed, and the due moment has passed
    DUE_SOON = "due_soon"  # within its policy's ``warn_before`` of the due moment
    ON_TRACK = "on_track"
    PAUSED = "paused"  # waiting for the citizen: the clock stands still
    CLOSED = "closed"  # done; whether on time is the report's business


def deadline_state(
    ticket: Ticket, calendar: WorkingCalendar, policy: DeadlinePolicy, now: dt.datetime
) -> DeadlineState:
    """The ticket's deadline state at ``now``. An answered ticket still counts against its due
    moment until it is closed, as the report counts it (on time means closed by the deadline)."""
    if ticket.status is Status.CLOSED:
        return DeadlineState.CLOSED
    if ticket.paused:
        return DeadlineState.PAUSED
    if ticket.due_at < now:
        return DeadlineState.OVERDUE
    if in_warning_period(ticket, calendar, policy, now):
        return DeadlineState.DUE_SOON
    return DeadlineState.ON_TRACK


def in_warning_period(ticket: Ticket, calendar: WorkingCalendar, policy: DeadlinePolicy, now: dt.datetime) -> bool:
    """Whether the policy's ``warn_before`` from ``now`` reaches the ticket's due moment: the
    deadline watch warns then, and the board and the officials' queue show the ticket as due soon."""
    warn = policy.warn_before
    return calendar.due(now, warn.amount, warn.unit) >= ticket.due_at


def working_days_late(calendar: WorkingCalendar, due_at: dt.datetime, until: dt.datetime) -> int:
    """How many working days after its due moment ``until`` falls (0 if not after it, or the same day)."""
    if until <= due_at:
        return 0
    return calendar.working_days_between(due_at.astimezone(calendar.tz).date(), until.astimezone(calendar.tz).date())


def paused_intervals(events: Sequence[TicketEvent], now: dt.datetime) -> list[tuple[dt.datetime, dt.datetime, str]]:
    """Each pause in the history as ``(start, end, reason)``; a pause still running ends at ``now``."""
    intervals: list[tuple[dt.datetime, dt.datetime, str]] = []
    started: TicketEvent | None = None
    for event in events:
        if event.kind is EventKind.PAUSE:
            started = event
        elif event.kind is EventKind.RESUME and started is not None:
            intervals.append((started.at, event.at, str(started.data.get("reason", ""))))
            started = None
    if started is not None:
        intervals.append((started.at, max(now, started.at), str(started.data.get("reason", ""))))
    return intervals


class TicketDesk:
    """Files and shows citizens' tickets. ``policies`` default per category to :data:`DEFAULT_POLICIES`."""

    def __init__(
        self,
        store: TicketStore,
        calendar: WorkingCalendar,
        policies: Mapping[Category, DeadlinePolicy] = DEFAULT_POLICIES,
    ) -> None:
        self.store = store
        self.calendar = calendar
        self.policies = {**DEFAULT_POLICIES, **policies}
        # Awaited in order with each ticket just filed. A failing listener is logged and does not
        # undo the filing: the citizen still gets the receipt, and officials still see the ticket.
        self.on_opened: list[Callable[[Ticket], Awaitable[None]]] = []

    def due_at(self, category: Category, received_at: dt.datetime) -> dt.datetime:
        """When a ticket of ``category`` received at ``received_at`` is due under the ward's policy."""
        policy = self.policies[Category(category)]
        return self.calendar.due(received_at, policy.amount, policy.unit)

    def deadline_state(self, ticket: Ticket, now: dt.datetime) -> DeadlineState:
        """:func:`deadline_state` under this ward's calendar and the ticket's category's policy."""
        return deadline_state(ticket, self.calendar, self.policies[ticket.category], now)

    async def resume(self, code: str, *, actor: str, expected_version: int | None) -> Ticket:
        """Restart the clock of a paused ticket and move its due moment past the time it waited:
        the policy's deadline from receipt with every pause left out. A resume whose new due moment
        equals the old one records no ``due_change``. Two events, not one transaction: a crash
        between them leaves the earlier (stricter) due moment."""
        ticket = await self.store.resume(code, actor=actor, expected_version=expected_version)
        pauses = paused_intervals(await self.store.events(ticket.code), ticket.updated_at)
        policy = self.policies[ticket.category]
        due = self.calendar.due(
            ticket.received_at, policy.amount, policy.unit, paused=[(start, end) for start, end, _ in pauses]
        )
        if due == ticket.due_at:
            return ticket
        reason = pauses[-1][2] if pauses else ""
        return await self.store.change_due(ticket.code, due, reason, actor=actor, expected_version=ticket.version)

    async def supplement(self, code: str, text: str) -> Ticket:
        """Attach what the citizen sent in answer to an official's question (a note whose
        ``supplement`` payload holds it, its text left empty so that the report does not read it
        as an official's reason), then resume the ticket if it is still paused."""
        ticket = await self.store.note(code, "", actor="citizen", payload={"supplement": text})
        if not ticket.paused:  # an official resumed it meanwhile
            return ticket
        return await self.resume(ticket.code, actor="citizen", expected_version=ticket.version)

    def in_warning_period(self, ticket: Ticket, now: dt.datetime) -> bool:
        """:func:`in_warning_period` under this ward's calendar and the ticket's category's policy."""
        return in_warning_period(ticket, self.calendar, self.policies[ticket.category], now)

    async def open_ticket(
        self,
        category: Category,
        *,
        channel: str,
        chat_id: str,
        user: str,
        text: str,
        address: str | None = None,
        location: tuple[float, float] | None = None,
        photo: str | None = None,
        contact: str | None = None,
        contact_consent: bool = False,
        received_at: dt.datetime,
        source: str = "",
    ) -> Ticket:
        """File a ticket due by the category's policy and tell the :attr:`on_opened` listeners.
        ``user`` must already be pseudonymised; ``source`` names the message that asked for it
        (filing again from one source returns the same ticket, see :meth:`TicketStore.create`)."""
        ticket = await self.store.create(
            category,
            channel=channel,
            chat_id=chat_id,
            user=user,
            text=text,
            due_at=self.due_at(category, received_at),
            address=address,
            location=location,
            photo=photo,
            contact=contact,
            contact_consent=contact_consent,
            received_at=received_at,
            source=source,
        )
        for listener in self.on_opened:
            try:
                await listener(ticket)
            except Exception:
                log.exception("a listener failed on the new ticket %s", ticket.code)
        return ticket

    async def lookup(self, code: str, secret: str) -> Ticket | None:
        """The ticket for whoever holds its lookup code; None for a wrong code or an unknown ticket."""
        return await self.store.lookup(code, secret)

    async def for_filer(self, code: str, channel: str, chat_id: str) -> Ticket | None:
        """The ticket if it was filed from this chat; None otherwise, as for an unknown code."""
        try:
            ticket = await self.store.get(code)
        except TicketNotFound:
            return None
        return ticket if (ticket.channel, ticket.chat_id) == (channel, chat_id) else None

    async def record_rating(self, code: str, factor: str, score: int) -> Ticket:
        """Record the citizen's SIPAS score (1-5) for one factor of a closed ticket, as a ``note``
        event whose data holds ``{"sipas": {factor: score}}`` beside a readable ``text``."""
        if factor not in SIPAS_FACTORS:
            raise ValueError(f"factor: expected one of {', '.join(SIPAS_FACTORS)}, got {factor!r}")
        if score not in SIPAS_SCORES:
            raise ValueError(f"score: expected 1-5, got {score}")
        ticket = await self.store.get(code)
        if ticket.status is not Status.CLOSED:
            raise ValueError(f"{ticket.code}: only a closed ticket is rated, this one is {ticket.status.value}")
        return await self.store.note(
            code, f"SIPAS {factor}: {score}/5", actor="citizen", payload={"sipas": {factor: score}}
        )
