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
import logging
import math
import os
import secrets
import sqlite3
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from handlers import IncomingMessage, Reply

from .._config import Config
from ._dialogue import _DialogueState
from ._encoding import (
    Clock,
    _message_from_json,
    _message_to_json,
    _parse_timestamp,
    _timestamp,
    reply_from_json,
    reply_to_json,
    utc_now,
)
from ._feedback import _FeedbackQueue
from ._personal import _PersonalData
from ._schema import MIGRATIONS, DeliveryStatus, MessageStatus, PendingReply, SettledMessage, UnhandledMessage

log = logging.getLogger(__name__)

T = TypeVar("T")

PSEUDONYM_KEY_FILE = "pseudonym.key"
# A turn whose handlers raised: the citizen got the catalogue's apology. Not a handlers.Outcome,
# because handlers never decide it; the compliance log counts it beside theirs.
ERROR_OUTCOME = "error"
OFFICIALS_OUTCOME = "officials"  # a message in the officials' group, not a citizen's question


def load_pseudonym_key(config: Config) -> bytes:
    """The secret that pseudonymises user ids: ``WARDBOT_PSEUDONYM_KEY``, else a key generated
    once into the data directory (readable by its owner only), so pseudonyms stay stable
    across restarts without the key ever being written to the repository."""
    if config.secrets.pseudonym_key:
        return config.secrets.pseudonym_key.encode()
    return key_file(config.data_dir / PSEUDONYM_KEY_FILE, "pseudonym key")


def key_file(path: Path, what: str) -> bytes:
    """The random key kept in ``path``: generated there once (and logged as ``what``), readable
    by its owner only, and read back ever after. Creating it exclusively means two processes starting together (the bot
    and a CLI command) agree on one key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    key = secrets.token_hex(32).encode()
    with os.fdopen(descriptor, "wb") as file:
        file.write(key)
    log.info("generated a %s in %s", what, path)
    return key


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


class Storage(_DialogueState, _PersonalData, _FeedbackQueue):
    """Async access to the SQLite file; implements :class:`handlers.DialogueStore`.

    Open with :meth:`open` (which creates the file and applies migrations) and close with
    :meth:`close`, or use ``async with await Storage.open(...)``.
    """

    @classmethod
    async def open(cls, path: str | Path, *, pseudonym_key: bytes, clock: Clock = utc_now) -> Storage:
        if not pseudonym_key:
            raise ValueError("a pseudonym key is required")
        executor, db = await cls._connect(path, MIGRATIONS, thread_name="wardbot-sqlite")
        return cls(executor, db, pseudonym_key, clock)

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
            PendingReply(
                r["id"], r["message"], r["seq"], r["channel"], r["chat_id"], reply_from_json(r["reply"]), r["attempts"]
            )
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
                messages = sorted(
                    {row["message"] for row in self._db.query(f"SELECT message FROM outbox WHERE {where}", params)}
                )
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
                last = self._db.execute(
                    "SELECT MAX(delivered_at) FROM outbox WHERE message = ?", [message_id]
                ).fetchone()[0]
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
            return [
                (row["id"], reply_from_json(row["reply"])) for row in self._db.query(query, [chat_id, after, limit])
            ]

        return await self._run(read)

    async def acknowledge(self, chat_id: str, upto: int) -> int:
        """The browser has the session's replies up to number ``upto``; how many it confirmed now."""
        sql = "UPDATE web_mailbox SET acknowledged_at = ? WHERE chat_id = ? AND id <= ? AND acknowledged_at IS NULL"

        def write() -> int:
            with self._write():
                return self._db.execute(sql, [_timestamp(self._clock()), chat_id, upto]).rowcount

        return await self._run(write)

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
