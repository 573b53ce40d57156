"""The contract every channel implements (Telegram, Zalo, web chat, console, test)."""

from __future__ import annotations

import abc
import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol, runtime_checkable

from handlers import IncomingMessage, Reply
from wardbot_errors import WardbotError

log = logging.getLogger(__name__)

# The application's entry point for one inbound message. Awaiting it records the message
# durably (it raises if it could not): only then may the channel acknowledge the message to the
# platform. What it returns is done when the message's turn is over: handled, and its replies
# sent back through the channel the message came from.
Dispatch = Callable[[IncomingMessage], Awaitable[asyncio.Future[None]]]


@runtime_checkable
class Mailbox(Protocol):
    """Durable replies for a channel whose client fetches them (the web chat's browser): kept
    across restarts, numbered in order, acknowledged by the client."""

    async def post(self, chat_id: str, reply: Reply) -> int: ...

    async def replies_after(self, chat_id: str, after: int, *, limit: int) -> list[tuple[int, Reply]]: ...

    async def acknowledge(self, chat_id: str, upto: int) -> int: ...


class DeliveryError(WardbotError):
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
    # Whether the client fetches its replies from the application's mailbox (the web chat's
    # browser) instead of the channel sending them: the pipeline then posts each reply there
    # itself, in the transaction that marks it delivered, and calls :meth:`posted`.
    fetches_replies: bool = False

    def posted(self, chat_id: str) -> None:  # noqa: B027 - a hook, on purpose a no-op by default
        """Replies for ``chat_id`` now wait in the mailbox (only for channels that fetch them)."""

    @abc.abstractmethod
    async def start(self, dispatch: Dispatch) -> None: ...

    @abc.abstractmethod
    async def stop(self) -> None: ...

    @abc.abstractmethod
    async def send(self, chat_id: str, reply: Reply) -> None: ...
