"""The ticket desk: what the citizen-facing side does with tickets.

It files a ticket with its due moment computed from the ward's deadline policy and working-day
calendar, shows a ticket only to its filer (same channel and chat) or to whoever holds its lookup
code, and records the citizen's SIPAS rating after closing (SIPAS, Bộ Nội vụ's Satisfaction Index
of Public Administration Services, set by Nghị quyết 30c/NQ-CP). Officials' actions
go through :class:`~tickets.TicketStore` directly. Whoever must hear of each new ticket (the
officials' group) adds an async callback to :attr:`TicketDesk.on_opened`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Literal

from ._calendar import WorkingCalendar
from ._store import Category, Status, Ticket, TicketNotFound, TicketStore

__all__ = ["DEFAULT_POLICIES", "SIPAS_FACTORS", "DeadlinePolicy", "TicketDesk", "WorkingPeriod"]

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

    def in_warning_period(self, ticket: Ticket, now: dt.datetime) -> bool:
        """Whether the policy's ``warn_before`` from ``now`` reaches the ticket's due moment: the
        deadline watch warns then, and the officials' queue shows the ticket as due soon."""
        warn = self.policies[ticket.category].warn_before
        return self.calendar.due(now, warn.amount, warn.unit) >= ticket.due_at

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
