"""The application's :data:`~bot.channels.Dispatch`: from an inbound message to delivered replies.

A channel hands each message to the pipeline, which records it durably and only then returns,
so that the channel acknowledges to the platform (Telegram's and Zalo's 200, the web chat's 202)
only what can no longer be lost: both platforms deliver at least once and never re-send what got
a 200. Then, for each conversation, a worker takes the recorded messages in the order they were
recorded: let the dialogue handle one → record the turn and queue its replies (one
transaction) → deliver them through the channel the message came from, retrying with backoff →
settle it in the compliance log (one transaction). Each step is in the database before the
next begins, so after a crash :meth:`Pipeline.recover` finishes what was started: a message
never handled is handled (once), a reply never delivered is delivered.

Messages of one conversation are processed one at a time and in order (its state depends on
the previous turn, and its replies must not overtake each other); conversations run concurrently.
This is the one place that orders a chat's messages: channels only record and acknowledge.

Messages from the officials' group (when the application has one) go to its :class:`GroupHandler`
instead of the dialogue, through the same log, outbox and delivery.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from handlers import IncomingMessage, KeyedLocks, Reply, Turn

from .._logging import chat_ref
from .._metrics import Metrics
from ..channels import Channel, DeliveryError
from ..storage import (
    ERROR_OUTCOME,
    OFFICIALS_OUTCOME,
    Clock,
    PendingReply,
    SettledMessage,
    Storage,
    UnhandledMessage,
    utc_now,
)

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]

# Handling is tried again once after a crash; a message that crashes the bot twice is given up.
MAX_HANDLING_ATTEMPTS = 2


class TurnHandler(Protocol):
    """What the pipeline needs of ``handlers.Dialogue``: one turn per message."""

    async def handle(self, message: IncomingMessage) -> Turn: ...


class GroupHandler(Protocol):
    """What the pipeline needs of ``bot.officials.OfficialsDesk``: the group it serves and its replies."""

    @property
    def conversation(self) -> tuple[str, str]: ...

    async def handle(self, message: IncomingMessage) -> list[Reply]: ...


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try to deliver one reply: the one place that decides when to send again.

    Channels make one attempt per send and report a failure as a :class:`DeliveryError` saying
    whether it is worth retrying and, from a platform's rate limit, its ``retry_after``;
    :func:`deliver_round`, used by the pipeline and the ticket service alike, does the retrying.
    A delivery round makes up to ``attempts_per_round`` attempts with exponential backoff (or
    the platform's ``retry_after``); the pipeline gives a reply still undelivered another round
    after ``redeliver_after`` seconds (:meth:`Pipeline.redeliver_due`), until ``max_attempts`` in
    all, counted in the outbox across restarts. The ticket service sends in one round.

    The bound on HTTP requests: one attempt sends the reply's pieces (a photo, text pieces
    within the platform's limit) one request each and stops at the first that fails, so under a
    persistent failure (a 502, a 429, Zalo's rate-limit or transient codes) every attempt is
    exactly one request: at most ``attempts_per_round`` requests a round, ``max_attempts`` in all
    (3 and 20 by default). A reply of P pieces makes at most P times as many (an attempt sends
    all of them again, those a failed attempt delivered included). Nothing below
    this retries on its own: python-telegram-bot's rate limiter waits out no 429
    (``max_retries=0``) and the Zalo channel makes one request a send. Zalo's refresh of an
    expired or invalid access token, followed by the same send once more with the new token, is
    a re-authentication and not a retry of a failure: it happens within one attempt, at most once,
    and adds one OAuth request and one send request to it.
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
        log.exception("channel %s raised while sending to chat %s", channel.name, chat_ref(channel.name, chat_id))
        return DeliveryError(repr(exc), retryable=True)
    return None


async def deliver_round(
    channel: Channel,
    chat_id: str,
    reply: Reply,
    policy: RetryPolicy,
    *,
    sleep: Sleep,
    attempts: int = 0,
    on_retry: Callable[[DeliveryError], Awaitable[None]] | None = None,
) -> tuple[DeliveryError | None, int]:
    """One delivery round of ``reply``: the retry loop of the pipeline and the ticket service.

    Sends until delivered, or a failure that is not retryable (``until_contact`` included), or
    ``policy.attempts_per_round`` attempts in this round, or ``policy.max_attempts`` counting the
    ``attempts`` made before; waits :meth:`RetryPolicy.delay` between attempts, after awaiting
    ``on_retry`` with the failure. Returns the last failure (None when delivered) and the
    attempts made in all, ``attempts`` included.
    """
    for round_attempt in range(1, policy.attempts_per_round + 1):
        error = await send_once(channel, chat_id, reply, policy.send_timeout)
        if error is None:
            return None, attempts
        attempts += 1
        final = not error.retryable or error.until_contact or attempts >= policy.max_attempts
        if final or round_attempt == policy.attempts_per_round:
            return error, attempts
        if on_retry is not None:
            await on_retry(error)
        await sleep(policy.delay(round_attempt, error))
    raise AssertionError("unreachable: the last attempt of a round returns")


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
        # One lock per conversation, dropped by the garbage collector once nobody holds it: the
        # worker and a redelivery round never deliver to one chat at the same time.
        self._lock: KeyedLocks[tuple[str, str]] = KeyedLocks()
        self._workers: dict[tuple[str, str], asyncio.Task[None]] = {}  # one per conversation with work
        self._woken: set[tuple[str, str]] = set()  # conversations that recorded a message meanwhile
        self._turns: dict[int, asyncio.Future[None]] = {}  # message id → done when its turn is over
        self._idle = asyncio.Event()
        self._idle.set()
        self._stopped = False  # after drain: messages are still recorded, handled at the next start
        for channel in channels:
            self.add_channel(channel)

    def add_channel(self, channel: Channel) -> None:
        """Deliver replies to messages from ``channel.name`` through ``channel``."""
        self._channels[channel.name] = channel

    @property
    def idle(self) -> bool:
        """Whether no conversation has messages being processed now."""
        return self._idle.is_set()

    @property
    def mailbox(self) -> Storage:
        """Where the web chat keeps its replies until the browser has them (a ``Mailbox``)."""
        return self.storage

    async def __call__(self, message: IncomingMessage) -> asyncio.Future[None]:
        """Record ``message`` durably; returns once it is recorded, with a future that is done
        when its turn is over (handled and its replies delivered, or given up). A duplicate
        delivery (the same platform message id again) is dropped and gets a finished future.
        Raises only if the message could not be recorded: the channel must not acknowledge it."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        message_id = await self.storage.record_inbound(message)
        if message_id is None:
            log.info("dropped a duplicate %s message %s", message.channel, message.message_id)
            self.metrics.duplicate_dropped(message.channel)
            done.set_result(None)
            return done
        self.metrics.message_received(message.channel)
        self._turns[message_id] = done
        if self._wake(message.conversation) is None:
            del self._turns[message_id]
            done.cancel()  # stopping: the message is recorded and waits for the next start
        return done

    async def process(self, message: IncomingMessage) -> None:
        """Record ``message`` and wait for its turn to be over: for callers that answer one
        message at a time (tests, benchmarks)."""
        await (await self(message))

    def _wake(self, conversation: tuple[str, str]) -> asyncio.Task[None] | None:
        """Make sure a worker takes the conversation's recorded messages; the worker (None once
        the pipeline has stopped)."""
        if self._stopped:
            return None
        worker = self._workers.get(conversation)
        if worker is not None:
            self._woken.add(conversation)  # it reads the messages again before it ends
            return worker
        worker = asyncio.create_task(self._work(conversation), name=f"conversation-{conversation[0]}")
        self._workers[conversation] = worker
        self._idle.clear()
        worker.add_done_callback(functools.partial(self._forget_worker, conversation))  # cancelled before it ran
        return worker

    def _forget_worker(self, conversation: tuple[str, str], worker: asyncio.Task[None]) -> None:
        if self._workers.get(conversation) is worker:
            del self._workers[conversation]
        if not self._workers:
            self._idle.set()

    async def _work(self, conversation: tuple[str, str]) -> None:
        """Handle the conversation's recorded messages, oldest first, until none is left."""
        try:
            async with self._lock(conversation):
                # The user is back: what the platform would not deliver before goes out first.
                for held_message in await self.storage.release_held(*conversation):
                    await self._deliver(held_message, await self.storage.pending_replies(held_message))
                while True:
                    self._woken.discard(conversation)
                    unhandled = await self.storage.next_unhandled(conversation)
                    if unhandled is None:
                        if conversation in self._woken:
                            continue
                        break
                    try:
                        await self._take(unhandled)
                    finally:
                        turn = self._turns.pop(unhandled.id, None)
                        if turn is not None and not turn.done():
                            turn.set_result(None)
        except Exception:
            # A database failure: the messages stay recorded and the next start recovers them.
            log.exception("the %s conversation worker failed; its messages wait for recovery", conversation[0])
        finally:
            # At once rather than in the done callback, so that a message recorded from now on
            # starts a new worker.
            worker = asyncio.current_task()
            assert worker is not None  # this coroutine runs as the worker's task
            self._forget_worker(conversation, worker)

    async def _take(self, unhandled: UnhandledMessage) -> None:
        if unhandled.attempts >= MAX_HANDLING_ATTEMPTS:
            log.error("giving up message %d: handling it was interrupted %d times", unhandled.id, unhandled.attempts)
            self._count(await self.storage.give_up(unhandled.id))
            return
        await self._handle(unhandled.id, unhandled.message)

    async def _handle(self, message_id: int, message: IncomingMessage) -> None:
        """Handle a recorded message and deliver its replies; called under the conversation's
        lock. Only the first to claim a message handles it (another process may recover it)."""
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
        if channel.fetches_replies:
            await self.storage.post_pending(pending.id)
            channel.posted(pending.chat_id)
            return True
        policy = self._retry

        async def record_retry(error: DeliveryError) -> None:
            await self.storage.record_delivery_failure(pending.id, str(error), retry_at=self._clock())

        error, attempts = await deliver_round(
            channel, pending.chat_id, pending.reply, policy, sleep=self._sleep, attempts=pending.attempts, on_retry=record_retry
        )
        if error is None:
            await self.storage.mark_delivered(pending.id)
            return True
        if error.until_contact:
            log.warning("reply %d to %s held until the user writes again: %s", pending.id, channel.name, error)
            await self.storage.hold_replies(pending.id, str(error))
            return False
        if not error.retryable or attempts >= policy.max_attempts:
            log.error("giving up reply %d to %s after %d attempt(s): %s", pending.id, channel.name, attempts, error)
            await self.storage.record_delivery_failure(pending.id, str(error), retry_at=None)
            return False
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
        """After a restart: handle the messages that were never handled (each conversation's in
        order, as live ones are), then deliver every reply still waiting. Only messages of the
        channels added here are touched."""
        conversations = await self.storage.unhandled_conversations(self._channels)
        workers = [worker for conversation in conversations if (worker := self._wake(conversation)) is not None]
        if workers:
            log.info("recovering the unhandled messages of %d conversation(s)", len(workers))
            await asyncio.wait(workers)
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
        """Wait up to ``timeout`` seconds for the conversations being processed, then stop the
        rest: what is left unfinished stays in the database and is recovered at the next start.
        Messages recorded from now on wait for that start too."""
        self._stopped = True
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            log.warning("stopping with %d conversation(s) unfinished; recovered at the next start", len(self._workers))
            workers = list(self._workers.values())
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
        for turn in self._turns.values():
            turn.cancel()
        self._turns.clear()
