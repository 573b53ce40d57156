"""The store's tables (its migrations), the states a message and a reply go through, and the
records read back from the outbox and the log."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from handlers import IncomingMessage, Reply


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
    # 4: the console's feedback queue: which question, by a key that holds no text of it, an
    # admin handled (with the FAQ written for it), so it leaves the queue until asked again.
    """
    CREATE TABLE feedback_handled (
        key TEXT PRIMARY KEY,                    -- bot.kbadmin's key of the folded question
        faq_id TEXT NOT NULL DEFAULT '',         -- the FAQ written for it, if any
        handled_at TEXT NOT NULL
    );
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
