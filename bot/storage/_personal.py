"""The queries of the privacy rules (:mod:`bot.privacy`): the retention purge, a user's erasure,
a contact taken back from a conversation's texts, a citizen's copy. A part of
:class:`~bot.storage.Storage`."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from typing import Any

from handlers import Reply

from ._base import _StorageBase
from ._encoding import _timestamp, reply_from_json, reply_to_json


class _PersonalData(_StorageBase):
    """Retention and erasure over the store's connection (``Storage`` is one)."""

    # --- Personal data: retention and erasure (bot.privacy) -------------------------------------
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
