"""The ticket service: officials' answers delivered to citizens, deadlines watched, whatever tools
the officials use.

An answer may be recorded by any front end: the officials' Telegram group, ``wardbot tickets
reply`` in another process, the web console. :meth:`TicketService.deliver_answers` finds every
answer not yet delivered and sends it to the citizen on the channel and chat they used, retried
with backoff, and records whether it arrived; :meth:`TicketService.run` does that every few
seconds, so an answer reaches the citizen within seconds of being recorded. An answer that cannot
be delivered (a web chat session that is gone) stays on the ticket: the citizen reads it with
"tra cứu CODE". Delivery is recorded after the send: a crash between the two sends the answer
again at the next start, never loses it.

The deadline watch warns once a ticket is within its policy's ``warn_before`` of the due moment
and escalates once it is late, each once per ticket, remembered as a ``note`` event's
``deadline`` payload so that a restart does not repeat it. Whom it tells is the front end's
business (:class:`OfficialsFrontEnd`: the Telegram group posts a warning and a draft apology
slip, the leader hears of a late ticket); without one, each is logged, and a late ticket is
still sent to the leader's Telegram chat when one is configured.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Protocol

from handlers import Reply, catalogue, due_text
from tickets import EventKind, Status, Ticket, TicketDesk

from .._logging import chat_ref
from ..channels import Channel, DeliveryError
from ..delivery import RetryPolicy, Sleep, deliver_round
from ..storage import Clock, utc_now

log = logging.getLogger(__name__)

OPEN_STATUSES = (Status.NEW, Status.ASSIGNED, Status.REOPENED)
# The note payload key remembering what the deadline watch did: "warned" or "escalated".
DEADLINE_NOTE = "deadline"
LEADER_CHANNEL = "telegram"


class OfficialsFrontEnd(Protocol):
    """Where the officials hear what the service did. Each method says whether they were told."""

    async def answer_sent(self, ticket: Ticket, error: DeliveryError | None) -> None: ...

    async def deadline_near(self, ticket: Ticket) -> bool: ...

    async def deadline_passed(self, ticket: Ticket) -> bool: ...


class TicketService:
    """Delivers answers and watches deadlines for the tickets of ``desk``.

    ``channels`` are the running channels by name: each citizen is reached through the channel
    their ticket came from. ``officials`` is the front end told of deliveries and deadlines, set
    by the application when the ward has one.
    """

    def __init__(
        self,
        desk: TicketDesk,
        channels: Mapping[str, Channel],
        *,
        ward_name: str,
        leader_chat_id: str = "",
        clock: Clock = utc_now,
        retry: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.desk = desk
        self.store = desk.store
        self.officials: OfficialsFrontEnd | None = None
        self.leader_chat_id = leader_chat_id
        self.ward_name = ward_name
        self.clock = clock
        self._channels = channels
        self._retry = retry or RetryPolicy()
        self._sleep = sleep

    # --- delivery ----------------------------------------------------------------------------------

    async def send(self, channel_name: str, chat_id: str, reply: Reply) -> DeliveryError | None:
        """Send ``reply`` in one delivery round of the retry policy (:func:`~bot.delivery.deliver_round`,
        the pipeline's own): a retryable failure is retried with backoff (or the platform's
        ``retry_after``) up to the policy's attempts per round; the last failure, or None."""
        channel = self._channels.get(channel_name)
        if channel is None:
            return DeliveryError(f"no {channel_name} channel is running", retryable=False)
        if not chat_id:  # a ticket whose citizen erased their data: its answer waits for «tra cứu»
            return DeliveryError("the citizen's chat was erased", retryable=False)
        error, attempts = await deliver_round(channel, chat_id, reply, self._retry, sleep=self._sleep)
        if error is not None:
            log.error(
                "giving up sending to chat %s after %d attempt(s): %s", chat_ref(channel_name, chat_id), attempts, error
            )
        return error

    async def deliver_answer(self, ticket: Ticket) -> DeliveryError | None:
        """Send the ticket's answer to its citizen and record whether it arrived."""
        assert ticket.answer is not None
        answer = Reply(catalogue.OFFICIAL_ANSWER.format(ward_name=self.ward_name, code=ticket.code, text=ticket.answer))
        error = await self.send(ticket.channel, ticket.chat_id, answer)
        await self.store.record_delivery(ticket.code, delivered=error is None, error=str(error or ""))
        if error is not None:
            log.warning(
                "the answer to %s was not delivered (%s); the citizen can read it with «tra cứu»", ticket.code, error
            )
        return error

    async def deliver_answers(self) -> None:
        """Deliver every answer recorded but not yet sent (by any front end, or interrupted by a
        restart), and tell the officials how it went."""
        for ticket in await self.store.list(Status.ANSWERED):
            if ticket.delivery is None:
                error = await self.deliver_answer(ticket)
                if self.officials is not None:
                    await self.officials.answer_sent(ticket, error)

    # --- the deadline watch --------------------------------------------------------------------

    async def check_deadlines(self) -> None:
        """One round: warn about each open ticket that has come within its warning period, and
        escalate each one that is late, each once per ticket. Paused tickets wait."""
        now = self.clock()
        for status in OPEN_STATUSES:
            for ticket in await self.store.list(status):
                if ticket.paused:
                    continue
                events = await self.store.events(ticket.code)
                done = {event.data.get(DEADLINE_NOTE) for event in events if event.kind is EventKind.NOTE}
                if ticket.due_at < now:
                    if "escalated" not in done and await self._escalate(ticket):
                        await self._remember(ticket, "escalated")
                elif "warned" not in done and self.desk.in_warning_period(ticket, now) and await self._warn(ticket):
                    await self._remember(ticket, "warned")

    async def _warn(self, ticket: Ticket) -> bool:
        if self.officials is not None:
            return await self.officials.deadline_near(ticket)
        log.warning("ticket %s is due %s and not answered yet", ticket.code, self.due_text(ticket))
        return True

    async def _escalate(self, ticket: Ticket) -> bool:
        if self.officials is not None:
            return await self.officials.deadline_passed(ticket)
        log.warning("ticket %s is late: it was due %s", ticket.code, self.due_text(ticket))
        if not self.leader_chat_id:
            return True
        error = await self.send(LEADER_CHANNEL, self.leader_chat_id, self.late_notice(ticket))
        if error is not None:
            log.error("could not tell the leader that %s is late: %s; trying at the next check", ticket.code, error)
        return error is None

    async def _remember(self, ticket: Ticket, done: str) -> None:
        # No text: the reports read a note's text as the reason a ticket was late.
        await self.store.note(ticket.code, "", actor="system", payload={DEADLINE_NOTE: done})

    async def run(self, *, answers_every_s: float, deadlines_every_s: float) -> None:
        """Deliver answers every ``answers_every_s`` seconds and check deadlines every
        ``deadlines_every_s``, until cancelled; a failed round is logged and tried again."""
        since_deadlines = 0.0  # answers at once; deadlines after a first interval, as the bot settles
        while True:
            try:
                await self.deliver_answers()
                if since_deadlines >= deadlines_every_s:
                    since_deadlines = 0.0
                    await self.check_deadlines()
            except Exception:
                log.exception("a ticket round failed; trying again in %s s", answers_every_s)
            await self._sleep(answers_every_s)
            since_deadlines += answers_every_s

    # --- wording -----------------------------------------------------------------------------------

    def due_text(self, ticket: Ticket) -> str:
        return due_text(ticket.due_at, self.desk.calendar.tz)

    def late_notice(self, ticket: Ticket) -> Reply:
        return Reply(
            catalogue.OFFICIALS_LATE_TICKET.format(
                code=ticket.code, time=self.due_text(ticket), **status_fields(ticket)
            )
        )


def status_fields(ticket: Ticket) -> dict[str, str]:
    """The ``label`` and ``assignee`` fields of the officials' texts."""
    assignee = catalogue.OFFICIALS_ASSIGNEE.format(name=ticket.assignee) if ticket.assignee else ""
    return {"label": catalogue.TICKET_STATUSES[ticket.status.value], "assignee": assignee}
