"""Drive a :class:`Dialogue` without any channel: an in-memory store and a collecting tester.

Public so that channel, application and ticket tests can reuse them (like errbot's test backend
and Rasa's ``CollectingOutputChannel``)::

    dialogue = Dialogue(engine, MemoryDialogueStore(), ward_name=..., ward_contact=..., desk=..., pseudonym=...)
    tester = DialogueTester(dialogue)
    await tester.push("xin chào")
    assert "Xin chào" in tester.pop().text
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from handlers import Dialogue, IncomingMessage, Reply, Turn

__all__ = ["DialogueTester", "MemoryDialogueStore"]


@dataclass
class MemoryDialogueStore:
    """A :class:`DialogueStore` in memory that keeps what it was asked to record, for assertions.

    States go through ``json`` on the way in and out, so a state that the SQLite store could not
    hold fails here too, and a caller mutating a loaded state cannot change the stored one.
    """

    states: dict[tuple[str, str], str] = field(default_factory=dict)
    votes: list[tuple[IncomingMessage, str, bool]] = field(default_factory=list)

    async def load_state(self, conversation: tuple[str, str]) -> dict[str, Any] | None:
        stored = self.states.get(conversation)
        return None if stored is None else json.loads(stored)

    async def save_state(self, conversation: tuple[str, str], state: dict[str, Any]) -> None:
        self.states[conversation] = json.dumps(state, ensure_ascii=False)

    async def record_vote(self, message: IncomingMessage, entry_id: str, helpful: bool) -> None:
        self.votes.append((message, entry_id, helpful))


class DialogueTester:
    """Push citizen messages into a dialogue and pop its replies in order. ``clock`` stamps each
    message's ``received_at`` (tickets take their receipt time from it)."""

    def __init__(
        self, dialogue: Dialogue, *, channel: str = "test", clock: Callable[[], dt.datetime] | None = None
    ) -> None:
        self.dialogue = dialogue
        self.channel = channel
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.turns: list[Turn] = []
        self._replies: deque[Reply] = deque()
        self._ids = itertools.count(1)

    async def push(
        self,
        text: str | None = None,
        *,
        callback_data: str | None = None,
        chat_id: str = "c1",
        location: tuple[float, float] | None = None,
        attachment: str = "",
    ) -> Turn:
        """Send typed ``text`` (a shared ``location`` or a photo ``attachment`` need none) or a
        button press (``callback_data``) from ``chat_id``; returns the turn."""
        if location is not None or attachment:
            text = text or ""
        if (text is None) == (callback_data is None):
            raise ValueError("push either text or callback_data")
        message = IncomingMessage(
            channel=self.channel,
            chat_id=chat_id,
            user_id=f"user-{chat_id}",
            text=text or "",
            callback_data=callback_data or "",
            message_id=str(next(self._ids)),
            received_at=self.clock(),
            location=location,
            attachment=attachment,
        )
        turn = await self.dialogue.handle(message)
        self.turns.append(turn)
        self._replies.extend(turn.replies)
        return turn

    def pop(self) -> Reply:
        """The oldest reply not yet popped."""
        if not self._replies:
            raise AssertionError("the dialogue has sent no reply that was not popped already")
        return self._replies.popleft()

    def pop_all(self) -> list[Reply]:
        replies = list(self._replies)
        self._replies.clear()
        return replies
