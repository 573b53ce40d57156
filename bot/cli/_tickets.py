"""``wardbot tickets list``, ``show``, ``reply`` and ``close``: citizens' tickets at an official's terminal."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .._config import load_config
from ._common import Commands, cli_actor

if TYPE_CHECKING:
    from tickets import Ticket, TicketEvent, TicketStore

    from ..officials import OfficialActions

# Officials read Vietnamese status and category names (the catalogue's short forms); the code keeps
# the English ones.


def _ticket_time(moment: dt.datetime | None) -> str:
    from tickets import WARD_TZ

    return "-" if moment is None else moment.astimezone(WARD_TZ).strftime("%Y-%m-%d %H:%M")


def _ticket_status(ticket: Ticket) -> str:
    from handlers import catalogue

    name = catalogue.TICKET_STATUS_SHORT[ticket.status.value]
    return catalogue.TICKET_PAUSED_SHORT.format(label=name) if ticket.paused else name


def _ticket_category(ticket: Ticket) -> str:
    from handlers import catalogue

    return catalogue.CATEGORY_SHORT[ticket.category.value]


def format_ticket_table(tickets: Sequence[Ticket]) -> str:
    """One line per ticket, in aligned columns, for an official at a terminal."""
    if not tickets:
        return "No tickets."
    header = ("CODE", "STATUS", "CATEGORY", "ASSIGNEE", "RECEIVED", "DUE")
    rows = [
        (
            t.code,
            _ticket_status(t),
            _ticket_category(t),
            t.assignee or "-",
            _ticket_time(t.received_at),
            _ticket_time(t.due_at),
        )
        for t in tickets
    ]
    widths = [max(len(row[column]) for row in [header, *rows]) for column in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    return "\n".join([*lines, f"{len(tickets)} ticket(s)"])


def _ticket_links(ticket: Ticket, uploads: Path | None) -> dict[str, str | None]:
    """Where an official sees a ticket's place and photo (``bot.officials.ticket_links``), as
    text: the map link, and the photo as a file (a web upload), a link (Zalo) or a Telegram file id."""
    from ..officials import ticket_links

    links = ticket_links(ticket, uploads)
    photo = links.photo_link
    if links.photo_file is not None:
        path = links.photo_file
        photo = str(path.resolve()) if path.exists() else f"{path} (missing)"
    elif links.photo_ref is not None:
        photo = f"{ticket.channel} file id {links.photo_ref}"
    return {"map": links.map, "photo": photo}


def format_ticket(ticket: Ticket, events: Sequence[TicketEvent], *, uploads: Path | None = None) -> str:
    """A ticket and its history, for an official to read; a web photo is shown as its file in
    ``uploads``, a location with its map link."""
    links = _ticket_links(ticket, uploads)
    contact = "removed" if ticket.redacted_at else "anonymous" if ticket.anonymous else ticket.contact
    lines = [
        f"{ticket.code}  {_ticket_category(ticket)}  {_ticket_status(ticket)}",
        f"Received: {_ticket_time(ticket.received_at)}   Due: {_ticket_time(ticket.due_at)}",
        f"Assignee: {ticket.assignee or '-'}   Channel: {ticket.channel}   Contact: {contact}",
    ]
    if ticket.address:
        lines.append(f"Address: {ticket.address}")
    if ticket.location:
        lines.append(f"Location: {ticket.location[0]}, {ticket.location[1]}  {links['map']}")
    if ticket.photo:
        lines.append(f"Photo: {links['photo']}")
    lines.append(f"Text: {ticket.text}")
    if ticket.answer is not None:
        lines.append(f"Answer ({ticket.delivery or 'not delivered yet'}): {ticket.answer}")
    lines.append("History:")
    for event in events:
        # The create event's data is the ticket's contents, shown above (and its secret, not shown).
        data = event.data if event.kind.value != "create" else {}
        details = json.dumps(data, ensure_ascii=False, sort_keys=True) if data else ""
        line = f"  {event.seq:>3}  {_ticket_time(event.at)}  {event.actor}  {event.kind.value}  {details}"
        lines.append(line.rstrip())
    return "\n".join(lines)


def _with_ticket_store(args: argparse.Namespace, action: Callable[[TicketStore], Awaitable[int]]) -> int:
    """Run ``action`` on the tickets file; an unknown code, a refused change or a conflict
    with another official is a ``TicketError``: ``main`` prints it as one line, exit status 1
    (a conflict in the officials' one conflict message, ``bot.officials.ActionConflict``)."""
    from tickets import TicketStore

    path = load_config(args.config).data_dir / "tickets.sqlite3"

    async def run() -> int:
        async with await TicketStore.open(path) as store:
            return await action(store)

    return asyncio.run(run())


def _actions(args: argparse.Namespace, store: TicketStore) -> OfficialActions:
    """The officials' actions without the running bot's channels: changes are recorded, and the
    running bot's ticket service delivers a recorded answer."""
    from tickets import TicketDesk

    from ..officials import OfficialActions

    config = load_config(args.config)
    return OfficialActions(TicketDesk(store, config.calendar.working_calendar(), config.tickets.policies))


def _cmd_tickets_list(args: argparse.Namespace) -> int:
    async def show(store: TicketStore) -> int:
        tickets = await store.list(status=args.status)
        if args.json:
            print(json.dumps({"tickets": [t.to_dict() for t in tickets]}, ensure_ascii=False, sort_keys=True))
        else:
            print(format_ticket_table(tickets))
        return 0

    return _with_ticket_store(args, show)


def _cmd_tickets_show(args: argparse.Namespace) -> int:
    from ..channels import UPLOADS_DIR

    uploads = load_config(args.config).data_dir / UPLOADS_DIR

    async def show(store: TicketStore) -> int:
        ticket, events = await store.get(args.code), await store.events(args.code)
        if args.json:
            document = {
                "ticket": ticket.to_dict(),
                "events": [e.to_dict() for e in events],
                "links": _ticket_links(ticket, uploads),
            }
            print(json.dumps(document, ensure_ascii=False, sort_keys=True))
        else:
            print(format_ticket(ticket, events, uploads=uploads))
        return 0

    return _with_ticket_store(args, show)


def _cmd_tickets_reply(args: argparse.Namespace) -> int:
    async def reply(store: TicketStore) -> int:
        ticket = await store.get(args.code)
        # The version read here guards the write: an answer given meanwhile is never replaced.
        outcome = await _actions(args, store).answer(
            ticket.code, args.text, actor=cli_actor(), expected_version=ticket.version
        )
        ticket = outcome.ticket
        print(f"{ticket.code}: answer recorded ({_ticket_status(ticket)}); it is delivered by the running bot")
        return 0

    return _with_ticket_store(args, reply)


def _cmd_tickets_close(args: argparse.Namespace) -> int:
    async def close(store: TicketStore) -> int:
        ticket = await store.get(args.code)
        outcome = await _actions(args, store).close(ticket.code, actor=cli_actor(), expected_version=ticket.version)
        print(f"{outcome.ticket.code}: {_ticket_status(outcome.ticket)}")
        return 0

    return _with_ticket_store(args, close)


def add_commands(commands: Commands) -> None:
    from tickets import Status

    tickets = commands.add_parser("tickets", help="citizens' tickets: list, show, answer, close").add_subparsers(
        dest="tickets_command", required=True, metavar="TICKETS_COMMAND"
    )
    ticket_list = tickets.add_parser("list", help="tickets, oldest first")
    ticket_list.add_argument("--status", choices=[s.value for s in Status], help="only tickets in this status")
    ticket_list.add_argument("--json", action="store_true", help="print one JSON document")
    ticket_list.set_defaults(handler=_cmd_tickets_list)
    ticket_show = tickets.add_parser("show", help="a ticket and its history")
    ticket_show.add_argument("code", metavar="CODE", help="e.g. PA-2026-000123")
    ticket_show.add_argument("--json", action="store_true", help="print one JSON document")
    ticket_show.set_defaults(handler=_cmd_tickets_show)
    ticket_reply = tickets.add_parser("reply", help="record the answer to a ticket (the bot delivers it)")
    ticket_reply.add_argument("code", metavar="CODE")
    ticket_reply.add_argument("text", metavar="TEXT", help="the answer, as the citizen will read it")
    ticket_reply.set_defaults(handler=_cmd_tickets_reply)
    ticket_close = tickets.add_parser("close", help="close an answered ticket")
    ticket_close.add_argument("code", metavar="CODE")
    ticket_close.set_defaults(handler=_cmd_tickets_close)
