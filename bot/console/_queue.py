"""``/console/``: the queue of tickets, soonest due first, each coloured by its deadline state.

Filters are GET parameters, so that a filtered queue is a link an official can keep:
``status`` (``open``, the default; ``all``; or one status), ``category``, ``assignee`` (a name,
or ``none`` for the unassigned), ``channel`` and ``q``, a search over the code, the citizen's
text and the answer, folded on both sides (:func:`retrieval.fold`), so that "den duong" finds
"Đèn đường" and the other way round. The tab title starts with the number of open tickets shown.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from aiohttp import web

from handlers import catalogue
from retrieval import fold
from tickets import WARD_TZ, Category, DeadlineState, Status, Ticket, TicketDesk

from ..officials import Role
from ._console import Pages, render, services, url

OPEN_STATUSES = frozenset({Status.NEW, Status.ASSIGNED, Status.REOPENED})
SNIPPET_CHARS = 160
TIME_FORMAT = "%d/%m %H:%M"


@dataclasses.dataclass(frozen=True, slots=True)
class QueueFilters:
    status: str = "open"  # "open", "all" or a Status value
    category: str = ""
    assignee: str = ""  # a name, "none" for the unassigned, "" for anyone
    channel: str = ""
    q: str = ""

    @classmethod
    def from_query(cls, query: web.Request) -> QueueFilters:
        values = query.query
        status = values.get("status", "open")
        if status not in ("open", "all", *(s.value for s in Status)):
            status = "open"
        category = values.get("category", "")
        return cls(
            status=status,
            category=category if category in (c.value for c in Category) else "",
            assignee=values.get("assignee", "").strip()[:64],
            channel=values.get("channel", "").strip()[:32],
            q=values.get("q", "").strip()[:200],
        )

    @property
    def any(self) -> bool:
        return self != QueueFilters()

    def keeps(self, ticket: Ticket, terms: list[str]) -> bool:
        if self.status == "open" and ticket.status not in OPEN_STATUSES:
            return False
        if self.status not in ("open", "all") and ticket.status.value != self.status:
            return False
        if self.category and ticket.category.value != self.category:
            return False
        if self.assignee == "none" and ticket.assignee:
            return False
        if self.assignee not in ("", "none") and ticket.assignee != self.assignee:
            return False
        if self.channel and ticket.channel != self.channel:
            return False
        haystack = fold(" ".join((ticket.code, ticket.text, ticket.answer or "")))
        return all(term in haystack for term in terms)


# The queue's colour of each deadline state; an answered ticket is the citizen's to rate, not the
# officials' to work, so it shows as done although the report counts it until it is closed.
_ROW_STATES = {
    DeadlineState.PAUSED: "paused",
    DeadlineState.OVERDUE: "overdue",
    DeadlineState.DUE_SOON: "soon",
    DeadlineState.ON_TRACK: "on_track",
}


def row_state(ticket: Ticket, desk: TicketDesk, now: dt.datetime) -> str:
    """``done`` (answered or closed), ``paused`` (waiting for the citizen), ``overdue``, ``soon``
    (within its policy's ``warn_before``, as the deadline watch counts it) or ``on_track``."""
    if ticket.status not in OPEN_STATUSES:
        return "done"
    return _ROW_STATES[desk.deadline_state(ticket, now)]


def ticket_row(ticket: Ticket, state: str) -> dict[str, object]:
    """What a page shows of a ticket in a list (the queue's rows, the board's urgent tickets)."""
    status = catalogue.TICKET_STATUS_SHORT[ticket.status.value]
    text = ticket.text if len(ticket.text) <= SNIPPET_CHARS else ticket.text[: SNIPPET_CHARS - 1] + "…"
    return {
        "code": ticket.code,
        "href": url(f"/tickets/{ticket.code}"),
        "text": text,
        "category": catalogue.CATEGORY_SHORT[ticket.category.value],
        "status": catalogue.TICKET_PAUSED_SHORT.format(label=status) if ticket.paused else status,
        "assignee": ticket.assignee or "",
        "channel": ticket.channel,
        "received": ticket.received_at.astimezone(WARD_TZ).strftime(TIME_FORMAT),
        "due": ticket.due_at.astimezone(WARD_TZ).strftime(TIME_FORMAT),
        "due_iso": ticket.due_at.isoformat(),
        "state": state,
    }


async def queue_page(request: web.Request) -> web.StreamResponse:
    parts = services(request)
    filters = QueueFilters.from_query(request)
    tickets = await parts.tickets.list()
    terms = fold(filters.q).split()
    now = parts.clock()
    shown = sorted((t for t in tickets if filters.keeps(t, terms)), key=lambda t: (t.due_at, t.code))
    rows = [ticket_row(ticket, row_state(ticket, parts.desk, now)) for ticket in shown]
    open_count = sum(ticket.status in OPEN_STATUSES for ticket in shown)
    context = {
        "rows": rows,
        "filters": filters,
        "open_count": open_count,
        "statuses": [s.value for s in Status],
        "categories": [c.value for c in Category],
        "assignees": sorted({t.assignee for t in tickets if t.assignee}),
        "channels": sorted({t.channel for t in tickets}),
        "status_labels": catalogue.TICKET_STATUS_SHORT,
        "category_labels": catalogue.CATEGORY_SHORT,
    }
    return render(request, "queue.html", context)


def add_pages(pages: Pages) -> None:
    pages.get("/", queue_page, role=Role.OFFICIAL)
