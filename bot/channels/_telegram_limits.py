"""Telegram's limits, kept by the Telegram channel: button data within 64 bytes of
``callback_data``, and about one message a second to one chat."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections import OrderedDict
from collections.abc import AsyncIterator

from telegram.constants import InlineKeyboardButtonLimit

CALLBACK_DATA_LIMIT = int(InlineKeyboardButtonLimit.MAX_CALLBACK_DATA)


class _CallbackDataTable:
    """Fits button data into Telegram's 64-byte ``callback_data``.

    Data that fits goes as it is. Longer data, or data that looks like a token, is replaced by a
    token (a hash, so the same data always gets the same token) remembered in a bounded table.
    """

    PREFIX = "~"
    CAPACITY = 10_000

    def __init__(self) -> None:
        self._data: OrderedDict[str, str] = OrderedDict()

    def encode(self, data: str) -> str:
        if len(data.encode("utf-8")) <= CALLBACK_DATA_LIMIT and not data.startswith(self.PREFIX):
            return data
        token = self.PREFIX + hashlib.blake2b(data.encode("utf-8"), digest_size=16).hexdigest()
        self._data[token] = data
        self._data.move_to_end(token)
        if len(self._data) > self.CAPACITY:
            self._data.popitem(last=False)
        return token

    def decode(self, callback_data: str) -> str | None:
        """The button's data, or None if it was a token this table no longer knows."""
        if not callback_data.startswith(self.PREFIX):
            return callback_data
        data = self._data.get(callback_data)
        if data is not None:
            self._data.move_to_end(callback_data)
        return data


class _ChatSlot:
    """One chat's turn-taking: a lock that keeps a reply's pieces together, and the time before
    which the chat gets no further message."""

    def __init__(self, interval: float) -> None:
        self._interval = interval
        self.lock = asyncio.Lock()
        self.free_at = 0.0  # time.monotonic()
        self.users = 0

    @contextlib.asynccontextmanager
    async def next_message(self) -> AsyncIterator[None]:
        """Wait for the chat's slot, send inside, and start the interval once the send is over.

        Counting from the end of the previous send, not its start, keeps the spacing even when
        AIORateLimiter delays one message more than the next."""
        delay = self.free_at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        try:
            yield
        finally:
            self.free_at = time.monotonic() + self._interval


class _ChatPacer:
    """Spaces messages to one chat ``interval`` apart and keeps a reply's pieces together.

    Telegram asks for about one message a second per chat; AIORateLimiter enforces only the
    overall and per-group limits. This is pacing, not ordering: the order of a chat's replies is
    the pipeline's (one worker per conversation). The slot's lock only keeps one reply's pieces
    from interleaving with another sender's message to the same chat (the ticket service posts
    outside those workers), and is held for one send, never while a message is handled.
    """

    # Idle chats are forgotten once there are this many, so the table does not grow forever.
    PRUNE_ABOVE = 1_000

    def __init__(self, interval: float) -> None:
        self._interval = interval
        self._chats: dict[str, _ChatSlot] = {}

    @contextlib.asynccontextmanager
    async def turn(self, chat_id: str) -> AsyncIterator[_ChatSlot]:
        """Hold the chat for one reply."""
        slot = self._chats.get(chat_id)
        if slot is None:
            if len(self._chats) >= self.PRUNE_ABOVE:
                self._prune()
            slot = self._chats[chat_id] = _ChatSlot(self._interval)
        slot.users += 1
        try:
            async with slot.lock:
                yield slot
        finally:
            slot.users -= 1

    def _prune(self) -> None:
        now = time.monotonic()
        for chat_id in [c for c, slot in self._chats.items() if slot.users == 0 and slot.free_at <= now]:
            del self._chats[chat_id]
