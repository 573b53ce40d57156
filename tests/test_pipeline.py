"""The pipeline: record before handling, drop duplicates, survive handler errors, retry
deliveries with backoff, and finish after a crash what a previous run started (exactly once)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fakes.aio import async_test, wait_until
from fakes.channels import CollectingChannel
from fakes.clocks import ManualClock

from bot.delivery import Pipeline, RetryPolicy
from bot.storage import Storage
from handlers import DialogueStore, IncomingMessage, KeyedLocks, Outcome, Reply, Turn

KEY = b"test-key"
APOLOGY = Reply("Xin lỗi anh/chị, hệ thống đang gặp sự cố.")


class ScriptedDialogue:
    """Echoes each message with a per-conversation turn count kept in the store; fails on "boom"."""

    def __init__(self, store: DialogueStore, *, replies: int = 1) -> None:
        self.store = store
        self.replies = replies
        self.handled: list[str] = []
        self.seen_in_database: list[tuple] = []  # what the database held when handling began

    async def handle(self, message: IncomingMessage) -> Turn:
        self.handled.append(message.text)
        if message.text == "boom":
            raise RuntimeError("a bug in the handlers")
        state = await self.store.load_state(message.conversation) or {"turns": 0}
        state["turns"] += 1
        await self.store.save_state(message.conversation, state)
        texts = [f"{message.text} #{state['turns']}"] + [f"part {n}" for n in range(2, self.replies + 1)]
        return Turn(tuple(Reply(t) for t in texts), Outcome.ANSWERED, entry_id="1.001193", score=0.9)


class RecordingSleep:
    """Stands in for asyncio.sleep: records each delay and moves the clock on instead of waiting."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.clock.advance(seconds)
        await asyncio.sleep(0)


def message(text: str, *, message_id: str = "", chat: str = "chat-1") -> IncomingMessage:
    return IncomingMessage(channel="test", chat_id=chat, user_id="user-1", text=text, message_id=message_id)


def rows(path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute(sql).fetchall()


@contextlib.asynccontextmanager
async def running(
    path: Path,
    channel: CollectingChannel,
    clock: ManualClock,
    *,
    replies: int = 1,
    retry: RetryPolicy | None = None,
) -> AsyncIterator[tuple[Pipeline, ScriptedDialogue, RecordingSleep]]:
    """A pipeline over the store at ``path``; leaving the block is a restart."""
    storage = await Storage.open(path, pseudonym_key=KEY, clock=clock)
    dialogue = ScriptedDialogue(storage, replies=replies)
    sleep = RecordingSleep(clock)
    pipeline = Pipeline(
        storage, dialogue, apology=APOLOGY, channels=[channel], retry=retry, clock=clock, sleep=sleep
    )
    try:
        yield pipeline, dialogue, sleep
    finally:
        await storage.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "wardbot.sqlite3"


@async_test
async def test_keyed_locks_give_one_lock_per_key_while_it_is_used_then_forget_it() -> None:
    locks: KeyedLocks[tuple[str, str]] = KeyedLocks()
    held = locks(("test", "chat-1"))
    async with held:
        assert locks(("test", "chat-1")) is held and locks(("test", "chat-1")).locked()
        assert not locks(("test", "chat-2")).locked()
    del held  # the scenario's reference ended with it before; drop it so only the map could keep the lock
    gc.collect()
    assert len(locks) == 0  # nobody holds or waits for them: the map does not grow


@async_test
async def test_a_message_is_recorded_handled_answered_and_logged(db: Path, clock: ManualClock, collecting_channel: CollectingChannel) -> None:
    async with running(db, collecting_channel, clock) as (pipeline, dialogue, _):
        original = dialogue.handle

        async def handle(msg: IncomingMessage) -> Turn:
            # Recorded before processing: another connection already sees it.
            dialogue.seen_in_database.extend(rows(db, "SELECT text, status FROM messages"))
            clock.advance(0.25)
            return await original(msg)

        dialogue.handle = handle
        await pipeline.process(message("lệ phí khai sinh", message_id="100"))
        assert "wardbot_messages_total{channel=\"test\"} 1.0" in pipeline.metrics.text()
        assert 'wardbot_turns_total{channel="test",outcome="answered"} 1.0' in pipeline.metrics.text()

    assert dialogue.seen_in_database == [("lệ phí khai sinh", "received")]
    assert collecting_channel.sent == [("chat-1", Reply("lệ phí khai sinh #1"))]
    assert rows(db, "SELECT status FROM messages") == [("answered",)]
    assert rows(db, "SELECT channel, latency_ms, outcome, entry_id, score FROM compliance_log") == [
        ("test", 250, "answered", "1.001193", 0.9)
    ]


@async_test
async def test_a_duplicate_delivery_is_answered_once(db: Path, clock: ManualClock, collecting_channel: CollectingChannel) -> None:
    async with running(db, collecting_channel, clock) as (pipeline, dialogue, _):
        await pipeline.process(message("xin chào", message_id="5"))
        await pipeline.process(message("xin chào", message_id="5"))
        assert 'wardbot_duplicate_messages_total{channel="test"} 1.0' in pipeline.metrics.text()
        handled = dialogue.handled
    assert handled == ["xin chào"]
    assert collecting_channel.texts == ["xin chào #1"]


@async_test
async def test_a_handler_error_gets_the_apology_and_the_next_message_is_answered(
    db: Path, clock: ManualClock, collecting_channel: CollectingChannel, caplog: pytest.LogCaptureFixture
) -> None:
    async with running(db, collecting_channel, clock) as (pipeline, _, _):
        await pipeline.process(message("boom"))
        await pipeline.process(message("mất bao lâu?"))
    assert collecting_channel.texts == [APOLOGY.text, "mất bao lâu? #1"]
    assert rows(db, "SELECT outcome FROM compliance_log ORDER BY message") == [("error",), ("answered",)]
    assert "a bug in the handlers" in caplog.text


@async_test
async def test_a_send_that_fails_twice_is_retried_with_backoff(db: Path, clock: ManualClock, collecting_channel: CollectingChannel) -> None:
    collecting_channel.fail_next(2)
    async with running(db, collecting_channel, clock) as (pipeline, _, sleep):
        await pipeline.process(message("nộp online được không?"))
        delays = sleep.delays
    assert delays == [0.5, 1.0]
    assert collecting_channel.attempts == 3
    assert collecting_channel.texts == ["nộp online được không? #1"]
    assert rows(db, "SELECT status, attempts FROM outbox") == [("delivered", 2)]
    assert rows(db, "SELECT latency_ms FROM compliance_log") == [(1500,)]


@async_test
async def test_retry_after_from_the_platform_is_honoured(db: Path, clock: ManualClock, collecting_channel: CollectingChannel) -> None:
    collecting_channel.fail_next(1, retry_after=7.0)
    async with running(db, collecting_channel, clock) as (pipeline, _, sleep):
        await pipeline.process(message("a"))
        delays = sleep.delays
    assert delays == [7.0]
    assert collecting_channel.texts == ["a #1"]


@async_test
async def test_a_non_retryable_failure_is_final_for_the_whole_turn(
    db: Path, clock: ManualClock, collecting_channel: CollectingChannel
) -> None:
    collecting_channel.fail_next(1, retryable=False)
    async with running(db, collecting_channel, clock, replies=2) as (pipeline, _, sleep):
        await pipeline.process(message("a"))
        await pipeline.redeliver_due(everything=True)
        delays = sleep.delays
    assert delays == []
    assert collecting_channel.attempts == 1 and collecting_channel.sent == []
    assert rows(db, "SELECT seq, status FROM outbox ORDER BY seq") == [(0, "failed"), (1, "failed")]
    assert rows(db, "SELECT status FROM messages") == [("failed",)]
    assert rows(db, "SELECT replied_at, latency_ms FROM compliance_log") == [(None, None)]


@async_test
async def test_a_reply_the_platform_refuses_until_contact_is_held_and_sent_when_the_user_writes(
    db: Path, clock: ManualClock, collecting_channel: CollectingChannel
) -> None:
    collecting_channel.fail_next(1, retryable=False, until_contact=True)  # Zalo's interaction window
    async with running(db, collecting_channel, clock, replies=2) as (pipeline, _, _):
        await pipeline.process(message("a"))
        await pipeline.redeliver_due(everything=True)  # the periodic round leaves it held
        held = rows(db, "SELECT seq, status FROM outbox ORDER BY id")
        settled_early = rows(db, "SELECT COUNT(*) FROM compliance_log")
        clock.advance(3600)
        await pipeline.process(message("b"))  # the citizen writes again
        after = rows(db, "SELECT status FROM outbox ORDER BY id")
    assert held == [(0, "held"), (1, "held")] and settled_early == [(0,)]
    assert collecting_channel.texts == ["a #1", "part 2", "b #2", "part 2"]  # the held turn first, in order
    assert after == [("delivered",)] * 4
    assert rows(db, "SELECT status FROM messages ORDER BY id") == [("answered",), ("answered",)]


@async_test
async def test_a_reply_still_undelivered_after_a_round_is_redelivered_later(
    db: Path, clock: ManualClock, collecting_channel: CollectingChannel
) -> None:
    policy = RetryPolicy(attempts_per_round=2, redeliver_after=60.0)
    collecting_channel.fail_next(3)
    async with running(db, collecting_channel, clock, replies=2, retry=policy) as (pipeline, _, _):
        await pipeline.process(message("a"))
        assert collecting_channel.sent == []
        assert rows(db, "SELECT status FROM messages") == [("handled",)]
        clock.advance(30)
        await pipeline.redeliver_due()  # not due yet
        assert collecting_channel.attempts == 2
        clock.advance(30)
        await pipeline.redeliver_due()  # fails once more, then delivers both replies in order
    assert collecting_channel.texts == ["a #1", "part 2"]
    assert rows(db, "SELECT status FROM messages") == [("answered",)]


@async_test
async def test_after_a_crash_an_unhandled_message_is_answered_exactly_once(
    db: Path, clock: ManualClock, collecting_channel: CollectingChannel
) -> None:
    # The first run recorded the message and died before handling it.
    async with await Storage.open(db, pseudonym_key=KEY, clock=clock) as storage:
        await storage.record_inbound(message("cần mang gì?", message_id="9"))
    async with running(db, collecting_channel, clock) as (pipeline, dialogue, _):
        await pipeline.recover()
        await pipeline.process(message("cần mang gì?", message_id="9"))  # the platform redelivers it too
        first_restart = list(dialogue.handled)
    async with running(db, collecting_channel, clock) as (pipeline, dialogue, _):
        await pipeline.recover()
        second_restart = dialogue.handled
    assert first_restart == ["cần mang gì?"] and second_restart == []
    assert collecting_channel.texts == ["cần mang gì? #1"]
    assert rows(db, "SELECT status, attempts FROM messages") == [("answered", 1)]


@async_test
async def test_after_a_crash_a_handled_turn_is_delivered_without_handling_it_again(
    db: Path, clock: ManualClock, collecting_channel: CollectingChannel
) -> None:
    down = CollectingChannel()
    down.fail_next(3)  # the first run's whole delivery round fails, then it stops
    async with running(db, down, clock) as (pipeline, _, _):
        await pipeline.process(message("a"))
    async with running(db, collecting_channel, clock) as (pipeline, dialogue, _):
        await pipeline.recover()
        handled = dialogue.handled
    assert handled == []
    assert collecting_channel.texts == ["a #1"]
    assert rows(db, "SELECT status FROM messages") == [("answered",)]


@async_test
async def test_a_message_that_keeps_crashing_the_bot_is_given_up(
    db: Path, clock: ManualClock, collecting_channel: CollectingChannel
) -> None:
    async with await Storage.open(db, pseudonym_key=KEY, clock=clock) as storage:
        message_id = await storage.record_inbound(message("poison"))
        for _ in range(2):  # two runs died while handling it
            assert await storage.claim(message_id)
    async with running(db, collecting_channel, clock) as (pipeline, dialogue, _):
        await pipeline.recover()
        handled = dialogue.handled
    assert handled == []
    assert rows(db, "SELECT status, payload FROM messages") == [("failed", None)]
    assert rows(db, "SELECT outcome, replied_at FROM compliance_log") == [("error", None)]


@async_test
async def test_conversation_state_survives_a_restart(db: Path, clock: ManualClock, collecting_channel: CollectingChannel) -> None:
    async with running(db, collecting_channel, clock) as (pipeline, _, _):
        await pipeline.process(message("a"))
        await pipeline.process(message("b", chat="chat-2"))
    async with running(db, collecting_channel, clock) as (pipeline, _, _):
        await pipeline.process(message("c"))
    assert collecting_channel.texts == ["a #1", "b #1", "c #2"]


@async_test
async def test_messages_of_one_conversation_are_handled_in_order(
    db: Path, clock: ManualClock, collecting_channel: CollectingChannel
) -> None:
    async with running(db, collecting_channel, clock) as (pipeline, dialogue, _):
        release = asyncio.Event()
        original = dialogue.handle

        async def slow_first(msg: IncomingMessage) -> Turn:
            if msg.text == "first":
                await release.wait()
            return await original(msg)

        dialogue.handle = slow_first
        first = asyncio.create_task(pipeline.process(message("first")))
        second = asyncio.create_task(pipeline.process(message("second")))
        other = asyncio.create_task(pipeline.process(message("other", chat="chat-2")))
        await other  # another conversation is not held up
        release.set()
        await asyncio.gather(first, second)
    assert collecting_channel.texts == ["other #1", "first #1", "second #2"]


@async_test
async def test_recovery_leaves_alone_a_message_being_handled_live(
    db: Path, clock: ManualClock, collecting_channel: CollectingChannel
) -> None:
    async with running(db, collecting_channel, clock) as (pipeline, dialogue, _):
        started, release = asyncio.Event(), asyncio.Event()
        original = dialogue.handle

        async def blocking(msg: IncomingMessage) -> Turn:
            started.set()
            await release.wait()
            return await original(msg)

        dialogue.handle = blocking
        unhandled_conversations = pipeline.storage.unhandled_conversations
        found: list[tuple[str, str]] = []
        looked = asyncio.Event()

        async def watched(channels):
            unhandled = await unhandled_conversations(channels)
            found.extend(unhandled)
            looked.set()
            return unhandled

        pipeline.storage.unhandled_conversations = watched
        live = asyncio.create_task(pipeline.process(message("live")))
        await started.wait()  # recorded, claimed and in the handlers, but not answered yet
        recovery = asyncio.create_task(pipeline.recover())
        await looked.wait()  # recovery has read the unhandled messages while "live" is in the handlers
        assert found == [message("live").conversation]  # not answered yet, so on recovery's list
        release.set()
        await asyncio.gather(live, recovery)
        handled = dialogue.handled
    assert handled == ["live"]
    assert collecting_channel.texts == ["live #1"]


@async_test
async def test_messages_acknowledged_while_another_is_handled_survive_a_kill(
    db: Path, clock: ManualClock, collecting_channel: CollectingChannel
) -> None:
    """Three messages back to back from one citizen, the first stuck in the handlers, then the
    process dies: each was recorded before the channel could acknowledge it, so the next start
    answers all three, in order."""

    async def first_run() -> None:
        async with running(db, collecting_channel, clock) as (pipeline, dialogue, _):
            never = asyncio.Event()

            async def stuck(msg: IncomingMessage) -> Turn:
                await never.wait()
                raise AssertionError("unreachable")

            dialogue.handle = stuck
            for number, text in enumerate(("một", "hai", "ba")):
                turn = await pipeline(message(text, message_id=str(number)))  # returns once recorded
                assert not turn.done()
            statuses = rows(db, "SELECT text, status FROM messages ORDER BY id")
            assert statuses == [("một", "received"), ("hai", "received"), ("ba", "received")]
            await pipeline.drain(0)  # the kill: the worker is dropped in the middle of a turn

    async def second_run() -> list[str]:
        async with running(db, collecting_channel, clock) as (pipeline, dialogue, _):
            await pipeline.recover()
            return dialogue.handled

    await first_run()
    assert collecting_channel.texts == []
    assert await second_run() == ["một", "hai", "ba"]
    assert collecting_channel.texts == ["một #1", "hai #2", "ba #3"]
    assert rows(db, "SELECT COUNT(*) FROM compliance_log WHERE replied_at IS NOT NULL") == [(3,)]


@async_test
async def test_a_turn_interrupted_after_saving_its_state_is_handled_again_from_the_state_it_began_with(
    db: Path, clock: ManualClock, collecting_channel: CollectingChannel
) -> None:
    """The dialogue saves its new state before the turn is recorded; a kill between the two must
    not make the message mean something else the second time (a "1" picking from the wrong menu)."""

    async def first_run() -> None:
        async with running(db, collecting_channel, clock) as (pipeline, dialogue, _):
            await pipeline.process(message("một", message_id="1"))  # turns: 1
            never = asyncio.Event()

            async def saves_then_dies(msg: IncomingMessage) -> Turn:
                await dialogue.store.save_state(msg.conversation, {"turns": 99})
                await never.wait()
                raise AssertionError("unreachable")

            dialogue.handle = saves_then_dies
            await pipeline(message("hai", message_id="2"))
            await wait_until(lambda: rows(db, "SELECT state FROM conversations") == [('{"turns": 99}',)])
            await pipeline.drain(0)  # the kill

    async def second_run() -> None:
        async with running(db, collecting_channel, clock) as (pipeline, _, _):
            await pipeline.recover()

    await first_run()
    await second_run()
    assert collecting_channel.texts == ["một #1", "hai #2"]


class FetchingChannel(CollectingChannel):
    """A channel whose client fetches its replies from the mailbox, as the web chat's browser does."""

    fetches_replies = True

    def __init__(self) -> None:
        super().__init__("test")
        self.woken: list[str] = []

    def posted(self, chat_id: str) -> None:
        self.woken.append(chat_id)


@async_test
async def test_replies_for_a_fetching_client_are_posted_to_the_mailbox_once(db: Path, clock: ManualClock) -> None:
    channel = FetchingChannel()
    async with running(db, channel, clock, replies=2) as (pipeline, _, _):
        await pipeline.process(message("lệ phí?", message_id="1"))
        await pipeline.redeliver_due(everything=True)  # nothing left to post again
        mail = await pipeline.storage.replies_after("chat-1", 0, limit=10)
    assert [reply.text for _, reply in mail] == ["lệ phí? #1", "part 2"]
    assert channel.sent == [] and channel.woken == ["chat-1", "chat-1"]
    assert rows(db, "SELECT status FROM outbox") == [("delivered",), ("delivered",)]
    assert rows(db, "SELECT outcome FROM compliance_log") == [("answered",)]
