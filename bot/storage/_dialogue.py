"""What the dialogue keeps (:class:`handlers.DialogueStore`): each conversation's state, the
questions it could not answer, the citizens' votes. A part of :class:`~bot.storage.Storage`."""

from __future__ import annotations

import json
from typing import Any

from handlers import IncomingMessage

from ._base import _StorageBase
from ._encoding import _timestamp


class _DialogueState(_StorageBase):
    """:class:`handlers.DialogueStore` over the store's connection (``Storage`` is one)."""

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
