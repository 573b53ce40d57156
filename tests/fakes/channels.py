"""A channel that collects what the bot sends, and fails on demand."""

from __future__ import annotations

from bot.channels import Channel, DeliveryError, Dispatch
from handlers import IncomingMessage, Reply


class CollectingChannel(Channel):
    """A test channel: keeps every delivered reply as ``(chat_id, reply)``; ``failures`` holds
    errors to raise on the next sends, one per send, before delivering again."""

    def __init__(self, name: str = "test") -> None:
        self.name = name
        self.sent: list[tuple[str, Reply]] = []
        self.failures: list[Exception] = []
        self.attempts = 0
        self.dispatch: Dispatch | None = None

    async def start(self, dispatch: Dispatch) -> None:
        self.dispatch = dispatch

    async def stop(self) -> None:
        self.dispatch = None

    async def receive(self, message: IncomingMessage) -> None:
        """Hand ``message`` to the application, as a platform event would, and wait until its
        turn is over."""
        assert self.dispatch is not None, "the channel is not started"
        await (await self.dispatch(message))

    async def send(self, chat_id: str, reply: Reply) -> None:
        self.attempts += 1
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((chat_id, reply))

    @property
    def texts(self) -> list[str]:
        return [reply.text for _, reply in self.sent]

    def fail_next(
        self, count: int, *, retryable: bool = True, retry_after: float | None = None, until_contact: bool = False
    ) -> None:
        self.failures.extend(
            DeliveryError("simulated failure", retryable=retryable, retry_after=retry_after, until_contact=until_contact)
            for _ in range(count)
        )
