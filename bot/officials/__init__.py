"""The officials' side of tickets: :class:`TicketService` delivers every answer an official
records, from any front end, and watches deadlines; :class:`OfficialsDesk` is its front end in
the officials' Telegram group."""

from ._officials import OfficialsDesk, RatePrompter, map_url
from ._ticket_service import TicketService

__all__ = ("OfficialsDesk", "RatePrompter", "TicketService", "map_url")
