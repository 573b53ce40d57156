"""The application's :data:`~bot.channels.Dispatch`: from an inbound message to delivered replies.

For each message: record it (dropping duplicate deliveries) → let the dialogue handle it →
record the turn and queue its replies → deliver them through the channel the message came
from, retrying with backoff → settle it in the compliance log. Each step is in the database
before the next begins, so after a crash :meth:`Pipeline.recover` finishes what was started:
a message never handled is handled (once), a reply never delivered is delivered.

Messages of one conversation are processed one at a time and in order (its state depends on
the previous turn, and its replies must not overtake each other); conversations run concurrently.

Messages from the officials' group (when the application has one) go to its :class:`GroupHandler`
instead of the dialogue, through the same log, outbox and delivery.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import weakref
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from handlers import IncomingMessage, Reply, Turn

from ._metrics import Metrics
from ._storage import ERROR_OUTCOME, OFFICIALS_OUTCOME, Clock, PendingReply, SettledMessage, Storage, utc_now
from .channels import Channel, DeliveryError

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]

# Handling is tried again once after a crash; a message that crashes the bot twice is given up.
MAX_HANDLING_ATTEMPTS = 2


class TurnHandler(Protocol):
    """What the pipeline needs of ``handlers.Dialogue``: one turn per message."""

    async def handle(self, message: IncomingMessage) -> Turn: ...


class GroupHandler(Protocol):
    """What the pipeline needs of ``bot._officials.OfficialsDesk``: the group it serves and its replies."""

    @property
    def conversation(self) -> tuple[str, str]: ...

    async def handle(self, message: IncomingMessage) -> list[Reply]: ...


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try to deliver one reply.

    A delivery round makes up to ``attempts_per_round`` attempts with exponential backoff (or
    the platform's ``retry_after``); a reply still undelivered waits ``redeliver_after`` seconds
    for the next round, run by :meth:`Pipeline.redeliver_due`, until ``max_attempts`` in all.
    """

    attempts_per_round: int = 3
    first_delay: float = 0.5
    max_delay: float = 30.0
    redeliver_after: float = 60.0
    max_attempts: int = 20
    send_timeout: float = 30.0

    def __post_init__(self) -> None:
        if self.attempts_per_round < 1 or self.max_attempts < 1:
            raise ValueError("attempts_per_round and max_attempts must be at least 1")

    def delay(self, failures: int, error: DeliveryError) -> float:
        """Seconds to wait after the ``failures``-th failed attempt in a round."""
        if error.retry_after is not None:
            return error.retry_after
        return min(self.max_delay, self.first_delay * 2 ** (failures - 1))


async def send_once(channel: Channel, chat_id: str, reply: Reply, timeout: float) -> DeliveryError | None:
    """One attempt to send ``reply``; the failure as a :class:`DeliveryError`, or None when delivered."""
    try:
        await asyncio.wait_for(channel.send(chat_id, reply), timeout)
    except DeliveryError as exc:
        return exc
    except TimeoutError:
        return DeliveryError(f"no answer within {timeout} s", retryable=True)
    except Exception as exc:
        # A channel should raise DeliveryError; anything else is a bug there or an unwrapped
        # network error. Retrying costs little and may save the reply.
        log.exception("channel %s raised while sending to chat %s", channel.name, chat_id)
        return DeliveryError(repr(exc), retryable=True)
    return None


class Pipeline:
    """Records, handles and answers messages; call it with a message (it is a ``Dispatch``)."""

    def __init__(
        self,
        storage: Storage,
        dialogue: TurnHandler,
        *,
        apology: Reply,
        channels: Iterable[Channel] = (),
        officials: GroupHandler | None = None,
        metrics: Metrics | None = None,
        retry: RetryPolicy | None = None,
        clock: Clock = utc_now,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.storage = storage
        self.dialogue = dialogue
        self.officials = officials
        self.metrics = metrics or Metrics()
        self._apology = apology  # what the citizen gets when the handlers fail
        self._retry = retry or RetryPolicy()
        self._clock = clock
        self._sleep = sleep
        self._channels: dict[str, Channel] = {}
        # One lock per conversation, dropped by the garbage collector once nobody holds it.
        self._locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = weakref.WeakValueDictionary()
        self._in_flight = 0  # messages being processed, for a graceful stop
        self._idle = asyncio.Event()
        self._idle.set()
        for channel in channels:
            self.add_channel(channel)

    def add_channel(self, channel: Channel) -> None:
        """Deliver replies to messages from ``channel.name`` through ``channel``."""
        self._channels[channel.name] = channel

    def _lock(self, conversation: tuple[str, str]) -> asyncio.Lock:
        lock = self._locks.get(conversation)
        if lock is None:
            lock = self._locks[conversation] = asyncio.Lock()
        return lock

    async def __call__(self, message: IncomingMessage) -> None:
        """Process one inbound message to the end; never raises for a handler or delivery problem."""
        self._in_flight += 1
        self._idle.clear()
        try:
            message_id = await self.storage.record_inbound(message)
            if message_id is None:
                log.info("dropped a duplicate %s message %s", message.channel, message.message_id)
                self.metrics.duplicate_dropped(message.channel)
                return
            self.metrics.message_received(message.channel)
            async with self._lock(message.conversation):
                # The user is back: what the platform would not deliver before goes out first.
                for held_message in await self.storage.release_held(message.channel, message.chat_id):
                    await self._deliver(held_message, await self.storage.pending_replies(held_message))
                await self._handle(message_id, message)
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.set()

    async def _handle(self, message_id: int, message: IncomingMessage) -> None:
        """Handle a recorded message and deliver its replies; called under the conversation's
        lock. Recovery and a live delivery may both reach one message after a restart: only the
        first to claim it handles it."""
        if not await self.storage.claim(message_id):
            return
        try:
            if self.officials is not None and message.conversation == self.officials.conversation:
                replies = tuple(await self.officials.handle(message))
                outcome, entry_id, score = OFFICIALS_OUTCOME, "", None
            else:
                turn = await self.dialogue.handle(message)
                replies, outcome, entry_id, score = turn.replies, turn.outcome.value, turn.entry_id, turn.score
        except Exception:
            log.exception("the handlers failed on message %d (%s); sending the apology", message_id, message.channel)
            replies, outcome, entry_id, score = (self._apology,), ERROR_OUTCOME, "", None
        pending = await self.storage.record_turn(message_id, replies, outcome=outcome, entry_id=entry_id, score=score)
        await self._deliver(message_id, pending)

    async def _deliver(self, message_id: int, pending: list[PendingReply]) -> None:
        for reply in pending:
            if not await self._deliver_one(reply):
                break  # later replies wait: in a chat, order matters
        settled = await self.storage.settle(message_id)
        if settled is not None:
            self._count(settled)

    def _count(self, settled: SettledMessage) -> None:
        latency = settled.latency_ms / 1000 if settled.latency_ms is not None else None
        self.metrics.message_settled(settled.channel, settled.outcome, latency)

    async def _deliver_one(self, pending: PendingReply) -> bool:
        """One delivery round for one reply; whether it was delivered."""
        channel = self._channels.get(pending.channel)
        if channel is None:
            # Not running in this process (say, a Telegram reply during `wardbot chat`): it
            # stays in the outbox for the process that runs that channel.
            log.error("no %s channel to deliver reply %d; it waits in the outbox", pending.channel, pending.id)
            return False
        policy = self._retry
        attempts = pending.attempts
        for round_attempt in range(1, policy.attempts_per_round + 1):
            error = await send_once(channel, pending.chat_id, pending.reply, policy.send_timeout)
            if error is None:
                await self.storage.mark_delivered(pending.id)
                return True
            attempts += 1
            if error.until_contact:
                log.warning("reply %d to %s held until the user writes again: %s", pending.id, channel.name, error)
                await self.storage.hold_replies(pending.id, str(error))
                return False
            if not error.retryable or attempts >= policy.max_attempts:
                log.error("giving up reply %d to %s after %d attempt(s): %s", pending.id, channel.name, attempts, error)
                await self.storage.record_delivery_failure(pending.id, str(error), retry_at=None)
                return False
            if round_attempt < policy.attempts_per_round:
                await self.storage.record_delivery_failure(pending.id, str(error), retry_at=self._clock())
                await self._sleep(policy.delay(round_attempt, error))
        retry_at = self._clock() + dt.timedelta(seconds=policy.redeliver_after)
        log.warning("reply %d to %s not delivered (%s); next round at %s", pending.id, channel.name, error, retry_at)
        await self.storage.record_delivery_failure(pending.id, str(error), retry_at=retry_at)
        return False

    async def redeliver_due(self, *, everything: bool = False) -> None:
        """Run a delivery round for every reply whose next attempt is due (or for all waiting)."""
        due_by = None if everything else self._clock()
        for message_id in await self.storage.messages_with_pending_replies(self._channels, due_by=due_by):
            pending = await self.storage.pending_replies(message_id)
            if not pending:
                continue
            # Under the conversation's lock, and read again there: a live turn may have
            # delivered them meanwhile.
            async with self._lock((pending[0].channel, pending[0].chat_id)):
                await self._deliver(message_id, await self.storage.pending_replies(message_id))

    async def recover(self) -> None:
        """After a restart: handle the messages that were never handled, then deliver every
        reply still waiting. Only messages of the channels added here are touched."""
        for unhandled in await self.storage.unhandled_messages(self._channels):
            if unhandled.attempts >= MAX_HANDLING_ATTEMPTS:
                log.error("giving up message %d: handling it was interrupted %d times", unhandled.id, unhandled.attempts)
                self._count(await self.storage.give_up(unhandled.id))
                continue
            log.info("recovering message %d from %s", unhandled.id, unhandled.message.channel)
            async with self._lock(unhandled.message.conversation):
                await self._handle(unhandled.id, unhandled.message)
        await self.redeliver_due(everything=True)

    async def run_redelivery(self, interval: float = 15.0) -> None:
        """Deliver due replies every ``interval`` seconds, until cancelled."""
        while True:
            await self._sleep(interval)
            try:
                await self.redeliver_due()
            except Exception:
                log.exception("redelivery round failed; trying again in %s s", interval)

    async def drain(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for messages being processed; what is left unfinished
        stays in the database and is recovered at the next start."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            log.warning("stopping with %d message(s) unfinished; they are recovered at the next start", self._in_flight)
