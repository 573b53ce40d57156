"""The bot's one SQLite file: inbound messages, the reply outbox, dialogue state, unanswered
questions, votes and the compliance log.

Nothing is lost: a message is recorded before it is handled, and each reply waits in the outbox
until the platform has taken it, so that after a crash the pipeline knows what to do again.
The compliance log keeps, for every inbound message, who (pseudonymised), when, how fast and
with what outcome the bot answered; ``wardbot log stats`` reads it.

Every database call runs on one worker thread that owns the connection: the event loop never
waits on the disk, and SQLite sees a single writer from this process (WAL lets a second
process, such as ``wardbot chat`` beside ``wardbot run``, read and write alongside).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import math
import os
import secrets
import sqlite3
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from handlers import Button, IncomingMessage, Reply
from tickets import SqliteWorker
from tickets import timestamp_text as _timestamp  # UTC, fixed width: timestamps compare as text in SQL

from ._config import Config

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
T = TypeVar("T")

PSEUDONYM_KEY_FILE = "pseudonym.key"
# A turn whose handlers raised: the citizen got the catalogue's apology. Not a handlers.Outcome,
# because handlers never decide it; the compliance log counts it beside theirs.
ERROR_OUTCOME = "error"
OFFICIALS_OUTCOME = "officials"  # a message in the officials' group, not a citizen's question


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _parse_timestamp(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def keyed_pseudonym(key: bytes, channel: str, user_id: str) -> str:
    """The pseudonym of a platform id under ``key`` (:meth:`Storage.pseudonym`); log lines show
    its first characters (``bot._logging.chat_ref``), so that they match the compliance log."""
    digest = hmac.new(key, f"{channel}\0{user_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def load_pseudonym_key(config: Config) -> bytes:
    """The secret that pseudonymises user ids: ``WARDBOT_PSEUDONYM_KEY``, else a key generated
    once into the data directory (readable by its owner only), so pseudonyms stay stable
    across restarts without the key ever being written to the repository."""
    if config.secrets.pseudonym_key:
        return config.secrets.pseudonym_key.encode()
    path = config.data_dir / PSEUDONYM_KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    key = secrets.token_hex(32).encode()
    with os.fdopen(descriptor, "wb") as file:
        file.write(key)
    log.info("generated a pseudonym key in %s", path)
    return key


class MessageStatus(str, Enum):
    RECEIVED = "received"  # recorded, not yet handled (or handling was interrupted)
    HANDLED = "handled"  # the turn is recorded; its replies wait in the outbox
    ANSWERED = "answered"  # every reply was delivered
    FAILED = "failed"  # a reply could not be delivered, or handling was given up


class DeliveryStatus(str, Enum):
    PENDING = "pending"
    HELD = "held"  # the platform refuses until the user writes again; sent then
    DELIVERED = "delivered"
    FAILED = "failed"


# Migrations by number (see tickets._sqlite.connect); a released migration is never edited.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        channel TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        user TEXT NOT NULL,                      -- pseudonymised
        platform_id TEXT NOT NULL DEFAULT '',    -- the platform's message id, for dropping duplicates
        text TEXT NOT NULL DEFAULT '',
        callback_data TEXT NOT NULL DEFAULT '',
        payload TEXT,                            -- the whole message as JSON, until it is settled
        status TEXT NOT NULL DEFAULT 'received',
        attempts INTEGER NOT NULL DEFAULT 0,     -- how often handling began
        received_at TEXT NOT NULL,
        handled_at TEXT,
        outcome TEXT,
        entry_id TEXT,
        score REAL
    );
    -- Telegram numbers messages per chat, so a platform id is unique only within its chat.
    CREATE UNIQUE INDEX messages_platform_id ON messages (channel, chat_id, platform_id) WHERE platform_id != '';
    CREATE INDEX messages_status ON messages (status);

    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        message INTEGER NOT NULL REFERENCES messages (id),
        seq INTEGER NOT NULL,                    -- the reply's place in its turn
        channel TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        reply TEXT NOT NULL,                     -- JSON
        status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error TEXT NOT NULL DEFAULT '',
        delivered_at TEXT,
        UNIQUE (message, seq)
    );
    CREATE INDEX outbox_pending ON outbox (status, next_attempt_at);

    CREATE TABLE conversations (
        channel TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        state TEXT NOT NULL,                     -- JSON
        updated_at TEXT NOT NULL,
        PRIMARY KEY (channel, chat_id)
    );

    CREATE TABLE unanswered (
        id INTEGER PRIMARY KEY,
        channel TEXT NOT NULL,
        chat_id TEXT NOT NULL,                   -- where an official's answer can be sent
        user TEXT NOT NULL,
        question TEXT NOT NULL,
        asked_at TEXT NOT NULL
    );

    CREATE TABLE votes (
        id INTEGER PRIMARY KEY,
        channel TEXT NOT NULL,
        user TEXT NOT NULL,
        entry_id TEXT NOT NULL,
        helpful INTEGER NOT NULL,
        voted_at TEXT NOT NULL
    );

    CREATE TABLE compliance_log (
        message INTEGER PRIMARY KEY REFERENCES messages (id),
        channel TEXT NOT NULL,
        user TEXT NOT NULL,
        received_at TEXT NOT NULL,
        replied_at TEXT,                         -- NULL when the reply never reached the citizen
        latency_ms INTEGER,
        outcome TEXT NOT NULL,
        entry_id TEXT NOT NULL DEFAULT '',
        score REAL
    );
    CREATE INDEX compliance_log_received ON compliance_log (received_at);
    """,
    # 2: the web chat's mailbox. The browser polls for its replies, so they wait here, durable
    # across restarts, until its next poll acknowledges them.
    """
    CREATE TABLE web_mailbox (
        id INTEGER PRIMARY KEY,                  -- the reply's sequence number in the page
        chat_id TEXT NOT NULL,                   -- the browser session
        reply TEXT NOT NULL,                     -- JSON
        posted_at TEXT NOT NULL,
        acknowledged_at TEXT
    );
    CREATE INDEX web_mailbox_chat ON web_mailbox (chat_id, id);
    """,
    # 3: the conversation's state when handling of a message began ('' for none), so that a
    # message whose handling was interrupted is handled again from the same state.
    """
    ALTER TABLE messages ADD COLUMN state_before TEXT;
    """,
)


@dataclass(frozen=True, slots=True)
class UnhandledMessage:
    """A message recorded but never handled to the end, as found after a restart."""

    id: int
    message: IncomingMessage
    attempts: int


@dataclass(frozen=True, slots=True)
class PendingReply:
    """A reply waiting in the outbox."""

    id: int
    message_id: int  # the inbound message it answers
    seq: int
    channel: str
    chat_id: str
    reply: Reply
    attempts: int


@dataclass(frozen=True, slots=True)
class SettledMessage:
    """What the compliance log recorded when a message was settled."""

    channel: str
    outcome: str
    answered: bool
    latency_ms: int | None


def percentile(sorted_values: Sequence[T], share: float) -> T | None:
    """The nearest-rank percentile (``share`` in (0, 1]) of already sorted values."""
    if not sorted_values:
        return None
    rank = math.ceil(round(share * len(sorted_values), 9))  # rounded first: 0.95 * 60 is 57.000...01
    return sorted_values[min(max(rank, 1), len(sorted_values)) - 1]


@dataclass(frozen=True)
class LogStats:
    """Figures over the compliance log: answer latency and counts by outcome and channel."""

    since: dt.datetime | None
    messages: int
    answered: int  # messages whose replies all reached the citizen
    latency_p50_ms: int | None
    latency_p95_ms: int | None
    latency_max_ms: int | None
    by_outcome: dict[str, int] = field(default_factory=dict)
    by_channel: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat() if self.since else None,
            "messages": self.messages,
            "answered": self.answered,
            "undelivered": self.messages - self.answered,
            "latency_ms": {"p50": self.latency_p50_ms, "p95": self.latency_p95_ms, "max": self.latency_max_ms},
            "by_outcome": self.by_outcome,
            "by_channel": self.by_channel,
        }


def reply_to_json(reply: Reply) -> str:
    rows = [[{"label": b.label, "data": b.data, "url": b.url} for b in row] for row in reply.buttons]
    value: dict[str, Any] = {"text": reply.text, "buttons": rows}
    if reply.photo:
        value["photo"] = reply.photo
    return json.dumps(value, ensure_ascii=False)


def reply_from_json(text: str) -> Reply:
    value = json.loads(text)
    buttons = tuple(tuple(Button(**b) for b in row) for row in value["buttons"])
    return Reply(value["text"], buttons, value.get("photo", ""))


def _message_to_json(message: IncomingMessage) -> str:
    return json.dumps(
        {
            "channel": message.channel,
            "chat_id": message.chat_id,
            "user_id": message.user_id,
            "text": message.text,
            "message_id": message.message_id,
            "callback_data": message.callback_data,
            "received_at": message.received_at.isoformat(),
            "location": list(message.location) if message.location else None,
            "attachment": message.attachment,
            "display_name": message.display_name,
            # Kept so that a turn recovered after a crash still says the text was cut; rows
            # written before it existed read as not cut.
            "truncated": message.truncated,
        },
        ensure_ascii=False,
    )


def _message_from_json(text: str) -> IncomingMessage:
    value = json.loads(text)
    value["received_at"] = _parse_timestamp(value["received_at"])
    value["location"] = tuple(value["location"]) if value["location"] else None
    return IncomingMessage(**value)


class Storage(SqliteWorker):
    """Async access to the SQLite file; implements :class:`handlers.DialogueStore`.

    Open with :meth:`open` (which creates the file and applies migrations) and close with
    :meth:`close`, or use ``async with await Storage.open(...)``.
    """

    def __init__(self, executor: ThreadPoolExecutor, db: sqlite_utils.Database, key: bytes, clock: Clock) -> None:
        super().__init__(executor, db)
        self._key = key
        self._clock = clock

    @classmethod
    async def open(cls, path: str | Path, *, pseudonym_key: bytes, clock: Clock = utc_now) -> Storage:
        if not pseudonym_key:
            raise ValueError("a pseudonym key is required")
        executor, db = await cls._connect(path, MIGRATIONS, thread_name="wardbot-sqlite")
        return cls(executor, db, pseudonym_key, clock)

    def pseudonym(self, channel: str, user_id: str) -> str:
        """A stable stand-in for a platform user id: keyed HMAC, so it cannot be reversed or
        recomputed without the key; the channel is included because ids are per platform."""
        return keyed_pseudonym(self._key, channel, user_id)

    # --- Inbound messages and the outbox -------------------------------------------------------

    async def record_inbound(self, message: IncomingMessage) -> int | None:
        """Record a message before it is handled; its row id, or None for a duplicate delivery
        (the same platform message id on the same channel)."""
        row = {
            "channel": message.channel,
            "chat_id": message.chat_id,
            "user": self.pseudonym(message.channel, message.user_id),
            "platform_id": message.message_id,
            "text": message.text,
            "callback_data": message.callback_data,
            "payload": _message_to_json(message),
            "received_at": _timestamp(self._clock()),
        }

        def insert() -> int | None:
            try:
                return self._db.table("messages").insert(row).last_pk
            except sqlite3.IntegrityError:
                return None

        return await self._run(insert)

    async def claim(self, message_id: int) -> bool:
        """Take a recorded message for handling: True if it still waits to be handled. The
        attempt is counted before handling begins, so that a message that crashes the process
        is not retried forever. The first attempt keeps the conversation's state as it was; a
        later one (handling was interrupted, say by a crash after the dialogue saved its new
        state) puts that state back, so the message is handled again as if for the first time."""

        def write() -> bool:
            with self._write():
                row = self._db.execute(
                    "SELECT channel, chat_id, attempts, state_before FROM messages WHERE id = ? AND status = ?",
                    [message_id, MessageStatus.RECEIVED.value],
                ).fetchone()
                if row is None:
                    return False
                channel, chat_id, attempts, state_before = row
                conversation = [channel, chat_id]
                if attempts == 0:
                    current = self._db.execute(
                        "SELECT state FROM conversations WHERE channel = ? AND chat_id = ?", conversation
                    ).fetchone()
                    state_before = current[0] if current else ""
                elif state_before == "":
                    self._db.execute("DELETE FROM conversations WHERE channel = ? AND chat_id = ?", conversation)
                elif state_before is not None:  # None: recorded before this column existed
                    self._db.execute(
                        "UPDATE conversations SET state = ? WHERE channel = ? AND chat_id = ?",
                        [state_before, *conversation],
                    )
                self._db.execute(
                    "UPDATE messages SET attempts = attempts + 1, state_before = ? WHERE id = ?",
                    [state_before, message_id],
                )
            return True

        return await self._run(write)

    async def record_turn(
        self,
        message_id: int,
        replies: Sequence[Reply],
        *,
        outcome: str,
        entry_id: str = "",
        score: float | None = None,
    ) -> list[PendingReply]:
        """Record what the handlers decided and put the replies in the outbox, in one transaction."""
        now = _timestamp(self._clock())

        def write() -> list[PendingReply]:
            with self._write():
                message = self._db.table("messages").get(message_id)
                self._db.table("messages").update(
                    message_id,
                    {
                        "status": MessageStatus.HANDLED.value,
                        "handled_at": now,
                        "state_before": None,  # handled: never handled again
                        "outcome": outcome,
                        "entry_id": entry_id,
                        "score": score,
                    },
                )
                rows = [
                    {
                        "message": message_id,
                        "seq": seq,
                        "channel": message["channel"],
                        "chat_id": message["chat_id"],
                        "reply": reply_to_json(reply),
                        "next_attempt_at": now,
                    }
                    for seq, reply in enumerate(replies)
                ]
                self._db.table("outbox").insert_all(rows)
            return self._pending_of(message_id)

        return await self._run(write)

    def _pending_of(self, message_id: int) -> list[PendingReply]:
        rows = self._db.query(
            "SELECT * FROM outbox WHERE message = ? AND status = ? ORDER BY seq",
            [message_id, DeliveryStatus.PENDING.value],
        )
        return [
            PendingReply(r["id"], r["message"], r["seq"], r["channel"], r["chat_id"], reply_from_json(r["reply"]), r["attempts"])
            for r in rows
        ]

    async def pending_replies(self, message_id: int) -> list[PendingReply]:
        """The replies of one message still to deliver, in order."""
        return await self._run(self._pending_of, message_id)

    async def messages_with_pending_replies(
        self, channels: Collection[str], *, due_by: dt.datetime | None = None
    ) -> list[int]:
        """Messages on ``channels`` with replies to deliver, whose next reply in order is due by
        ``due_by`` (or any, without it)."""
        params: list[Any] = [DeliveryStatus.PENDING.value, *channels]
        due = ""
        if due_by is not None:
            due, params = "AND next_attempt_at <= ?", [*params, _timestamp(due_by)]
        query = f"""
            SELECT message FROM outbox AS o
            WHERE status = ? AND channel IN ({",".join("?" * len(channels))}) {due}
              AND seq = (SELECT MIN(seq) FROM outbox WHERE message = o.message AND status = o.status)
            ORDER BY message
        """
        return await self._run(lambda: [row["message"] for row in self._db.query(query, params)])

    async def mark_delivered(self, reply_id: int) -> None:
        values = {"status": DeliveryStatus.DELIVERED.value, "delivered_at": _timestamp(self._clock())}
        await self._run(lambda: self._db.table("outbox").update(reply_id, values))

    async def record_delivery_failure(self, reply_id: int, error: str, *, retry_at: dt.datetime | None) -> None:
        """Count a failed attempt; the reply stays pending until ``retry_at``, or fails for good,
        and then so do the replies after it in its turn: they would make no sense alone."""

        def write() -> None:
            with self._write():
                row = self._db.table("outbox").get(reply_id)
                values: dict[str, Any] = {"attempts": row["attempts"] + 1, "last_error": error[:500]}
                if retry_at is None:
                    values["status"] = DeliveryStatus.FAILED.value
                    failed, pending = DeliveryStatus.FAILED.value, DeliveryStatus.PENDING.value
                    self._db.execute(
                        "UPDATE outbox SET status = ?, last_error = ? WHERE message = ? AND seq > ? AND status = ?",
                        [failed, "an earlier reply failed", row["message"], row["seq"], pending],
                    )
                else:
                    values["next_attempt_at"] = _timestamp(retry_at)
                self._db.table("outbox").update(reply_id, values)

        await self._run(write)

    async def hold_replies(self, reply_id: int, error: str) -> None:
        """Hold a reply, and the later ones of its turn, until the user writes again."""

        def write() -> None:
            with self._write():
                row = self._db.table("outbox").get(reply_id)
                self._db.execute(
                    "UPDATE outbox SET status = ?, last_error = ? WHERE message = ? AND seq >= ? AND status = ?",
                    [DeliveryStatus.HELD.value, error[:500], row["message"], row["seq"], DeliveryStatus.PENDING.value],
                )

        await self._run(write)

    async def release_held(self, channel: str, chat_id: str) -> list[int]:
        """Make a chat's held replies due now (its user wrote again); the messages they answer."""

        def write() -> list[int]:
            where = "status = ? AND channel = ? AND chat_id = ?"
            params = [DeliveryStatus.HELD.value, channel, chat_id]
            with self._write():
                messages = sorted({row["message"] for row in self._db.query(f"SELECT message FROM outbox WHERE {where}", params)})
                self._db.execute(
                    f"UPDATE outbox SET status = ?, next_attempt_at = ? WHERE {where}",
                    [DeliveryStatus.PENDING.value, _timestamp(self._clock()), *params],
                )
            return messages

        return await self._run(write)

    async def settle(self, message_id: int) -> SettledMessage | None:
        """Close a handled message whose replies are all delivered (answered) or of which one
        failed for good (failed), and write its compliance log row; None while replies wait."""

        def write() -> SettledMessage | None:
            with self._write():
                message = self._db.table("messages").get(message_id)
                if message["status"] != MessageStatus.HANDLED.value:
                    return None
                statuses = Counter(
                    row["status"] for row in self._db.query("SELECT status FROM outbox WHERE message = ?", [message_id])
                )
                if statuses[DeliveryStatus.FAILED.value]:
                    return self._close(message, MessageStatus.FAILED, replied_at=None)
                if statuses[DeliveryStatus.PENDING.value] or statuses[DeliveryStatus.HELD.value]:
                    return None
                last = self._db.execute("SELECT MAX(delivered_at) FROM outbox WHERE message = ?", [message_id]).fetchone()[0]
                # A turn without replies (nothing to say) counts as answered when it was handled.
                return self._close(message, MessageStatus.ANSWERED, replied_at=last or message["handled_at"])

        return await self._run(write)

    def _close(self, message: dict[str, Any], status: MessageStatus, *, replied_at: str | None) -> SettledMessage:
        """Give a message its final status and its compliance log row (inside a write transaction)."""
        latency_ms = None
        if replied_at is not None:
            elapsed = _parse_timestamp(replied_at) - _parse_timestamp(message["received_at"])
            latency_ms = max(0, round(elapsed.total_seconds() * 1000))
        outcome = message["outcome"] or ERROR_OUTCOME
        # The payload holds raw platform ids; once settled, nothing needs it any more.
        self._db.table("messages").update(message["id"], {"status": status.value, "payload": None})
        self._db.table("compliance_log").insert(
            {
                "message": message["id"],
                "channel": message["channel"],
                "user": message["user"],
                "received_at": message["received_at"],
                "replied_at": replied_at,
                "latency_ms": latency_ms,
                "outcome": outcome,
                "entry_id": message["entry_id"] or "",
                "score": message["score"],
            }
        )
        return SettledMessage(message["channel"], outcome, status is MessageStatus.ANSWERED, latency_ms)

    async def unhandled_conversations(self, channels: Collection[str]) -> list[tuple[str, str]]:
        """The conversations on ``channels`` with messages recorded but never handled to the
        end, the one waiting longest first."""
        query = """
            SELECT channel, chat_id FROM messages WHERE status = ? AND channel IN ({})
            GROUP BY channel, chat_id ORDER BY MIN(id)
        """.format(",".join("?" * len(channels)))
        params = [MessageStatus.RECEIVED.value, *channels]
        return await self._run(lambda: [(row["channel"], row["chat_id"]) for row in self._db.query(query, params)])

    async def next_unhandled(self, conversation: tuple[str, str]) -> UnhandledMessage | None:
        """The conversation's oldest message not yet handled: messages are handled in the order
        they were recorded, which is the order the platform acknowledged them."""
        query = """
            SELECT id, payload, attempts FROM messages
            WHERE status = ? AND channel = ? AND chat_id = ? ORDER BY id LIMIT 1
        """
        params = [MessageStatus.RECEIVED.value, *conversation]

        def read() -> UnhandledMessage | None:
            rows = list(self._db.query(query, params))
            if not rows:
                return None
            return UnhandledMessage(rows[0]["id"], _message_from_json(rows[0]["payload"]), rows[0]["attempts"])

        return await self._run(read)

    async def give_up(self, message_id: int) -> SettledMessage:
        """Close a message unanswered without handling it again (it crashed the bot before)."""
        def write() -> SettledMessage:
            with self._write():
                return self._close(self._db.table("messages").get(message_id), MessageStatus.FAILED, replied_at=None)

        return await self._run(write)

    # --- bot.channels.Mailbox: the web chat's replies ---------------------------------------------

    async def post(self, chat_id: str, reply: Reply) -> int:
        """Keep a reply for the browser session ``chat_id``; its sequence number.

        Numbers follow the clock in microseconds (and always grow), so that a page that kept its
        cursor from before the mailbox existed, or from a wiped data directory, still sees the
        replies numbered from now on."""
        now = self._clock()

        def write() -> int:
            with self._write():
                return self._insert_mail(chat_id, reply_to_json(reply), now)

        return await self._run(write)

    async def post_pending(self, reply_id: int) -> None:
        """Move a reply from the outbox to the mailbox: posted and marked delivered in one
        transaction, so that a crash can neither lose it nor post it twice."""
        now = self._clock()

        def write() -> None:
            with self._write():
                row = self._db.table("outbox").get(reply_id)
                self._insert_mail(row["chat_id"], row["reply"], now)
                values = {"status": DeliveryStatus.DELIVERED.value, "delivered_at": _timestamp(now)}
                self._db.table("outbox").update(reply_id, values)

        await self._run(write)

    def _insert_mail(self, chat_id: str, reply_json: str, now: dt.datetime) -> int:
        """Insert one mailbox row (inside a write transaction); its number."""
        last = self._db.execute("SELECT COALESCE(MAX(id), 0) FROM web_mailbox").fetchone()[0]
        number = max(last + 1, round(now.timestamp() * 1_000_000))
        self._db.table("web_mailbox").insert(
            {"id": number, "chat_id": chat_id, "reply": reply_json, "posted_at": _timestamp(now)}
        )
        return number

    async def replies_after(self, chat_id: str, after: int, *, limit: int) -> list[tuple[int, Reply]]:
        """The session's replies numbered above ``after``, oldest first, at most ``limit``."""
        query = "SELECT id, reply FROM web_mailbox WHERE chat_id = ? AND id > ? ORDER BY id LIMIT ?"

        def read() -> list[tuple[int, Reply]]:
            return [(row["id"], reply_from_json(row["reply"])) for row in self._db.query(query, [chat_id, after, limit])]

        return await self._run(read)

    async def acknowledge(self, chat_id: str, upto: int) -> int:
        """The browser has the session's replies up to number ``upto``; how many it confirmed now."""
        sql = "UPDATE web_mailbox SET acknowledged_at = ? WHERE chat_id = ? AND id <= ? AND acknowledged_at IS NULL"

        def write() -> int:
            with self._write():
                return self._db.execute(sql, [_timestamp(self._clock()), chat_id, upto]).rowcount

        return await self._run(write)

    # --- handlers.DialogueStore ----------------------------------------------------------------

    async def load_state(self, conversation: tuple[str, str]) -> dict[str, Any] | None:
        def read() -> dict[str, Any] | None:
            rows = list(
                self._db.query("SELECT state FROM conversations WHERE channel = ? AND chat_id = ?", list(conversation))
            )
            return json.loads(rows[0]["state"]) if rows else None

        return await self._run(read)

    async def save_state(self, conversation: tuple[str, str], state: dict[str, Any]) -> None:
        channel, chat_id = conversation
        row = {
            "channel": channel,
            "chat_id": chat_id,
            "state": json.dumps(state, ensure_ascii=False),
            "updated_at": _timestamp(self._clock()),
        }
        await self._run(lambda: self._db.table("conversations").upsert(row, pk=("channel", "chat_id")))

    async def record_unanswered(self, message: IncomingMessage, question: str) -> None:
        row = {
            "channel": message.channel,
            "chat_id": message.chat_id,
            "user": self.pseudonym(message.channel, message.user_id),
            "question": question,
            "asked_at": _timestamp(self._clock()),
        }
        await self._run(lambda: self._db.table("unanswered").insert(row))

    async def record_vote(self, message: IncomingMessage, entry_id: str, helpful: bool) -> None:
        row = {
            "channel": message.channel,
            "user": self.pseudonym(message.channel, message.user_id),
            "entry_id": entry_id,
            "helpful": int(helpful),
            "voted_at": _timestamp(self._clock()),
        }
        await self._run(lambda: self._db.table("votes").insert(row))

    # --- Reports ------------------------------------------------------------------------------

    async def log_stats(self, since: dt.datetime | None = None) -> LogStats:
        """Answer latency (over delivered answers) and counts by outcome and channel."""
        sql = "SELECT channel, outcome, latency_ms FROM compliance_log"
        params: list[str] = []
        if since is not None:
            sql, params = sql + " WHERE received_at >= ?", [_timestamp(since)]
        rows = await self._run(lambda: list(self._db.query(sql, params)))
        latencies = sorted(r["latency_ms"] for r in rows if r["latency_ms"] is not None)
        return LogStats(
            since=since,
            messages=len(rows),
            answered=len(latencies),
            latency_p50_ms=percentile(latencies, 0.50),
            latency_p95_ms=percentile(latencies, 0.95),
            latency_max_ms=latencies[-1] if latencies else None,
            by_outcome=dict(sorted(Counter(r["outcome"] for r in rows).items())),
            by_channel=dict(sorted(Counter(r["channel"] for r in rows).items())),
        )

    # --- Personal data: retention and erasure (bot._privacy) ------------------------------------
    # Only settled messages are touched: their compliance log row is written and nothing reads
    # their text or ids again, while a message still in flight needs its payload to be recovered.

    def _blank_messages(
        self, where: str, params: Sequence[Any], *, abstained_since: str | None = None
    ) -> tuple[int, int]:
        """Inside a write transaction: blank the ids and text of the settled messages matching
        ``where`` (an abstention's text stays if it came ``abstained_since`` or later), delete
        their replies from the outbox and unlink their compliance log rows; how many messages
        and replies."""
        settled = f"({where}) AND chat_id != '' AND id IN (SELECT message FROM compliance_log)"
        ids = [row["id"] for row in self._db.query(f"SELECT id FROM messages WHERE {settled}", params)]
        text, text_params = "''", []
        if abstained_since is not None:
            text, text_params = (
                "CASE WHEN outcome = 'abstained' AND received_at >= ? THEN text ELSE '' END",
                [abstained_since],
            )
        replies = 0
        for start in range(0, len(ids), 500):  # within SQLite's limit on parameters
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            self._db.execute(
                "UPDATE messages SET chat_id = '', user = '', platform_id = '', callback_data = '', payload = NULL, "
                f"text = {text} WHERE id IN ({marks})",
                [*text_params, *chunk],
            )
            replies += self._db.execute(f"DELETE FROM outbox WHERE message IN ({marks})", chunk).rowcount
            self._db.execute(f"UPDATE compliance_log SET user = '' WHERE message IN ({marks})", chunk)
        return len(ids), replies

    async def purge_expired(
        self,
        *,
        messages_before: dt.datetime,
        unanswered_before: dt.datetime,
        conversations_before: dt.datetime,
    ) -> dict[str, int]:
        """Delete what the retention periods no longer allow, keeping what the reports count:
        messages received before ``messages_before`` lose their text, ids and replies (their
        outcome, times and compliance log row stay), votes cast then lose their pseudonym (the
        vote still counts), web chat replies posted then are deleted. An abstention's text is
        one of the unanswered questions that reports list, so it stays as long as those, until
        ``unanswered_before``; conversations idle since ``conversations_before`` are deleted."""
        messages_cutoff, unanswered_cutoff = _timestamp(messages_before), _timestamp(unanswered_before)
        conversations_cutoff = _timestamp(conversations_before)

        def write() -> dict[str, int]:
            with self._write():
                messages, replies = self._blank_messages(
                    "received_at < ?", [messages_cutoff], abstained_since=unanswered_cutoff
                )
                abstentions = self._db.execute(
                    "UPDATE messages SET text = '' WHERE received_at < ? AND chat_id = '' AND text != ''",
                    [unanswered_cutoff],
                ).rowcount
                execute = self._db.execute
                return {
                    "messages": messages,
                    "replies": replies,
                    "abstentions": abstentions,
                    "votes": execute(
                        "UPDATE votes SET user = '' WHERE voted_at < ? AND user != ''", [messages_cutoff]
                    ).rowcount,
                    "web_replies": execute("DELETE FROM web_mailbox WHERE posted_at < ?", [messages_cutoff]).rowcount,
                    "unanswered": execute("DELETE FROM unanswered WHERE asked_at < ?", [unanswered_cutoff]).rowcount,
                    "conversations": execute(
                        "DELETE FROM conversations WHERE updated_at < ?", [conversations_cutoff]
                    ).rowcount,
                }

        return await self._run(write)

    async def erase_user(self, channel: str, chat_id: str, user_id: str, *, mailbox: bool) -> dict[str, int]:
        """Erase what is held about ``user_id`` on ``channel`` and of the chat ``chat_id``: their
        settled messages as :meth:`purge_expired` leaves expired ones, the conversation's state
        and their questions for officials deleted, their votes unlinked, and with ``mailbox`` (the
        web chat) the replies waiting for the browser deleted. What counts stays counted."""
        user = self.pseudonym(channel, user_id)

        def write() -> dict[str, int]:
            with self._write():
                messages, replies = self._blank_messages("channel = ? AND user = ?", [channel, user])
                execute = self._db.execute
                if mailbox:
                    replies += execute("DELETE FROM web_mailbox WHERE chat_id = ?", [chat_id]).rowcount
                return {
                    "messages": messages,
                    "replies": replies,
                    "unanswered": execute(
                        "DELETE FROM unanswered WHERE channel = ? AND (user = ? OR chat_id = ?)",
                        [channel, user, chat_id],
                    ).rowcount,
                    "votes": execute(
                        "UPDATE votes SET user = '' WHERE channel = ? AND user = ?", [channel, user]
                    ).rowcount,
                    "conversations": execute(
                        "DELETE FROM conversations WHERE channel = ? AND chat_id = ?", [channel, chat_id]
                    ).rowcount,
                }

        return await self._run(write)

    async def scrub_conversation(
        self, conversation: tuple[str, str], scrub: Callable[[str], str], *, mailbox: bool
    ) -> int:
        """Pass every stored text of the conversation through ``scrub``: its messages (and their
        payloads), the bot's replies, its questions for officials, and with ``mailbox`` the web
        chat's waiting replies. How many rows changed."""
        channel, chat_id = conversation

        def reply(text: str) -> str:
            value = reply_from_json(text)
            return reply_to_json(Reply(scrub(value.text), value.buttons, value.photo))

        def payload(text: str | None) -> str | None:
            if text is None:
                return None
            value = json.loads(text)
            return json.dumps(value | {"text": scrub(value["text"])}, ensure_ascii=False)

        # Each table, the conversation's rows in it, and the columns that hold text with their scrub.
        in_chat = ("channel = ? AND chat_id = ?", [channel, chat_id])
        tables: list[tuple[str, tuple[str, list[str]], dict[str, Callable[[Any], Any]]]] = [
            ("messages", in_chat, {"text": scrub, "payload": payload}),
            ("outbox", in_chat, {"reply": reply}),
            ("unanswered", in_chat, {"question": scrub}),
        ]
        if mailbox:
            tables.append(("web_mailbox", ("chat_id = ?", [chat_id]), {"reply": reply}))

        def write() -> int:
            changed = 0
            with self._write():
                for table, (where, params), columns in tables:
                    for row in list(self._db.query(f"SELECT * FROM {table} WHERE {where}", params)):
                        values = {name: change(row[name]) for name, change in columns.items()}
                        if any(values[name] != row[name] for name in values):
                            sets = ", ".join(f"{name} = ?" for name in values)
                            self._db.execute(f"UPDATE {table} SET {sets} WHERE id = ?", [*values.values(), row["id"]])
                            changed += 1
            return changed

        return await self._run(write)

    async def conversation_states(self) -> list[str]:
        """Every conversation's state as stored (JSON): what a photo still in use is looked for in."""
        return await self._run(lambda: [row["state"] for row in self._db.query("SELECT state FROM conversations")])

    async def personal_data(self, channel: str, chat_id: str, user_id: str) -> dict[str, Any]:
        """Everything held about ``user_id`` on ``channel`` (and of the chat ``chat_id``), for
        the citizen's copy: their messages with the bot's replies, the conversation's state, their
        questions for officials and their votes."""
        user = self.pseudonym(channel, user_id)

        def read() -> dict[str, Any]:
            query = self._db.query
            messages = []
            for row in query(
                "SELECT id, received_at, text, callback_data, outcome FROM messages WHERE channel = ? AND user = ? "
                "ORDER BY id",
                [channel, user],
            ):
                replies = query("SELECT reply FROM outbox WHERE message = ? ORDER BY seq", [row["id"]])
                messages.append(
                    {
                        "received_at": row["received_at"],
                        "text": row["text"],
                        "button": row["callback_data"],
                        "outcome": row["outcome"],
                        "replies": [reply_from_json(r["reply"]).text for r in replies],
                    }
                )
            states = list(
                query("SELECT state FROM conversations WHERE channel = ? AND chat_id = ?", [channel, chat_id])
            )
            return {
                "messages": messages,
                "conversation": json.loads(states[0]["state"]) if states else None,
                "unanswered": list(
                    query(
                        "SELECT asked_at, question FROM unanswered WHERE channel = ? AND (user = ? OR chat_id = ?) "
                        "ORDER BY id",
                        [channel, user, chat_id],
                    )
                ),
                "votes": [
                    {"voted_at": row["voted_at"], "entry_id": row["entry_id"], "helpful": bool(row["helpful"])}
                    for row in query(
                        "SELECT voted_at, entry_id, helpful FROM votes WHERE channel = ? AND user = ? ORDER BY id",
                        [channel, user],
                    )
                ],
            }

        return await self._run(read)
