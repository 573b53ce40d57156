"""The contract every channel implements (Telegram, Zalo, web chat, console, test)."""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Callable

from handlers import IncomingMessage, Reply

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
