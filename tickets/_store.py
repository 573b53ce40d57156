"""The ticket store: citizens' feedback and questions, and everything officials do with them.

Every change to a ticket is an event appended to ``ticket_events`` and never changed again
(triggers refuse UPDATE and DELETE there; the one exception is below). The ``tickets`` row is only a projection of those
events, kept for queries: :func:`replay_events` rebuilds a ticket from its events alone, by the
same function that computed the row, so the history is the record and the row a cache of it.

Nothing is overwritten silently. Each change runs in one ``BEGIN IMMEDIATE`` transaction that
reads the ticket, checks the caller's ``expected_version`` (the number of events the caller
saw) and the transition table below, then appends the event and updates the row. Of two
officials acting on the same version at once, exactly one wins; the other gets
:class:`TicketConflict` with the ticket as it now is.

Transitions (``TRANSITIONS``; any other combination raises :class:`TicketStateError`)::

    event        allowed when status is          status after    also required
    create       (no ticket yet)                 new
    claim        new, reopened                   assigned        (the actor becomes the assignee)
    assign       new, assigned, reopened         assigned        a different assignee
    reply        new, assigned, reopened         answered        not paused; an unassigned ticket goes to the replier
    deliver      answered, closed                unchanged       (a delivery report can follow the closing)
    close        answered                        closed          (no closing without an answer)
    reopen       answered, closed                reopened
    note         any                             unchanged
    pause        new, assigned, reopened         unchanged       not paused (waiting for the citizen)
    resume       new, assigned, reopened         unchanged       paused
    due_change   new, assigned, reopened         unchanged
    redact       any                             unchanged       (personal fields removed, see below)

Codes are ``PREFIX-YEAR-NNNNNN``: the prefix names the category (``PA`` for phản ánh, kiến nghị;
``HD`` for hỏi đáp, a citizen's question the bot could not answer and sent to officials), the
year is the year of receipt in Vietnam time, and the number counts up within that year, shared
by both categories so that a number never names two tickets in one year (a citizen who mistypes
the prefix finds nothing rather than someone else's ticket).

A citizen's personal data does not stay in the record for ever (Decree 13/2023/NĐ-CP on personal
data protection: deletion on request, and once its purpose is served). :meth:`TicketStore.redact`
appends a ``redact`` event, which empties the chat id, pseudonym, address, location, photo and
contact and takes the citizen's numbers and contact out of the text and answer, in the projection
and in every replay; in the same transaction it blanks the same data in the ticket's earlier
events, the only rewrite the triggers allow, and only before a ``redact`` event. The ticket, its
dates, category, channel and history of handling stay: the ward must keep that record.

The store keeps no raw platform user ids: callers pass ``user`` already pseudonymised (the
bot's storage does that with its keyed pseudonym). Due dates come from the caller: the working-day
calendar lives elsewhere. Like the bot's storage, every database call runs on one worker thread
that owns the connection, and the file is in WAL mode so the CLI can act beside the running bot.
"""

from __future__ import annotations

import builtins
import dataclasses
import datetime as dt
import functools
import hmac
import json
import logging
import secrets
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from enum import Enum
from pathlib import Path
from typing import Any, overload

import sqlite_utils

from wardbot_errors import WardbotError

from ._calendar import WARD_TZ
from ._redact import contact_values, redact_text
from ._sqlite import SqliteWorker, timestamp_text

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]

# The lookup secret: short enough to read out or type, from letters and digits that cannot be
# confused (no 0/O, 1/I/L); 8 of 31 symbols is about 40 bits, ample for a code tried online.
SECRET_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
SECRET_LENGTH = 8


class Category(str, Enum):
    FEEDBACK = "feedback"  # phản ánh, kiến nghị on administrative regulations (NĐ 20/2008/NĐ-CP)
    QUESTION = "question"  # a question the bot could not answer, sent on to officials


CATEGORY_PREFIXES: dict[Category, str] = {Category.FEEDBACK: "PA", Category.QUESTION: "HD"}


class Status(str, Enum):
    NEW = "new"
    ASSIGNED = "assigned"
    ANSWERED = "answered"
    CLOSED = "closed"
    REOPENED = "reopened"


class EventKind(str, Enum):
    CREATE = "create"
    CLAIM = "claim"
    ASSIGN = "assign"
    REPLY = "reply"
    DELIVER = "deliver"
    CLOSE = "close"
    REOPEN = "reopen"
    NOTE = "note"
    PAUSE = "pause"
    RESUME = "resume"
    DUE_CHANGE = "due_change"
    REDACT = "redact"  # the citizen's personal data removed: an erasure request, or the retention period


_OPEN = frozenset({Status.NEW, Status.ASSIGNED, Status.REOPENED})
_ANSWERED = frozenset({Status.ANSWERED, Status.CLOSED})

# For each event after ``create``: the statuses it may happen in, and the status it leads to
# (None: unchanged). The guards that depend on more than the status are in ``_check``.
TRANSITIONS: dict[EventKind, tuple[frozenset[Status], Status | None]] = {
    EventKind.CLAIM: (frozenset({Status.NEW, Status.REOPENED}), Status.ASSIGNED),
    EventKind.ASSIGN: (_OPEN, Status.ASSIGNED),
    EventKind.REPLY: (_OPEN, Status.ANSWERED),
    EventKind.DELIVER: (_ANSWERED, None),
    EventKind.CLOSE: (frozenset({Status.ANSWERED}), Status.CLOSED),
    EventKind.REOPEN: (_ANSWERED, Status.REOPENED),
    EventKind.NOTE: (frozenset(Status), None),
    EventKind.PAUSE: (_OPEN, None),
    EventKind.RESUME: (_OPEN, None),
    EventKind.DUE_CHANGE: (_OPEN, None),
    EventKind.REDACT: (frozenset(Status), None),
}


class TicketError(WardbotError):
    """Base of the errors an official or a caller can act on."""


class TicketNotFound(TicketError, LookupError):
    def __init__(self, code: str) -> None:
        super().__init__(f"no ticket {code!r}")
        self.code = code


class TicketStateError(TicketError):
    """The change is not allowed in the ticket's current state (see ``TRANSITIONS``)."""


class TicketConflict(TicketError):
    """Someone changed the ticket since the caller read it; ``current`` is how it is now."""

    def __init__(self, current: Ticket, expected_version: int) -> None:
        assignee = f", assignee {current.assignee}" if current.assignee else ""
        super().__init__(
            f"{current.code} was changed meanwhile: now version {current.version} "
            f"({current.status.value}{assignee}), not {expected_version}; reload it and try again"
        )
        self.current = current
        self.expected_version = expected_version


@dataclasses.dataclass(frozen=True, slots=True)
class TicketEvent:
    """One change to a ticket; ``seq`` counts from 1 (``create``) without gaps."""

    ticket: str
    seq: int
    actor: str  # e.g. "citizen", "cli:lan", "telegram:123456"
    at: dt.datetime
    kind: EventKind
    data: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values; the create event's lookup secret is left out, since it opens the
        ticket to whoever reads it."""
        data = {key: value for key, value in self.data.items() if key != "secret"}
        return {"seq": self.seq, "at": self.at.isoformat(), "actor": self.actor, "kind": self.kind.value, "data": data}


@dataclasses.dataclass(frozen=True, slots=True)
class Ticket:
    """A ticket as its events leave it. ``version`` is the number of events so far."""

    code: str
    category: Category
    status: Status
    assignee: str | None
    channel: str
    chat_id: str
    user: str  # pseudonymised by the caller
    secret: str  # the citizen's lookup code
    text: str
    address: str | None
    location: tuple[float, float] | None  # latitude, longitude
    photo: str | None  # a reference to the stored photo, never the photo itself
    contact: str | None  # only with the citizen's consent; None for an anonymous ticket
    contact_consent: bool
    received_at: dt.datetime
    due_at: dt.datetime
    version: int
    updated_at: dt.datetime
    paused: bool = False  # waiting for the citizen: the deadline clock stands still
    answer: str | None = None
    answered_at: dt.datetime | None = None
    delivery: str | None = None  # "delivered" or "failed" for the latest answer
    closed_at: dt.datetime | None = None
    redacted_at: dt.datetime | None = None  # when its personal fields were removed (a ``redact`` event)

    @property
    def anonymous(self) -> bool:
        return self.contact is None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values for officials' tools; the lookup secret is left out, since it
        opens the ticket to whoever holds it."""
        values: dict[str, Any] = {}
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            if isinstance(value, dt.datetime):
                value = value.isoformat()
            elif isinstance(value, Enum):
                value = value.value
            elif isinstance(value, tuple):
                value = list(value)
            values[item.name] = value
        del values["secret"]
        values["anonymous"] = self.anonymous
        return values


def _utc(moment: dt.datetime) -> dt.datetime:
    """UTC at whole milliseconds, the precision stored: what is returned equals what is read back."""
    if moment.tzinfo is None:
        raise ValueError(f"a timezone-aware time is required, got {moment.isoformat()}")
    moment = moment.astimezone(dt.UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


@overload
def _text(moment: dt.datetime) -> str: ...
@overload
def _text(moment: None) -> None: ...
def _text(moment: dt.datetime | None) -> str | None:
    """Fixed-width UTC text, so that times compare correctly as text in SQL."""
    return None if moment is None else timestamp_text(moment)


@overload
def _time(text: str) -> dt.datetime: ...
@overload
def _time(text: None) -> None: ...
def _time(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text)


def normalize_code(code: str) -> str:
    """A code as citizens type it (``pa-2026-000123 ``) in its stored form."""
    return code.strip().upper()


# --- The projection: events folded into a ticket -------------------------------------------------


_VERBS = {
    EventKind.REPLY: "reply to",
    EventKind.DELIVER: "record a delivery for",
    EventKind.DUE_CHANGE: "change the due date of",
}


def _refusal_hint(kind: EventKind, ticket: Ticket) -> str:
    """What to do instead of a refused change, so that an official knows the next step."""
    match kind, ticket.status:
        case EventKind.CLAIM, Status.ASSIGNED:
            return f"it is assigned to {ticket.assignee}; assign it to hand it over"
        case EventKind.CLOSE, _:
            return "it has no answer yet; reply first"
        case EventKind.DELIVER, _:
            return "there is no answer to deliver"
        case _, Status.ANSWERED | Status.CLOSED:
            return "reopen it first"
    return ""


def _check(ticket: Ticket, event: TicketEvent) -> None:
    """Refuse an event that the ticket's state does not allow, saying why."""
    allowed, _ = TRANSITIONS[event.kind]
    if ticket.status not in allowed:
        states = ", ".join(s.value for s in Status if s in allowed)
        hint = _refusal_hint(event.kind, ticket)
        raise TicketStateError(
            f"{ticket.code}: cannot {_VERBS.get(event.kind, event.kind.value)} a ticket that is {ticket.status.value} "
            f"(only when {states})" + (f"; {hint}" if hint else "")
        )
    if event.kind is EventKind.ASSIGN and event.data["assignee"] == ticket.assignee:
        raise TicketStateError(f"{ticket.code}: already assigned to {ticket.assignee}")
    if event.kind is EventKind.REPLY and ticket.paused:
        raise TicketStateError(
            f"{ticket.code}: cannot reply while it is paused waiting for the citizen; resume it first"
        )
    if event.kind is EventKind.PAUSE and ticket.paused:
        raise TicketStateError(f"{ticket.code}: already paused waiting for the citizen")
    if event.kind is EventKind.RESUME and not ticket.paused:
        raise TicketStateError(f"{ticket.code}: cannot resume a ticket that is not paused")


def _created(event: TicketEvent) -> Ticket:
    data = event.data
    return Ticket(
        code=event.ticket,
        category=Category(data["category"]),
        status=Status.NEW,
        assignee=None,
        channel=data["channel"],
        chat_id=data["chat_id"],
        user=data["user"],
        secret=data["secret"],
        text=data["text"],
        address=data["address"],
        location=tuple(data["location"]) if data["location"] else None,
        photo=data["photo"],
        contact=data["contact"],
        contact_consent=data["contact_consent"],
        received_at=_time(data["received_at"]),
        due_at=_time(data["due_at"]),
        version=1,
        updated_at=event.at,
    )


def apply_event(ticket: Ticket | None, event: TicketEvent) -> Ticket:
    """The ticket after ``event``: the one place where events change tickets, used both to
    write the projection and to replay history. Raises :class:`TicketStateError` for an
    event the transition table does not allow."""
    if event.kind is EventKind.CREATE:
        if ticket is not None:
            raise TicketStateError(f"{event.ticket}: already exists")
        return _created(event)
    if ticket is None:
        raise TicketNotFound(event.ticket)
    if event.seq != ticket.version + 1:
        raise TicketStateError(f"{ticket.code}: event {event.seq} cannot follow event {ticket.version}")
    _check(ticket, event)
    _, status = TRANSITIONS[event.kind]
    changes: dict[str, Any] = {"version": event.seq, "updated_at": event.at}
    if status is not None:
        changes["status"] = status
    data = event.data
    match event.kind:
        case EventKind.CLAIM:
            changes["assignee"] = event.actor
        case EventKind.ASSIGN:
            changes["assignee"] = data["assignee"]
        case EventKind.REPLY:
            changes.update(answer=data["text"], answered_at=event.at, delivery=None)
            changes["assignee"] = ticket.assignee or event.actor
        case EventKind.DELIVER:
            changes["delivery"] = data["status"]
        case EventKind.CLOSE:
            changes["closed_at"] = event.at
        case EventKind.REOPEN:
            changes["closed_at"] = None
        case EventKind.PAUSE:
            changes["paused"] = True
        case EventKind.RESUME:
            changes["paused"] = False
        case EventKind.DUE_CHANGE:
            changes["due_at"] = _time(data["due_at"])
        case EventKind.REDACT:
            values = personal_values(ticket)
            changes.update(
                {field: "" for field in _PERSONAL_IDS} | {field: None for field in _PERSONAL_FIELDS},
                text=redact_text(ticket.text, values),
                answer=redact_text(ticket.answer, values, personal=False) if ticket.answer else ticket.answer,
                redacted_at=event.at,
            )
    return dataclasses.replace(ticket, **changes)


# What a redaction removes: the platform's chat id and the pseudonym (which link the ticket to a
# person) become empty, the fields only a person fills become None. The ticket's category, text
# (with the citizen's numbers and contact taken out), dates, answer and history stay: the ward
# keeps the record of how it handled the case.
_PERSONAL_IDS = ("chat_id", "user")
_PERSONAL_FIELDS = ("address", "location", "photo", "contact")


def personal_values(ticket: Ticket) -> list[str]:
    """What identifies the ticket's citizen wherever it is written: their contact (and the numbers
    in it), the address they gave and their chat id."""
    return [*contact_values(ticket.contact), *(v for v in (ticket.address, ticket.chat_id) if v)]


def _redacted_data(event: TicketEvent, values: list[str]) -> dict[str, Any]:
    """An earlier event's data as it is kept once its ticket is redacted: the create event without
    the personal fields and with the citizen's text redacted like the ticket's; in every other
    event (officials' answers, notes, reasons) each text without the citizen's values."""

    def scrub(value: Any) -> Any:
        if isinstance(value, str):
            return redact_text(value, values, personal=False)
        if isinstance(value, dict):
            return {key: scrub(item) for key, item in value.items()}
        if isinstance(value, list):
            return [scrub(item) for item in value]
        return value

    if event.kind is not EventKind.CREATE:
        return scrub(event.data)
    data = {**event.data, "text": redact_text(event.data["text"], values)}
    return data | {field: "" for field in _PERSONAL_IDS} | {field: None for field in _PERSONAL_FIELDS}


def replay_events(events: Iterable[TicketEvent]) -> Ticket:
    """Rebuild a ticket from its events alone."""
    ticket: Ticket | None = None
    for event in events:
        ticket = apply_event(ticket, event)
    if ticket is None:
        raise ValueError("a ticket needs at least its create event")
    return ticket


# --- SQLite ---------------------------------------------------------------------------------------

# Migrations by number: MIGRATIONS[n - 1] brings the schema from version n - 1 to n, recorded in
# SQLite's user_version. A released migration is never edited; changes append a new one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE ticket_sequences (
        year INTEGER PRIMARY KEY,
        last INTEGER NOT NULL                    -- the last number given out in that year
    );

    CREATE TABLE tickets (                       -- the projection of ticket_events
        code TEXT PRIMARY KEY,
        category TEXT NOT NULL,
        status TEXT NOT NULL,
        assignee TEXT,
        channel TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        user TEXT NOT NULL,                      -- pseudonymised
        secret TEXT NOT NULL,
        text TEXT NOT NULL,
        address TEXT,
        latitude REAL,
        longitude REAL,
        photo TEXT,
        contact TEXT,
        contact_consent INTEGER NOT NULL,
        received_at TEXT NOT NULL,
        due_at TEXT NOT NULL,
        version INTEGER NOT NULL,                -- the number of events
        updated_at TEXT NOT NULL,
        paused INTEGER NOT NULL DEFAULT 0,
        answer TEXT,
        answered_at TEXT,
        delivery TEXT,
        closed_at TEXT
    );
    CREATE INDEX tickets_status ON tickets (status);
    CREATE INDEX tickets_received ON tickets (received_at);
    CREATE INDEX tickets_due ON tickets (due_at);

    CREATE TABLE ticket_events (
        ticket TEXT NOT NULL REFERENCES tickets (code),
        seq INTEGER NOT NULL,
        actor TEXT NOT NULL,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        data TEXT NOT NULL,                      -- JSON
        PRIMARY KEY (ticket, seq)
    );
    -- The history is the record: once written, an event is never changed or removed.
    CREATE TRIGGER ticket_events_no_update BEFORE UPDATE ON ticket_events
    BEGIN SELECT RAISE(ABORT, 'ticket events are append-only'); END;
    CREATE TRIGGER ticket_events_no_delete BEFORE DELETE ON ticket_events
    BEGIN SELECT RAISE(ABORT, 'ticket events are append-only'); END;
    """,
    # 2: removing a citizen's personal data (TicketStore.redact). An event is still never removed
    # and never rewritten, except that the data of one before a ``redact`` event may be blanked.
    """
    ALTER TABLE tickets ADD COLUMN redacted_at TEXT;
    CREATE INDEX tickets_closed ON tickets (closed_at) WHERE redacted_at IS NULL;

    DROP TRIGGER ticket_events_no_update;
    CREATE TRIGGER ticket_events_no_update BEFORE UPDATE ON ticket_events
    WHEN NEW.ticket IS NOT OLD.ticket OR NEW.seq IS NOT OLD.seq OR NEW.actor IS NOT OLD.actor
        OR NEW.at IS NOT OLD.at OR NEW.kind IS NOT OLD.kind
        OR NOT EXISTS (SELECT 1 FROM ticket_events WHERE ticket = OLD.ticket AND seq > OLD.seq AND kind = 'redact')
    BEGIN SELECT RAISE(ABORT, 'ticket events are append-only; only a later redaction blanks their data'); END;
    """,
    # 3: the message that confirmed a ticket, so that handling it again (after a crash between
    # filing the ticket and recording the turn) finds the ticket instead of filing a second one.
    """
    CREATE TABLE ticket_sources (
        source TEXT PRIMARY KEY,                 -- "channel:chat:platform message id"
        ticket TEXT NOT NULL REFERENCES tickets (code)
    );
    """,
)


# Ties in time are broken by year and number ("2026-000123"), not by the prefix.
_NUMBER_ORDER = "substr(code, 4)"


def _row(ticket: Ticket) -> dict[str, Any]:
    latitude, longitude = ticket.location or (None, None)
    return {
        "code": ticket.code,
        "category": ticket.category.value,
        "status": ticket.status.value,
        "assignee": ticket.assignee,
        "channel": ticket.channel,
        "chat_id": ticket.chat_id,
        "user": ticket.user,
        "secret": ticket.secret,
        "text": ticket.text,
        "address": ticket.address,
        "latitude": latitude,
        "longitude": longitude,
        "photo": ticket.photo,
        "contact": ticket.contact,
        "contact_consent": int(ticket.contact_consent),
        "received_at": _text(ticket.received_at),
        "due_at": _text(ticket.due_at),
        "version": ticket.version,
        "updated_at": _text(ticket.updated_at),
        "paused": int(ticket.paused),
        "answer": ticket.answer,
        "answered_at": _text(ticket.answered_at),
        "delivery": ticket.delivery,
        "closed_at": _text(ticket.closed_at),
        "redacted_at": _text(ticket.redacted_at),
    }


def _ticket(row: dict[str, Any]) -> Ticket:
    has_location = row["latitude"] is not None
    return Ticket(
        code=row["code"],
        category=Category(row["category"]),
        status=Status(row["status"]),
        assignee=row["assignee"],
        channel=row["channel"],
        chat_id=row["chat_id"],
        user=row["user"],
        secret=row["secret"],
        text=row["text"],
        address=row["address"],
        location=(row["latitude"], row["longitude"]) if has_location else None,
        photo=row["photo"],
        contact=row["contact"],
        contact_consent=bool(row["contact_consent"]),
        received_at=_time(row["received_at"]),
        due_at=_time(row["due_at"]),
        version=row["version"],
        updated_at=_time(row["updated_at"]),
        paused=bool(row["paused"]),
        answer=row["answer"],
        answered_at=_time(row["answered_at"]),
        delivery=row["delivery"],
        closed_at=_time(row["closed_at"]),
        redacted_at=_time(row["redacted_at"]),
    )


def _event(row: dict[str, Any]) -> TicketEvent:
    return TicketEvent(
        row["ticket"], row["seq"], row["actor"], _time(row["at"]), EventKind(row["kind"]), json.loads(row["data"])
    )


class TicketStore(SqliteWorker):
    """Async access to the tickets' SQLite file.

    Open with :meth:`open` (which creates the file and applies migrations) and close with
    :meth:`close`, or use ``async with await TicketStore.open(...)``. Every change returns the
    ticket as it now is; pass its ``version`` as ``expected_version`` to the next change.
    """

    def __init__(self, executor: ThreadPoolExecutor, db: sqlite_utils.Database, clock: Clock, ward_time: dt.tzinfo):
        super().__init__(executor, db)
        self._clock = clock
        self._ward_time = ward_time

    @classmethod
    async def open(
        cls,
        path: str | Path,
        *,
        clock: Clock = functools.partial(dt.datetime.now, dt.UTC),
        ward_time: dt.tzinfo = WARD_TZ,  # decides the year in a ticket's code
    ) -> TicketStore:
        executor, db = await cls._connect(path, MIGRATIONS, thread_name="wardbot-tickets")
        return cls(executor, db, clock, ward_time)

    def _read(self, code: str) -> Ticket:
        rows = list(self._db.query("SELECT * FROM tickets WHERE code = ?", [normalize_code(code)]))
        if not rows:
            raise TicketNotFound(code)
        return _ticket(rows[0])

    def _append(self, event: TicketEvent, ticket: Ticket) -> None:
        """Write an event and the projection it leads to (inside a write transaction)."""
        # The row first: the event refers to it.
        self._db.table("tickets").upsert(_row(ticket), pk="code")
        self._db.table("ticket_events").insert(
            {
                "ticket": event.ticket,
                "seq": event.seq,
                "actor": event.actor,
                "at": _text(event.at),
                "kind": event.kind.value,
                "data": json.dumps(event.data, ensure_ascii=False, sort_keys=True),
            }
        )

    # --- Changes ---------------------------------------------------------------------------------

    async def create(
        self,
        category: Category,
        *,
        channel: str,
        chat_id: str,
        user: str,
        text: str,
        due_at: dt.datetime,
        address: str | None = None,
        location: tuple[float, float] | None = None,
        photo: str | None = None,
        contact: str | None = None,
        contact_consent: bool = False,
        received_at: dt.datetime | None = None,
        actor: str = "citizen",
        source: str = "",
    ) -> Ticket:
        """File a new ticket with the next code of its year of receipt (``received_at``, by
        default now). ``user`` must already be pseudonymised; ``contact`` needs the citizen's
        consent (silence is not consent), and without it the ticket is anonymous. ``source``
        names the message that asked for it: a second create from the same source returns the
        ticket the first one filed."""
        category = Category(category)
        if contact is not None and not contact_consent:
            raise ValueError("a contact may be kept only with the citizen's consent")
        now = _utc(self._clock())
        received = _utc(received_at) if received_at is not None else now
        year = received.astimezone(self._ward_time).year
        data = {
            "category": category.value,
            "channel": channel,
            "chat_id": chat_id,
            "user": user,
            "secret": "".join(secrets.choice(SECRET_ALPHABET) for _ in range(SECRET_LENGTH)),
            "text": text,
            "address": address,
            "location": list(location) if location else None,
            "photo": photo,
            "contact": contact,
            "contact_consent": contact_consent,
            "received_at": _text(received),
            "due_at": _text(due_at),
        }

        def write() -> Ticket:
            with self._write():
                if source:
                    filed = self._db.execute("SELECT ticket FROM ticket_sources WHERE source = ?", [source]).fetchone()
                    if filed is not None:
                        return self._read(filed[0])
                # The number is taken in the same transaction as the ticket: a failed create
                # gives it back, and two creates (even from two processes) never share one.
                number = self._db.execute(
                    "INSERT INTO ticket_sequences (year, last) VALUES (?, 1) "
                    "ON CONFLICT (year) DO UPDATE SET last = last + 1 RETURNING last",
                    [year],
                ).fetchone()[0]
                code = f"{CATEGORY_PREFIXES[category]}-{year}-{number:06d}"
                event = TicketEvent(code, 1, actor, now, EventKind.CREATE, data)
                ticket = apply_event(None, event)
                self._append(event, ticket)
                if source:
                    self._db.table("ticket_sources").insert({"source": source, "ticket": code})
            return ticket

        return await self._run(write)

    async def _change(
        self, code: str, kind: EventKind, data: dict[str, Any], *, actor: str, expected_version: int | None
    ) -> Ticket:
        """Append one event after checking, in the write transaction, that the ticket is still
        at ``expected_version`` (None: any version; the transition table still applies)."""
        now = _utc(self._clock())

        def write() -> Ticket:
            with self._write():
                current = self._read(code)
                if expected_version is not None and current.version != expected_version:
                    raise TicketConflict(current, expected_version)
                event = TicketEvent(current.code, current.version + 1, actor, now, kind, data)
                ticket = apply_event(current, event)
                self._append(event, ticket)
            return ticket

        return await self._run(write)

    async def claim(self, code: str, *, actor: str, expected_version: int | None) -> Ticket:
        """The acting official takes an unassigned (or reopened) ticket."""
        return await self._change(code, EventKind.CLAIM, {}, actor=actor, expected_version=expected_version)

    async def assign(self, code: str, assignee: str, *, actor: str, expected_version: int | None) -> Ticket:
        """Give an open ticket to ``assignee`` (also to hand it over)."""
        if not assignee:
            raise ValueError("an assignee is required")
        data = {"assignee": assignee}
        return await self._change(code, EventKind.ASSIGN, data, actor=actor, expected_version=expected_version)

    async def reply(self, code: str, text: str, *, actor: str, expected_version: int | None) -> Ticket:
        """Record an official's answer; delivering it to the citizen is the caller's job,
        reported back with :meth:`record_delivery`."""
        if not text.strip():
            raise ValueError("an answer needs text")
        return await self._change(code, EventKind.REPLY, {"text": text}, actor=actor, expected_version=expected_version)

    async def record_delivery(
        self, code: str, *, delivered: bool, error: str = "", actor: str = "system", expected_version: int | None = None
    ) -> Ticket:
        """Whether the latest answer reached the citizen. Without ``expected_version`` by
        default: a delivery report does not depend on what its sender saw of the ticket."""
        data = {"status": "delivered" if delivered else "failed", "error": error[:500]}
        return await self._change(code, EventKind.DELIVER, data, actor=actor, expected_version=expected_version)

    async def close_ticket(self, code: str, *, actor: str, expected_version: int | None) -> Ticket:
        """Close an answered ticket (named apart from :meth:`close`, which closes the store)."""
        return await self._change(code, EventKind.CLOSE, {}, actor=actor, expected_version=expected_version)

    async def reopen(self, code: str, reason: str, *, actor: str, expected_version: int | None) -> Ticket:
        data = {"reason": reason}
        return await self._change(code, EventKind.REOPEN, data, actor=actor, expected_version=expected_version)

    async def note(
        self,
        code: str,
        text: str,
        *,
        actor: str,
        payload: Mapping[str, Any] | None = None,
        expected_version: int | None = None,
    ) -> Ticket:
        """A note; it changes nothing else, so by default it needs no version. ``payload`` adds
        structured facts beside the text (a SIPAS rating, an apology slip) for the reports."""
        data = {**(payload or {}), "text": text}
        return await self._change(code, EventKind.NOTE, data, actor=actor, expected_version=expected_version)

    async def pause(self, code: str, reason: str, *, actor: str, expected_version: int | None) -> Ticket:
        """The ticket waits for the citizen (e.g. a missing address): its deadline clock stops."""
        data = {"reason": reason}
        return await self._change(code, EventKind.PAUSE, data, actor=actor, expected_version=expected_version)

    async def resume(self, code: str, *, actor: str, expected_version: int | None) -> Ticket:
        return await self._change(code, EventKind.RESUME, {}, actor=actor, expected_version=expected_version)

    async def change_due(
        self, code: str, due_at: dt.datetime, reason: str, *, actor: str, expected_version: int | None
    ) -> Ticket:
        """A new due moment (after a pause, or with an apology slip), with the reason."""
        data = {"due_at": _text(due_at), "reason": reason}
        return await self._change(code, EventKind.DUE_CHANGE, data, actor=actor, expected_version=expected_version)

    async def redact(self, code: str, reason: str, *, actor: str = "system") -> Ticket:
        """Remove the citizen's personal data from the ticket: a ``redact`` event (which removes
        it from the projection, and from any replay), then the same data blanked in the earlier
        events themselves, in one transaction, so that it is gone from the file and not only
        from view. ``reason`` says why, without personal data (an erasure receipt, "retention").
        A ticket already redacted is returned as it is: nothing personal was added since."""
        now = _utc(self._clock())

        def write() -> Ticket:
            with self._write():
                current = self._read(code)
                if current.redacted_at is not None:
                    return current
                rows = self._db.query("SELECT * FROM ticket_events WHERE ticket = ? ORDER BY seq", [current.code])
                events = [_event(row) for row in rows]
                event = TicketEvent(current.code, current.version + 1, actor, now, EventKind.REDACT, {"reason": reason})
                ticket = apply_event(current, event)
                self._append(event, ticket)
                values = personal_values(current)
                for earlier in events:
                    data = _redacted_data(earlier, values)
                    if data != earlier.data:
                        self._db.execute(
                            "UPDATE ticket_events SET data = ? WHERE ticket = ? AND seq = ?",
                            [json.dumps(data, ensure_ascii=False, sort_keys=True), earlier.ticket, earlier.seq],
                        )
                # The message that filed it names the raw chat; it only guarded against filing twice.
                self._db.execute("DELETE FROM ticket_sources WHERE ticket = ?", [current.code])
            return ticket

        return await self._run(write)

    # --- Queries ---------------------------------------------------------------------------------

    async def get(self, code: str) -> Ticket:
        """The ticket with this code (as citizens type it, too); :class:`TicketNotFound` if none."""
        return await self._run(self._read, code)

    async def lookup(self, code: str, secret: str) -> Ticket | None:
        """The ticket for a citizen holding its lookup secret; None for a wrong secret and for
        an unknown code alike, so that guessing reveals nothing."""
        try:
            ticket = await self.get(code)
        except TicketNotFound:
            return None
        matches = hmac.compare_digest(ticket.secret.encode(), secret.strip().upper().encode())
        return ticket if matches else None

    async def list(
        self,
        status: Status | str | None = None,
        category: Category | str | None = None,
        since: dt.datetime | None = None,
    ) -> builtins.list[Ticket]:  # builtins: `list` is this method in the class
        """Tickets, oldest first, optionally only of a status, a category or received from ``since`` on."""
        where: list[str] = []
        params: list[str] = []
        if status is not None:
            where, params = [*where, "status = ?"], [*params, Status(status).value]
        if category is not None:
            where, params = [*where, "category = ?"], [*params, Category(category).value]
        if since is not None:
            where, params = [*where, "received_at >= ?"], [*params, _text(since)]
        sql = "SELECT * FROM tickets" + (" WHERE " + " AND ".join(where) if where else "")
        sql += f" ORDER BY received_at, {_NUMBER_ORDER}"
        return await self._run(lambda: [_ticket(row) for row in self._db.query(sql, params)])

    async def due_between(self, start: dt.datetime, end: dt.datetime) -> builtins.list[Ticket]:
        """Tickets of any status due in ``[start, end)``, soonest first (filter by status for
        reminders; reports want the answered ones too)."""
        sql = "SELECT * FROM tickets WHERE due_at >= ? AND due_at < ? ORDER BY due_at, " + _NUMBER_ORDER
        params = [_text(start), _text(end)]
        return await self._run(lambda: [_ticket(row) for row in self._db.query(sql, params)])

    async def filed_by(self, channel: str, user: str) -> builtins.list[Ticket]:
        """The tickets the pseudonymised ``user`` filed on ``channel``, oldest first; a redacted
        ticket is no one's any more."""
        sql = f"SELECT * FROM tickets WHERE channel = ? AND user = ? ORDER BY received_at, {_NUMBER_ORDER}"
        return await self._run(lambda: [_ticket(row) for row in self._db.query(sql, [channel, user])])

    async def unredacted_closed_before(self, moment: dt.datetime) -> builtins.list[Ticket]:
        """Closed tickets, closed before ``moment``, that still hold personal data."""
        sql = "SELECT * FROM tickets WHERE status = ? AND closed_at < ? AND redacted_at IS NULL ORDER BY closed_at"
        params = [Status.CLOSED.value, _text(moment)]
        return await self._run(lambda: [_ticket(row) for row in self._db.query(sql, params)])

    async def events(self, code: str) -> builtins.list[TicketEvent]:
        """The ticket's history, in order; :class:`TicketNotFound` if there is no such ticket."""

        def read() -> list[TicketEvent]:
            rows = self._db.query("SELECT * FROM ticket_events WHERE ticket = ? ORDER BY seq", [normalize_code(code)])
            events = [_event(row) for row in rows]
            if not events:
                raise TicketNotFound(code)
            return events

        return await self._run(read)

    async def replay(self, code: str) -> Ticket:
        """The ticket rebuilt from its events alone (it equals :meth:`get`'s)."""
        return replay_events(await self.events(code))
