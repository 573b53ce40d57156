"""The officials' side of tickets: :class:`TicketService` delivers every answer an official
records, from any front end, and watches deadlines; :class:`OfficialActions` is every action an
official takes on a ticket, whichever front end asks; :class:`OfficialsDesk` is their front end in
the officials' Telegram group."""

from ._actions import (
    ACTION_ROLES,
    ActionConflict,
    ActionOutcome,
    ActionRefused,
    CitizenPrompts,
    OfficialActions,
    Role,
    TicketDeadline,
    conflict_message,
    pending_apology_draft,
    refusal_message,
    ticket_deadline,
)
from ._officials import OfficialsDesk, TicketLinks, map_url, ticket_links
from ._ticket_service import TicketService

__all__ = (
    "ACTION_ROLES",
    "ActionConflict",
    "ActionOutcome",
    "ActionRefused",
    "CitizenPrompts",
    "OfficialActions",
    "OfficialsDesk",
    "Role",
    "TicketDeadline",
    "TicketLinks",
    "TicketService",
    "conflict_message",
    "map_url",
    "pending_apology_draft",
    "refusal_message",
    "ticket_deadline",
    "ticket_links",
)
