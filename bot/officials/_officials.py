"""The officials' Telegram group: every new ticket is announced there, and its members act on it.

:class:`OfficialsDesk` posts each ticket the :class:`~tickets.TicketDesk` opens (with a claim
button) and answers the group's commands: ``/tickets``, ``/claim CODE``, ``/reply CODE text``,
``/close CODE``, ``/reopen CODE [reason]``, ``/apology CODE YYYY-MM-DD reason``. Only the
configured members may act. An answer is delivered by the :class:`~bot.officials.TicketService`
at once; a failure is flagged to the group. Closing sends the citizen the closing message and the
first SIPAS question.

The desk is the service's front end in the group: when the deadline watch finds a ticket within
its policy's ``warn_before`` of the due moment, the group and the assignee are warned, with a
draft apology slip (phiếu xin lỗi và hẹn lại ngày trả kết quả) to approve; a late ticket is
reported to the ward leader (or the group). An approved slip is sent to the citizen and recorded
as a note with an ``apology`` payload; the due moment is never changed, so a late ticket stays
late in reports.

Each command is one of the :class:`~bot.officials.OfficialActions`, the same code the CLI and
the web console call: a command that conflicts with another official's change gets the same
conflict message everywhere.

The pipeline routes the group's messages here (see ``Pipeline.officials``), so they are logged
like every other message, and the group's replies go through the outbox like any reply.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Collection
from pathlib import Path

from handlers import Button, IncomingMessage, Reply, catalogue
from tickets import Status, Ticket, TicketNotFound, TicketStateError

from ..channels import PHOTO_PREFIX, DeliveryError, stored_photo
from ._actions import ActionConflict, ActionRefused, CitizenPrompts, OfficialActions, refusal_message
from ._ticket_service import TicketService, status_fields

log = logging.getLogger(__name__)

GROUP_CHANNEL = "telegram"
CLAIM_DATA = "officials:claim:"  # + the ticket's code: the announcement's claim button
APOLOGY_DATA = "officials:apology:"  # + code + ":" + YYYY-MM-DD: a draft apology slip's approval
SUMMARY_LIMIT = 300  # characters of the citizen's text shown in an announcement
COMMANDS = ("/tickets", "/claim", "/reply", "/close", "/reopen", "/apology")


def map_url(location: tuple[float, float]) -> str:
    """The OpenStreetMap page centred on ``location`` (latitude, longitude), with a marker."""
    latitude, longitude = f"{location[0]:.5f}", f"{location[1]:.5f}"
    return f"https://www.openstreetmap.org/?mlat={latitude}&mlon={longitude}#map=18/{latitude}/{longitude}"


@dataclasses.dataclass(frozen=True, slots=True)
class TicketLinks:
    """Where an official sees a ticket's place and photo (each None when it has none of that kind)."""

    map: str | None  # the OpenStreetMap page of its location
    photo_file: Path | None  # a web chat photo: its file in the uploads folder (which may be gone)
    photo_link: str | None  # a photo that is a link (Zalo's)
    photo_ref: str | None  # another platform's reference (a Telegram file id, which the bot's token fetches)


def ticket_links(ticket: Ticket, uploads: Path | None) -> TicketLinks:
    """The map link and the photo of ``ticket``, a web photo as its file in ``uploads`` (None:
    the reference stays a platform reference): for ``wardbot tickets show`` and the console."""
    photo = ticket.photo or None
    stored = stored_photo(uploads, photo) if photo and uploads is not None else None
    link = photo if photo and stored is None and photo.startswith(("https://", "http://")) else None
    return TicketLinks(
        map=map_url(ticket.location) if ticket.location else None,
        photo_file=stored,
        photo_link=link,
        photo_ref=photo if photo and stored is None and link is None else None,
    )


def place_and_photo_lines(ticket: Ticket) -> list[str]:
    """What the group reads of a ticket's location and photo under its announcement: a map link,
    and the photo's link (Zalo's photos are links) or where to see it."""
    lines = [catalogue.OFFICIALS_MAP.format(url=map_url(ticket.location))] if ticket.location else []
    if not ticket.photo:
        return lines
    if ticket.photo.startswith(("https://", "http://")):
        lines.append(catalogue.OFFICIALS_PHOTO_LINK.format(url=ticket.photo))
    elif ticket.photo.startswith(PHOTO_PREFIX):
        lines.append(catalogue.OFFICIALS_PHOTO_STORED.format(code=ticket.code))
    else:
        lines.append(catalogue.OFFICIALS_PHOTO_ATTACHED.format(channel=ticket.channel.capitalize()))
    return lines


class OfficialsDesk:
    """Announces new tickets to the officials' group and carries out its members' commands; the
    front end of ``service`` in the group.

    The group is reached through the ``"telegram"`` channel. ``members`` are the Telegram user ids
    allowed to act. Built, it listens to the desk's ``on_opened`` and becomes ``service.officials``.
    """

    def __init__(
        self,
        service: TicketService,
        *,
        group_chat_id: str,
        members: Collection[str],
        dialogue: CitizenPrompts,
        photos: Path | None = None,
    ) -> None:
        if not group_chat_id:
            raise ValueError("the officials' group needs a chat id")
        self.service = service
        self.desk = service.desk
        self.store = service.store
        self.group_chat_id = group_chat_id
        self.members = frozenset(members)
        self.photos = photos  # where the web chat stores citizens' photos
        self.actions = OfficialActions(service.desk, service=service, prompts=dialogue)
        self._clock = service.clock
        self.desk.on_opened.append(self.notify_new)
        service.officials = self

    @property
    def conversation(self) -> tuple[str, str]:
        """The group's ``(channel, chat id)``: the pipeline sends its messages here."""
        return (GROUP_CHANNEL, self.group_chat_id)

    # --- announcing --------------------------------------------------------------------------------

    async def notify_new(self, ticket: Ticket) -> None:
        """Post a new ticket to the group with a claim button; a failure is logged (``/tickets``
        still lists the ticket)."""
        place = ticket.address or (
            catalogue.OFFICIALS_LOCATION.format(latitude=ticket.location[0], longitude=ticket.location[1])
            if ticket.location
            else catalogue.OFFICIALS_NO_PLACE
        )
        summary = ticket.text if len(ticket.text) <= SUMMARY_LIMIT else ticket.text[:SUMMARY_LIMIT] + catalogue.ELLIPSIS
        text = catalogue.OFFICIALS_NEW_TICKET.format(
            code=ticket.code,
            category=catalogue.CATEGORY_LABELS[ticket.category.value],
            summary=summary,
            time=self._time(ticket),
            place=place,
        )
        announcement = Reply(
            "\n".join((text, *place_and_photo_lines(ticket))),
            ((Button(catalogue.OFFICIALS_CLAIM_BUTTON, data=CLAIM_DATA + ticket.code),),),
            photo=self._photo(ticket),
        )
        error = await self.send(GROUP_CHANNEL, self.group_chat_id, announcement)
        if error is not None:
            log.error("could not announce %s to the officials' group: %s", ticket.code, error)

    def _photo(self, ticket: Ticket) -> str:
        """What the group is shown of the ticket's photo: the stored file of a web photo, else the
        platform's own reference (a Telegram file id, a Zalo address); "" without a photo."""
        photo = ticket.photo or ""
        if photo.startswith(PHOTO_PREFIX):
            stored = stored_photo(self.photos, photo) if self.photos is not None else None
            return str(stored) if stored is not None and stored.is_file() else ""
        return photo

    # --- commands ----------------------------------------------------------------------------------

    async def handle(self, message: IncomingMessage) -> list[Reply]:
        """The group's replies to one message: nothing for chatter, a refusal for a non-member's
        command, else the outcome of the command in one line."""
        if message.callback_data.startswith(CLAIM_DATA):
            command, code, rest = "/claim", message.callback_data.removeprefix(CLAIM_DATA), ""
        elif message.callback_data.startswith(APOLOGY_DATA):
            code, _, day = message.callback_data.removeprefix(APOLOGY_DATA).partition(":")
            command, rest = "/apology", f"{day} {catalogue.APOLOGY_DEFAULT_REASON}"
        else:
            # Split on any whitespace, keeping the answer's own line breaks: "/reply CODE\ntext".
            command, code, rest = (*message.text.split(maxsplit=2), "", "", "")[:3]
            rest = rest.strip()
        if command not in COMMANDS:
            return []
        if message.user_id not in self.members:
            return [Reply(catalogue.OFFICIALS_NOT_MEMBER)]
        if command == "/tickets":
            return [await self._list()]
        if not code or (command in ("/reply", "/apology") and not rest):
            return [Reply(catalogue.OFFICIALS_HELP)]
        actor = f"telegram:{message.user_id}"
        action = command.removeprefix("/")
        try:
            return [await self._act(action, code, rest, actor, message.display_name or actor)]
        except TicketNotFound:
            return [Reply(catalogue.OFFICIALS_NOT_FOUND.format(code=code))]
        except (ActionConflict, ActionRefused) as refused:
            return [Reply(str(refused))]
        except TicketStateError:
            return [Reply(refusal_message(action, await self.store.get(code)))]

    async def _act(self, action: str, code: str, rest: str, actor: str, name: str) -> Reply:
        """Carry out one command on the ticket as the official saw it (its current version),
        through the one set of officials' actions."""
        ticket = await self.store.get(code)
        version = ticket.version
        match action:
            case "claim":
                outcome = await self.actions.claim(ticket.code, actor=actor, expected_version=version, name=name)
            case "reply":
                outcome = await self.actions.answer(ticket.code, rest, actor=actor, expected_version=version)
            case "close":
                outcome = await self.actions.close(ticket.code, actor=actor, expected_version=version)
            case "reopen":
                outcome = await self.actions.reopen(ticket.code, rest, actor=actor, expected_version=version)
            case _:  # apology: "YYYY-MM-DD reason", sent at once (the group has no approval step)
                day_text, _, reason = rest.partition(" ")
                try:
                    day = dt.date.fromisoformat(day_text)
                except ValueError:
                    return Reply(catalogue.OFFICIALS_APOLOGY_BAD_DATE)
                if not reason.strip():
                    return Reply(catalogue.OFFICIALS_HELP)
                outcome = await self.actions.approve_apology(
                    ticket.code, actor=actor, expected_version=None, day=day, reason=reason
                )
        return Reply(outcome.notice)

    async def _list(self) -> Reply:
        """The tickets not yet closed, soonest due first."""
        now = self._clock()
        tickets = sorted((t for t in await self.store.list() if t.status is not Status.CLOSED), key=lambda t: t.due_at)
        if not tickets:
            return Reply(catalogue.OFFICIALS_NO_TICKETS)
        lines = [catalogue.OFFICIALS_TICKETS_HEADING.format(count=len(tickets))]
        for ticket in tickets:
            late = ticket.status is not Status.ANSWERED and ticket.due_at < now
            status = self._status(ticket)
            lines.append(
                catalogue.OFFICIALS_TICKET_LINE.format(
                    code=ticket.code, time=self._time(ticket), late=catalogue.OFFICIALS_LATE if late else "", **status
                )
            )
        return Reply("\n".join(lines))

    # --- the service's front end ----------------------------------------------------------------

    async def answer_sent(self, ticket: Ticket, error: DeliveryError | None) -> None:
        """Tell the group that an answer recorded elsewhere (the CLI) reached the citizen, or not."""
        await self.send(GROUP_CHANNEL, self.group_chat_id, self._flag(ticket, error) if error else self._sent(ticket))

    async def deadline_near(self, ticket: Ticket) -> bool:
        """Warn the group and the assignee (in a private chat, if a Telegram user), then post a
        draft apology slip proposing a new date as far past the due date as the warning period."""
        warning = Reply(
            catalogue.OFFICIALS_DEADLINE_WARNING.format(
                code=ticket.code, time=self._time(ticket), **self._status(ticket)
            )
        )
        if (error := await self.send(GROUP_CHANNEL, self.group_chat_id, warning)) is not None:
            log.error("could not warn the group about %s: %s; trying at the next check", ticket.code, error)
            return False
        if ticket.assignee and ticket.assignee.startswith("telegram:"):
            await self.send(GROUP_CHANNEL, ticket.assignee.removeprefix("telegram:"), warning)
        warn = self.desk.policies[ticket.category].warn_before
        later = self.desk.calendar.due(ticket.due_at, warn.amount if warn.unit == "days" else 1, "days").date()
        draft = Reply(
            catalogue.OFFICIALS_APOLOGY_DRAFT.format(
                code=ticket.code, reason=catalogue.APOLOGY_DEFAULT_REASON, date=later.strftime(catalogue.DATE)
            ),
            ((Button(catalogue.OFFICIALS_APOLOGY_BUTTON, data=f"{APOLOGY_DATA}{ticket.code}:{later.isoformat()}"),),),
        )
        await self.send(GROUP_CHANNEL, self.group_chat_id, draft)
        return True

    async def deadline_passed(self, ticket: Ticket) -> bool:
        """Tell the ward leader (or, without one configured, the group) that a ticket is late."""
        target = self.service.leader_chat_id or self.group_chat_id
        if (error := await self.send(GROUP_CHANNEL, target, self.service.late_notice(ticket))) is not None:
            log.error("could not escalate the late %s: %s; trying at the next check", ticket.code, error)
            return False
        return True

    async def send(self, channel_name: str, chat_id: str, reply: Reply) -> DeliveryError | None:
        return await self.service.send(channel_name, chat_id, reply)

    # --- wording -----------------------------------------------------------------------------------

    @staticmethod
    def _flag(ticket: Ticket, error: DeliveryError) -> Reply:
        return Reply(catalogue.OFFICIALS_DELIVERY_FAILED.format(code=ticket.code, error=error))

    @staticmethod
    def _sent(ticket: Ticket) -> Reply:
        return Reply(catalogue.OFFICIALS_REPLY_SENT.format(code=ticket.code))

    def _time(self, ticket: Ticket) -> str:
        return self.service.due_text(ticket)

    _status = staticmethod(status_fields)
