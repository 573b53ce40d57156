"""What the knowledge-base console's feedback queue reads: the questions the bot could not answer,
the answers citizens rated 👎 with the question that led to each, and which of them an admin has
handled. A part of :class:`~bot.storage.Storage`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ._base import _StorageBase
from ._encoding import _parse_timestamp, _timestamp

UNANSWERED = "unanswered"
DISLIKED = "disliked"


@dataclass(frozen=True, slots=True)
class FeedbackRecord:
    """One question the bot could not answer (``kind`` UNANSWERED), or one 👎 on the answer
    ``entry_id`` (``kind`` DISLIKED; ``question`` is the message it answered, "" once the
    retention purge blanked it)."""

    kind: str
    question: str
    at: dt.datetime
    channel: str
    entry_id: str = ""


@dataclass(frozen=True, slots=True)
class HandledMark:
    key: str
    faq_id: str
    at: dt.datetime


class _FeedbackQueue(_StorageBase):
    async def feedback_records(self, since: dt.datetime) -> list[FeedbackRecord]:
        """Every unanswered question and 👎 since ``since``, newest first."""
        bound = [_timestamp(since)]

        def read() -> list[FeedbackRecord]:
            query = self._db.query
            # As the reports count them: every abstention's message, and the questions recorded
            # for an official before tickets existed.
            unanswered = query(
                "SELECT m.text AS question, c.received_at AS at, c.channel AS channel FROM compliance_log c "
                "JOIN messages m ON m.id = c.message WHERE c.received_at >= ? AND c.outcome = 'abstained' "
                "UNION ALL SELECT question, asked_at, channel FROM unanswered WHERE asked_at >= ?",
                bound * 2,
            )
            # The question a 👎 rated: the voter's latest typed message answered (or clarified) with that
            # entry; a pick from the offered choices is a button, its question the message before.
            disliked = query(
                "SELECT v.entry_id AS entry_id, v.voted_at AS at, v.channel AS channel, "
                "(SELECT m.text FROM compliance_log c JOIN messages m ON m.id = c.message "
                " WHERE v.user != '' AND c.channel = v.channel AND c.user = v.user AND c.entry_id = v.entry_id "
                " AND c.received_at <= v.voted_at AND c.outcome IN ('answered', 'clarified') AND m.callback_data = '' "
                " ORDER BY c.received_at DESC, c.message DESC LIMIT 1) AS question "
                "FROM votes v WHERE v.helpful = 0 AND v.voted_at >= ?",
                bound,
            )
            records = [
                FeedbackRecord(UNANSWERED, row["question"], _parse_timestamp(row["at"]), row["channel"])
                for row in unanswered
                if row["question"]
            ]
            records += [
                FeedbackRecord(
                    DISLIKED, row["question"] or "", _parse_timestamp(row["at"]), row["channel"], row["entry_id"]
                )
                for row in disliked
            ]
            return sorted(records, key=lambda record: record.at, reverse=True)

        return await self._run(read)

    async def mark_feedback_handled(self, key: str, faq_id: str = "") -> None:
        """Record that the question ``key`` was handled now, with the FAQ written for it."""
        row = {"key": key, "faq_id": faq_id, "handled_at": _timestamp(self._clock())}

        def write() -> None:
            with self._write():
                self._db.table("feedback_handled").upsert(row, pk="key")

        await self._run(write)

    async def feedback_handled(self) -> dict[str, HandledMark]:
        """Every handled mark, by key."""

        def read() -> dict[str, HandledMark]:
            rows = self._db.query("SELECT key, faq_id, handled_at FROM feedback_handled")
            return {
                row["key"]: HandledMark(row["key"], row["faq_id"], _parse_timestamp(row["handled_at"])) for row in rows
            }

        return await self._run(read)
