"""The contract every channel implements (Telegram, Zalo, web chat, console, test)."""

from __future__ import annotations

import abc
import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection

from handlers import IncomingMessage, Reply

log = logging.getLogger(__name__)

# How long a stopping channel lets running dispatches finish sending their replies.
STOP_GRACE_S = 10.0

# The application's entry point for one inbound message: it records the message, runs the
# handlers and sends the replies back through the channel the message came from.
Dispatch = Callable[[IncomingMessage], Awaitable[None]]


class DeliveryError(Exception):
    """A reply could not be delivered. ``retryable`` says whether trying again may help
    (network trouble, rate limits) or not (the chat is gone, the user blocked the bot);
    ``until_contact`` that the platform refuses until the user writes again (Zalo's interaction
    window), so the reply is held for that moment instead of failing."""

    def __init__(
        self, message: str, *, retryable: bool, retry_after: float | None = None, until_contact: bool = False
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        self.until_contact = until_contact


class Channel(abc.ABC):
    """Turns platform events into :class:`IncomingMessage` values and renders :class:`Reply` values.

    ``start`` begins receiving (polling, a webhook route, a prompt) and hands every message to
    ``dispatch``; ``send`` delivers one reply to one chat or raises :class:`DeliveryError`.
    """

    name: str

    @abc.abstractmethod
    async def start(self, dispatch: Dispatch) -> None: ...

    @abc.abstractmethod
    async def stop(self) -> None: ...

    @abc.abstractmethod
    async def send(self, chat_id: str, reply: Reply) -> None: ...


async def finish_dispatches(tasks: Collection[asyncio.Task], channel: str, grace_s: float = STOP_GRACE_S) -> None:
    """On stop: give running dispatches ``grace_s`` seconds to finish, then cancel the rest and
    wait for them to unwind, so nothing runs on after the channel has closed."""
    if not tasks:
        return
    _, late = await asyncio.wait(tasks, timeout=grace_s)
    for task in late:
        task.cancel()
    if late:
        log.warning("cancelled %d %s dispatch(es) still running at stop", len(late), channel)
        await asyncio.gather(*late, return_exceptions=True)
