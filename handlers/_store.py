"""What handlers need from storage; the application provides a SQLite implementation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ._messages import IncomingMessage


class DialogueStore(Protocol):
    """Per-conversation state and the few facts handlers record, keyed by (channel, chat_id).

    State is a JSON-able dict so that it survives a restart in any store.
    """

    async def load_state(self, conversation: tuple[str, str]) -> dict[str, Any] | None: ...

    async def save_state(self, conversation: tuple[str, str], state: dict[str, Any]) -> None: ...

    async def record_vote(self, message: IncomingMessage, entry_id: str, helpful: bool) -> None: ...


@dataclass(frozen=True, slots=True)
class Erasure:
    """What erasing a citizen's data removed, as their receipt tells it."""

    receipt: str  # a code to quote to the ward; its audit log keeps it, with no personal data
    at: dt.datetime
    messages: int  # their messages whose text and ids were erased
    replies: int  # the bot's replies to those messages
    unanswered: int  # questions waiting for an official
    votes: int  # 👍/👎 still counted, but no longer linked to them
    photos: int  # photo files deleted
    tickets: tuple[str, ...]  # codes of the tickets whose personal fields were removed


class PersonalData(Protocol):
    """A citizen's rights over what the bot holds about them (Decree 13/2023/NĐ-CP on personal
    data protection): erasure on request, and taking back what they withdrew."""

    async def erase(self, channel: str, chat_id: str, user_id: str) -> Erasure:
        """Erase everything held about ``user_id`` on ``channel`` (and of the chat ``chat_id``),
        keeping only what the ward must: ticket records and counts without personal data."""
        ...

    async def scrub(self, conversation: tuple[str, str], values: Sequence[str]) -> None:
        """Remove ``values`` (a contact the citizen took back) wherever the conversation's stored
        messages and replies hold them."""
        ...
