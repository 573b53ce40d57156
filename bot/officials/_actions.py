"""Every action an official takes on a ticket, in one place, whichever front end asks: the
officials' Telegram group (:class:`~bot.officials.OfficialsDesk`), ``wardbot tickets`` and the web
console.

Each action names its ``actor`` and the ``expected_version`` the official saw (None: whatever the
ticket is now; the transition table still applies). A change made meanwhile by someone else is
never overwritten: the store's :class:`~tickets.TicketConflict` becomes :class:`ActionConflict`,
whose text is the catalogue's one conflict message (``OFFICIALS_CONFLICT``), the same on every
front end. A change the ticket's state does not allow raises the store's
:class:`~tickets.TicketStateError` (:func:`refusal_message` words it for officials); a refusal
of the action itself (answering a paused ticket, an apology date that is no working day) raises
:class:`ActionRefused`, its text for the official. A successful action returns an
:class:`ActionOutcome`: the ticket as it now is, a line for the official, and the delivery error
when a message to the citizen did not arrive (the change is kept: the official is told to reach
the citizen another way).

Who may do what is the caller's job (the console checks the logged-in user's role on every
request); :data:`ACTION_ROLES` says which role each action needs, as data.

Messages to the citizen go through the :class:`~bot.officials.TicketService` on the channel the
ticket came from. Built without one (``wardbot tickets`` runs beside the bot, not inside it), the
actions only record: the running bot's service delivers a recorded answer within seconds, and the
actions that must talk to the citizen themselves (asking for information, an apology slip)
refuse.

Asking for more information pauses the ticket (its clock stands still), then sends the citizen the
question; if it cannot be delivered, the ticket is resumed at once. The citizen's next typed
message in that chat is attached to the ticket and resumes it (``handlers.Dialogue.info_request``,
``tickets.TicketDesk.supplement``); an official can also resume it (:meth:`OfficialActions.resume`,
e.g. after a phone call). Resuming moves the due moment past the time waited.

Apology slips (phiếu xin lỗi và hẹn lại ngày trả kết quả): an official drafts one (a new date and
a reason, recorded as a note with an ``apology_draft`` payload); a leader approves it, which sends
the slip to the citizen and records the note with the ``apology`` payload that the reports count.
The due moment is never changed, so a late ticket stays late.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Iterator, Mapping
from enum import Enum
from typing import Any, Protocol

from handlers import Reply, catalogue, due_text
from tickets import (
    DeadlineState,
    EventKind,
    Ticket,
    TicketConflict,
    TicketDesk,
    TicketError,
    TicketEvent,
    TicketStateError,
    paused_intervals,
    working_days_late,
)

from ..channels import DeliveryError
from ..storage import Clock, utc_now
from ._ticket_service import OPEN_STATUSES, TicketService, status_fields


class Role(str, Enum):
    """Who an official is in the console, each role allowed everything the ones before it are."""

    OFFICIAL = "official"  # cán bộ: the queue, claiming and answering tickets
    LEADER = "leader"  # lãnh đạo: also the deadline board, reassigning, approving apology slips
    ADMIN = "admin"  # quản trị: everything, the users, the knowledge base and the audit log too

    def allows(self, required: Role) -> bool:
        """Whether this role may do what ``required`` may."""
        order = list(Role)
        return order.index(self) >= order.index(required)

    def may(self, action: str) -> bool:
        """Whether this role may take ``action`` (a key of :data:`ACTION_ROLES`)."""
        return self.allows(ACTION_ROLES[action])


# The least role each action of OfficialActions needs (its method's name).
ACTION_ROLES: Mapping[str, Role] = {
    "claim": Role.OFFICIAL,
    "answer": Role.OFFICIAL,
    "ask_info": Role.OFFICIAL,
    "resume": Role.OFFICIAL,
    "close": Role.OFFICIAL,
    "reopen": Role.OFFICIAL,
    "draft_apology": Role.OFFICIAL,
    "reassign": Role.LEADER,
    "approve_apology": Role.LEADER,
}

APOLOGY_DRAFT = "apology_draft"  # the note payload key of a drafted slip
APOLOGY = "apology"  # ... and of a slip sent: the reports count these


class CitizenPrompts(Protocol):
    """What the actions need of ``handlers.Dialogue``: the messages that leave the citizen's
    conversation expecting an answer (the buttons of a rating, the answer to a question)."""

    async def rate_prompt(self, ticket: Ticket) -> Reply: ...

    async def info_request(self, ticket: Ticket, question: str) -> Reply: ...


class ActionRefused(TicketError):
    """The action is refused for a reason the official can act on; ``str()`` is their text."""


class ActionConflict(TicketConflict):
    """Someone changed the ticket since the official read it; ``str()`` is the catalogue's
    conflict message, on every front end."""

    def __init__(self, current: Ticket, expected_version: int) -> None:
        super().__init__(current, expected_version)
        self.args = (conflict_message(current),)


@dataclasses.dataclass(frozen=True, slots=True)
class ActionOutcome:
    """What an action did: the ticket now, the line for the official, and the error of a
    message to the citizen that did not arrive (None when it did, or when none was sent)."""

    ticket: Ticket
    notice: str
    error: DeliveryError | None = None


def conflict_message(current: Ticket) -> str:
    """The one conflict message: who changed the ticket into what."""
    return catalogue.OFFICIALS_CONFLICT.format(code=current.code, **status_fields(current))


def refusal_message(action: str, ticket: Ticket) -> str:
    """Why ``action`` (a key of ``catalogue.OFFICIALS_ACTIONS``) cannot be taken on ``ticket`` as it is."""
    return catalogue.OFFICIALS_REFUSED.format(
        code=ticket.code, action=catalogue.OFFICIALS_ACTIONS[action], **status_fields(ticket)
    )


@contextlib.contextmanager
def _as_action_conflict() -> Iterator[None]:
    try:
        yield
    except ActionConflict:
        raise
    except TicketConflict as conflict:
        raise ActionConflict(conflict.current, conflict.expected_version) from conflict


@dataclasses.dataclass(frozen=True, slots=True)
class TicketDeadline:
    """A ticket's due moment as officials read it: its state, the moment in words, the working
    days left (negative: late by that many), and the time it has waited for the citizen."""

    state: DeadlineState
    due_text: str  # "17h00 ngày 16/11/2026"
    working_days_left: int
    paused_hours: float  # wall-clock hours of every pause so far (the running one up to now)
    text: str  # the whole line, e.g. "Hạn 17h00 ngày 16/11/2026 · còn 3 ngày làm việc"


def ticket_deadline(ticket: Ticket, desk: TicketDesk, events: list[TicketEvent], now: dt.datetime) -> TicketDeadline:
    """The deadline line of ``ticket`` (with its ``events``, for the pauses) at ``now``: for the
    console's queue and ticket page, in the same words as the group's."""
    calendar = desk.calendar
    state = desk.deadline_state(ticket, now)
    due, today = ticket.due_at.astimezone(calendar.tz).date(), now.astimezone(calendar.tz).date()
    if ticket.due_at < now:
        days = -working_days_late(calendar, ticket.due_at, now)
    else:
        days = calendar.working_days_between(today, due)
    paused = sum((end - start).total_seconds() for start, end, _ in paused_intervals(events, now)) / 3600
    time = due_text(ticket.due_at, calendar.tz)
    parts = [catalogue.DEADLINE_DUE.format(time=time)]
    if state is DeadlineState.OVERDUE:
        parts.append(catalogue.DEADLINE_LATE_DAYS.format(days=-days) if days else catalogue.DEADLINE_LATE)
    elif state in (DeadlineState.DUE_SOON, DeadlineState.ON_TRACK):
        parts.append(catalogue.DEADLINE_DAYS_LEFT.format(days=days))
    if ticket.paused:
        parts.append(catalogue.DEADLINE_PAUSED)
    elif paused:
        parts.append(catalogue.DEADLINE_WAS_PAUSED.format(hours=round(paused, 1)))
    return TicketDeadline(state, time, days, round(paused, 2), " · ".join(parts))


class OfficialActions:
    """The officials' actions on the tickets of ``desk``. With ``service`` and ``prompts`` (the
    running bot), messages reach the citizen; without them (the CLI), changes are only recorded."""

    def __init__(
        self,
        desk: TicketDesk,
        *,
        service: TicketService | None = None,
        prompts: CitizenPrompts | None = None,
        clock: Clock = utc_now,
    ) -> None:
        if (service is None) != (prompts is None):
            raise ValueError("the service and the citizen prompts go together")
        self.desk = desk
        self.store = desk.store
        self.service = service
        self._prompts = prompts
        self._clock = service.clock if service is not None else clock

    # --- the actions ---------------------------------------------------------------------------

    async def claim(self, code: str, *, actor: str, expected_version: int | None, name: str = "") -> ActionOutcome:
        """The official takes an unassigned (or reopened) ticket; ``name`` is how the notice names them."""
        with _as_action_conflict():
            ticket = await self.store.claim(code, actor=actor, expected_version=expected_version)
        return ActionOutcome(ticket, catalogue.OFFICIALS_CLAIMED.format(code=ticket.code, name=name or actor))

    async def answer(self, code: str, text: str, *, actor: str, expected_version: int | None) -> ActionOutcome:
        """Record the answer and, with the service, deliver it to the citizen on their channel at
        once (without, the running bot's service delivers it within seconds)."""
        try:
            with _as_action_conflict():
                ticket = await self.store.reply(code, text, actor=actor, expected_version=expected_version)
        except TicketStateError:
            current = await self.store.get(code)
            if current.paused:  # said in the officials' words: it waits for the citizen
                raise ActionRefused(catalogue.OFFICIALS_PAUSED.format(code=current.code)) from None
            raise
        if self.service is None:
            return ActionOutcome(ticket, catalogue.OFFICIALS_REPLY_RECORDED.format(code=ticket.code))
        error = await self.service.deliver_answer(ticket)
        # As the delivery left it: the version the official's next action expects.
        return self._sent(await self.store.get(ticket.code), catalogue.OFFICIALS_REPLY_SENT, error)

    async def ask_info(self, code: str, question: str, *, actor: str, expected_version: int | None) -> ActionOutcome:
        """Pause the ticket (the question is the pause's reason) and send the citizen the question;
        if it does not arrive, resume the ticket at once: its clock must not stop unknown to them."""
        service, prompts = self._line()
        if not question.strip():
            raise ActionRefused(catalogue.OFFICIALS_INFO_EMPTY)
        with _as_action_conflict():
            ticket = await self.store.pause(code, question.strip(), actor=actor, expected_version=expected_version)
        error = await service.send(ticket.channel, ticket.chat_id, await prompts.info_request(ticket, question.strip()))
        if error is not None:
            ticket = await self.desk.resume(ticket.code, actor=actor, expected_version=ticket.version)
        return self._sent(ticket, catalogue.OFFICIALS_INFO_ASKED, error)

    async def resume(self, code: str, *, actor: str, expected_version: int | None) -> ActionOutcome:
        """Restart a paused ticket's clock (the citizen answered another way); its due moment
        moves past the time it waited."""
        with _as_action_conflict():
            ticket = await self.desk.resume(code, actor=actor, expected_version=expected_version)
        return ActionOutcome(ticket, catalogue.OFFICIALS_RESUMED.format(code=ticket.code, time=self._due_text(ticket)))

    async def reassign(
        self, code: str, assignee: str, *, actor: str, expected_version: int | None, name: str = ""
    ) -> ActionOutcome:
        """Give an open ticket to another official (a leader's action); ``name`` is how the notice
        names the assignee."""
        with _as_action_conflict():
            ticket = await self.store.assign(code, assignee, actor=actor, expected_version=expected_version)
        return ActionOutcome(ticket, catalogue.OFFICIALS_REASSIGNED.format(code=ticket.code, name=name or assignee))

    async def close(self, code: str, *, actor: str, expected_version: int | None) -> ActionOutcome:
        """Close an answered ticket; with the service, send the citizen the closing message and
        the first SIPAS question."""
        with _as_action_conflict():
            ticket = await self.store.close_ticket(code, actor=actor, expected_version=expected_version)
        if self.service is None or self._prompts is None:
            return ActionOutcome(ticket, catalogue.OFFICIALS_CLOSED_QUIETLY.format(code=ticket.code))
        closing = Reply(catalogue.TICKET_CLOSED.format(ward_name=self.service.ward_name, code=ticket.code))
        for reply in (closing, await self._prompts.rate_prompt(ticket)):
            if (error := await self.service.send(ticket.channel, ticket.chat_id, reply)) is not None:
                return self._sent(ticket, "", error)
        return ActionOutcome(ticket, catalogue.OFFICIALS_CLOSED.format(code=ticket.code))

    async def reopen(self, code: str, reason: str, *, actor: str, expected_version: int | None) -> ActionOutcome:
        with _as_action_conflict():
            ticket = await self.store.reopen(code, reason, actor=actor, expected_version=expected_version)
        return ActionOutcome(ticket, catalogue.OFFICIALS_REOPENED.format(code=ticket.code))

    async def draft_apology(
        self, code: str, day: dt.date, reason: str, *, actor: str, expected_version: int | None
    ) -> ActionOutcome:
        """Record a draft apology slip (new date ``day``, ``reason``) for a leader to approve."""
        ticket = await self._read(code, expected_version)
        new_due, reason = self._check_apology(ticket, day, reason)
        payload = {APOLOGY_DRAFT: {"reason": reason, "new_due": new_due}}
        note = catalogue.APOLOGY_DRAFT_NOTE.format(date=day.strftime(catalogue.DATE), reason=reason)
        with _as_action_conflict():
            ticket = await self.store.note(
                ticket.code, note, actor=actor, payload=payload, expected_version=expected_version
            )
        date = day.strftime(catalogue.DATE)
        return ActionOutcome(ticket, catalogue.OFFICIALS_APOLOGY_DRAFTED.format(code=ticket.code, date=date))

    async def approve_apology(
        self,
        code: str,
        *,
        actor: str,
        expected_version: int | None,
        day: dt.date | None = None,
        reason: str | None = None,
    ) -> ActionOutcome:
        """Send the citizen the apology slip and record it (a note with an ``apology`` payload):
        the latest draft not yet sent, or the given ``day`` and ``reason`` (the group's
        ``/apology`` and its draft's button). The due moment stays as it was. The version is
        checked before the slip is sent; once sent, the slip is recorded whatever happened since."""
        service, _ = self._line()
        ticket = await self._read(code, expected_version)
        events = await self.store.events(ticket.code)
        if day is None or reason is None:
            draft = pending_apology_draft(events)
            if draft is None:
                raise ActionRefused(catalogue.OFFICIALS_APOLOGY_NO_DRAFT.format(code=ticket.code))
            day, reason = dt.datetime.fromisoformat(draft["new_due"]).date(), str(draft["reason"])
        new_due, reason = self._check_apology(ticket, day, reason)
        date = day.strftime(catalogue.DATE)
        if any(_apology(event).get("new_due") == new_due for event in events):
            return ActionOutcome(ticket, catalogue.OFFICIALS_APOLOGY_ALREADY.format(code=ticket.code, date=date))
        slip = catalogue.APOLOGY_SLIP.format(
            ward_name=service.ward_name, code=ticket.code, time=self._due_text(ticket), reason=reason, date=date
        )
        if (error := await service.send(ticket.channel, ticket.chat_id, Reply(slip))) is not None:
            return self._sent(ticket, "", error)
        note = catalogue.APOLOGY_NOTE.format(date=date, reason=reason)
        ticket = await self.store.note(
            ticket.code, note, actor=actor, payload={APOLOGY: {"reason": reason, "new_due": new_due}}
        )
        return ActionOutcome(ticket, catalogue.OFFICIALS_APOLOGY_SENT.format(code=ticket.code, date=date))

    # --- helpers -------------------------------------------------------------------------------

    async def _read(self, code: str, expected_version: int | None) -> Ticket:
        """The ticket, refused at once if it moved past the version the official saw (an action
        that checks before it writes, or sends, must not act on a stale page)."""
        ticket = await self.store.get(code)
        if expected_version is not None and ticket.version != expected_version:
            raise ActionConflict(ticket, expected_version)
        return ticket

    def _check_apology(self, ticket: Ticket, day: dt.date, reason: str) -> tuple[str, str]:
        """The slip's new due moment (the close of ``day``, ISO) and its reason, or a refusal: the
        ticket must be open, the day a working day after today, the reason given."""
        calendar = self.desk.calendar
        if day <= self._clock().astimezone(calendar.tz).date() or not calendar.is_working_day(day):
            raise ActionRefused(catalogue.OFFICIALS_APOLOGY_BAD_DATE)
        if not reason.strip():
            raise ActionRefused(catalogue.OFFICIALS_APOLOGY_NO_REASON)
        if ticket.status not in OPEN_STATUSES:
            raise ActionRefused(refusal_message("apology", ticket))
        return dt.datetime.combine(day, calendar.hours[-1][1], tzinfo=calendar.tz).isoformat(), reason.strip()

    def _line(self) -> tuple[TicketService, CitizenPrompts]:
        """The service and prompts, for an action that talks to the citizen itself."""
        if self.service is None or self._prompts is None:
            raise ActionRefused(catalogue.OFFICIALS_NEEDS_BOT)
        return self.service, self._prompts

    def _due_text(self, ticket: Ticket) -> str:
        return due_text(ticket.due_at, self.desk.calendar.tz)

    @staticmethod
    def _sent(ticket: Ticket, template: str, error: DeliveryError | None) -> ActionOutcome:
        """The notice of an action that messaged the citizen: ``template``, or the failure flag."""
        if error is not None:
            return ActionOutcome(
                ticket, catalogue.OFFICIALS_DELIVERY_FAILED.format(code=ticket.code, error=error), error
            )
        return ActionOutcome(ticket, template.format(code=ticket.code))


def _apology(event: TicketEvent, key: str = APOLOGY) -> dict[str, Any]:
    value = event.data.get(key) if event.kind is EventKind.NOTE else None
    return value if isinstance(value, dict) else {}


def pending_apology_draft(events: list[TicketEvent]) -> dict[str, Any] | None:
    """The latest drafted apology slip (``{"reason", "new_due"}``) that no slip sent since
    carries out, or None: what a leader's approval would send."""
    sent = {_apology(event).get("new_due") for event in events}
    drafts = [_apology(event, APOLOGY_DRAFT) for event in events]
    return next((draft for draft in reversed(drafts) if draft and draft.get("new_due") not in sent), None)
