"""What handlers need from storage; the application provides a SQLite implementation."""

from __future__ import annotations

from typing import Any, Protocol

from ._messages import IncomingMessage


class DialogueStore(Protocol):
    """Per-conversation state and the few facts handlers record, keyed by (channel, chat_id).

    State is a JSON-able dict so that it survives a restart in any store.
    """

    async def load_state(self, conversation: tuple[str, str]) -> dict[str, Any] | None: ...

    async def save_state(self, conversation: tuple[str, str], state: dict[str, Any]) -> None: ...

    async def record_unanswered(self, message: IncomingMessage, question: str) -> None: ...

    async def record_vote(self, message: IncomingMessage, entry_id: str, helpful: bool) -> None: ...
