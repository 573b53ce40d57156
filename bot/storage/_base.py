"""What every part of :class:`~bot.storage.Storage` stands on: the SQLite worker, the clock and
the pseudonym key. The parts (dialogue state, personal data, messages) are mixins of this base,
so each module reads as a whole and the type checker knows what they share."""

from __future__ import annotations

import hashlib
import hmac
from concurrent.futures import ThreadPoolExecutor

import sqlite_utils

from tickets import SqliteWorker

from ._encoding import Clock


def keyed_pseudonym(key: bytes, channel: str, user_id: str) -> str:
    """The pseudonym of a platform id under ``key`` (:meth:`Storage.pseudonym`); log lines show
    its first characters (``bot._logging.chat_ref``), so that they match the compliance log."""
    digest = hmac.new(key, f"{channel}\0{user_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


class _StorageBase(SqliteWorker):
    def __init__(self, executor: ThreadPoolExecutor, db: sqlite_utils.Database, key: bytes, clock: Clock) -> None:
        super().__init__(executor, db)
        self._key = key
        self._clock = clock

    def pseudonym(self, channel: str, user_id: str) -> str:
        """A stable stand-in for a platform user id: keyed HMAC, so it cannot be reversed or
        recomputed without the key; the channel is included because ids are per platform."""
        return keyed_pseudonym(self._key, channel, user_id)
