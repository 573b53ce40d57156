"""Test doubles for the application's dispatch (``bot.channels.Dispatch``) and the web chat's
mailbox (``bot.channels.Mailbox``)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.channels import Mailbox
from handlers import IncomingMessage, Reply

log = logging.getLogger(__name__)


class RecordingDispatch:
    """Records what a channel hands over at once, as the pipeline does, and returns a finished
    turn: a channel under test only needs its messages recorded before it acknowledges them. Set
    ``failing`` to make recording fail, as a full disk or a closed database would."""

    def __init__(self) -> None:
        self.messages: list[IncomingMessage] = []
        self.failing = False
        self._taken = 0  # messages returned by next()
        self._arrived = asyncio.Event()

    async def __call__(self, message: IncomingMessage) -> asyncio.Future[None]:
        if self.failing:
            raise OSError("disk full")
        self.messages.append(message)
        self._arrived.set()
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        turn.set_result(None)
        return turn

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[IncomingMessage]:
        """The messages once there are at least ``count``."""

        async def enough() -> None:
            while len(self.messages) < count:
                self._arrived.clear()
                await self._arrived.wait()

        try:
            await asyncio.wait_for(enough(), timeout)
        except TimeoutError:
            raise AssertionError(f"expected {count} message(s), got {self.messages}") from None
        return self.messages

    async def next(self, timeout: float = 5.0) -> IncomingMessage:
        """The next message not taken yet by ``next``."""
        await self.wait_for(self._taken + 1, timeout)
        self._taken += 1
        return self.messages[self._taken - 1]

    def empty(self) -> bool:
        """Whether every message was taken by ``next``."""
        return self._taken >= len(self.messages)


class MemoryMailbox:
    """``bot.channels.Mailbox`` in memory: the web chat's replies, numbered, for channel tests
    (the durable one is ``bot.storage.Storage``, tested against the same contract)."""

    def __init__(self) -> None:
        self.replies: list[tuple[int, str, Reply]] = []  # (number, chat, reply)
        self.acknowledged: dict[str, int] = {}

    async def post(self, chat_id: str, reply: Reply) -> int:
        number = len(self.replies) + 1
        self.replies.append((number, chat_id, reply))
        return number

    async def replies_after(self, chat_id: str, after: int, *, limit: int) -> list[tuple[int, Reply]]:
        return [(n, reply) for n, chat, reply in self.replies if chat == chat_id and n > after][:limit]

    async def acknowledge(self, chat_id: str, upto: int) -> int:
        before = self.acknowledged.get(chat_id, 0)
        self.acknowledged[chat_id] = max(before, upto)
        return sum(1 for n, chat, _ in self.replies if chat == chat_id and before < n <= upto)


class AnsweringDispatch:
    """A dispatch for the web chat, whose replies wait in a mailbox: it records each message
    (``received``) and runs ``answer`` on it in the background, as the pipeline's worker would;
    the turn it returns is done when ``answer`` is."""

    def __init__(self, answer: Callable[[IncomingMessage], Awaitable[None]], mailbox: Mailbox | None = None) -> None:
        self.mailbox = mailbox if mailbox is not None else MemoryMailbox()
        self.received: list[IncomingMessage] = []
        self._answer = answer
        self._turns: set[asyncio.Task[None]] = set()

    async def __call__(self, message: IncomingMessage) -> asyncio.Future[None]:
        self.received.append(message)
        turn = asyncio.create_task(self._run(message))
        self._turns.add(turn)
        turn.add_done_callback(self._turns.discard)
        return turn

    @property
    def busy(self) -> bool:
        """Whether an answer is still being worked out."""
        return bool(self._turns)

    async def _run(self, message: IncomingMessage) -> None:
        try:
            await self._answer(message)
        except Exception:
            log.exception("the answer to %s failed", message.message_id)
