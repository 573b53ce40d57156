"""The bot's one SQLite file (:class:`Storage`): inbound messages and the reply outbox, dialogue
state, the web chat's mailbox, unanswered questions, votes and the compliance log; the queries
that the privacy rules need; the pseudonym key."""

from ._storage import (
    ERROR_OUTCOME,
    MIGRATIONS,
    OFFICIALS_OUTCOME,
    PSEUDONYM_KEY_FILE,
    Clock,
    LogStats,
    PendingReply,
    SettledMessage,
    Storage,
    UnhandledMessage,
    keyed_pseudonym,
    load_pseudonym_key,
    percentile,
    utc_now,
)

__all__ = (
    "ERROR_OUTCOME",
    "MIGRATIONS",
    "OFFICIALS_OUTCOME",
    "PSEUDONYM_KEY_FILE",
    "Clock",
    "LogStats",
    "PendingReply",
    "SettledMessage",
    "Storage",
    "UnhandledMessage",
    "keyed_pseudonym",
    "load_pseudonym_key",
    "percentile",
    "utc_now",
)
