"""The bot's one SQLite file (:class:`Storage`): inbound messages and the reply outbox, the web
chat's mailbox and the compliance log (``_storage.py``), dialogue state, unanswered questions and
votes (``_dialogue.py``), the knowledge-base console's feedback queue (``_feedback.py``), the queries of
the privacy rules (``_personal.py``); its tables (``_schema.py``), how it writes moments and replies
(``_encoding.py``); the pseudonym key and :func:`key_file`, how any generated key is kept in the data directory."""

from ._base import keyed_pseudonym
from ._encoding import Clock, utc_now
from ._feedback import DISLIKED, UNANSWERED, FeedbackRecord, HandledMark
from ._schema import MIGRATIONS, PendingReply, SettledMessage, UnhandledMessage
from ._storage import (
    ERROR_OUTCOME,
    OFFICIALS_OUTCOME,
    PSEUDONYM_KEY_FILE,
    LogStats,
    Storage,
    key_file,
    load_pseudonym_key,
    percentile,
)

__all__ = (
    "DISLIKED",
    "ERROR_OUTCOME",
    "MIGRATIONS",
    "OFFICIALS_OUTCOME",
    "PSEUDONYM_KEY_FILE",
    "Clock",
    "FeedbackRecord",
    "HandledMark",
    "LogStats",
    "PendingReply",
    "SettledMessage",
    "UNANSWERED",
    "Storage",
    "UnhandledMessage",
    "key_file",
    "keyed_pseudonym",
    "load_pseudonym_key",
    "percentile",
    "utc_now",
)
