"""The SQLite store: schema migrations, duplicates, pseudonyms, state across a restart, the outbox."""

from __future__ import annotations

import datetime as dt
import sqlite3
import stat
from pathlib import Path

import pytest
from fakes.aio import async_test
from fakes.clocks import ManualClock

from bot._config import Config, Secrets
from bot.storage import MIGRATIONS, PSEUDONYM_KEY_FILE, Storage, load_pseudonym_key
from handlers import Button, IncomingMessage, Reply
from tickets import WARD_TZ, SchemaTooNewError, timestamp_text

KEY = b"test-key"


def message(
    text: str = "xin chào", *, channel: str = "telegram", chat: str = "chat-1", message_id: str = "", user: str = "42"
) -> IncomingMessage:
    return IncomingMessage(channel=channel, chat_id=chat, user_id=user, text=text, message_id=message_id)


def rows(path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute(sql).fetchall()


@async_test
async def test_a_moment_is_stored_as_fixed_width_utc_text_the_same_in_every_store(tmp_path: Path) -> None:
    # timestamp_text is the one encoding: this store, the ticket store and the reports use it.
    assert timestamp_text(dt.datetime(2026, 11, 20, 8, 0, 0, 123_987, tzinfo=WARD_TZ)) == "2026-11-20T01:00:00.123+00:00"
    assert timestamp_text(dt.datetime(2026, 11, 20, 1, 0, tzinfo=dt.UTC)) == "2026-11-20T01:00:00.000+00:00"
    with pytest.raises(ValueError, match="timezone-aware"):
        timestamp_text(dt.datetime(2026, 11, 20, 8, 0))  # naive: its zone would be a guess
    clock = ManualClock(dt.datetime(2026, 11, 20, 8, 0, 0, 500_000, tzinfo=WARD_TZ))
    async with await Storage.open(tmp_path / "s.sqlite3", pseudonym_key=b"k" * 32, clock=clock) as storage:
        await storage.record_inbound(message("xin chào"))
    assert rows(tmp_path / "s.sqlite3", "SELECT received_at FROM messages") == [("2026-11-20T01:00:00.500+00:00",)]


@async_test
async def test_a_new_file_gets_every_migration_once(tmp_path: Path) -> None:
    path = tmp_path / "data" / "bot.sqlite3"
    for _ in range(2):
        storage = await Storage.open(path, pseudonym_key=KEY)
        await storage.close()
    assert rows(path, "PRAGMA user_version") == [(len(MIGRATIONS),)]
    assert rows(path, "PRAGMA journal_mode") == [("wal",)]
    tables = {name for (name,) in rows(path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"messages", "outbox", "conversations", "unanswered", "votes", "compliance_log"} <= tables


@async_test
async def test_a_file_from_a_newer_wardbot_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(SchemaTooNewError, match="newer"):
        await Storage.open(path, pseudonym_key=KEY)


@async_test
async def test_duplicate_deliveries_are_dropped_per_channel_and_chat(tmp_path: Path) -> None:
    async with await Storage.open(tmp_path / "bot.sqlite3", pseudonym_key=KEY) as storage:
        first, again, other_channel, other_chat, plain, plain_again = [
            await storage.record_inbound(message(message_id="7")),
            await storage.record_inbound(message(message_id="7")),  # the platform delivered it again
            await storage.record_inbound(message(message_id="7", channel="web")),  # ids are per channel
            await storage.record_inbound(message(message_id="7", chat="chat-2")),  # Telegram: per chat
            await storage.record_inbound(message()),  # no platform id: never a duplicate
            await storage.record_inbound(message()),
        ]
    assert again is None
    assert len({first, other_channel, other_chat, plain, plain_again}) == 5


@async_test
async def test_user_ids_are_stored_only_as_keyed_pseudonyms(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    async with await Storage.open(path, pseudonym_key=KEY) as storage:
        msg = message(user="987654321")
        await storage.record_inbound(msg)
        await storage.record_unanswered(msg, "giấy phép nuôi chó?")
        await storage.record_vote(msg, "1.001193", helpful=True)
        pseudonym = storage.pseudonym("telegram", "987654321")
        other_channel = storage.pseudonym("zalo", "987654321")
    async with await Storage.open(path, pseudonym_key=b"another key") as storage:
        other_key = storage.pseudonym("telegram", "987654321")
    assert len({pseudonym, other_channel, other_key}) == 3
    assert "987654321" not in pseudonym
    for table in ("unanswered", "votes"):
        assert rows(path, f"SELECT user FROM {table}") == [(pseudonym,)]
    assert rows(path, "SELECT user FROM messages") == [(pseudonym,)]
    assert rows(path, "SELECT question FROM unanswered") == [("giấy phép nuôi chó?",)]
    assert rows(path, "SELECT entry_id, helpful FROM votes") == [("1.001193", 1)]


def test_the_pseudonym_key_comes_from_the_environment_or_is_generated_once(tmp_path: Path) -> None:
    from_env = Config(data_dir=tmp_path, secrets=Secrets(pseudonym_key="k"))
    assert load_pseudonym_key(from_env) == b"k"
    assert not (tmp_path / PSEUDONYM_KEY_FILE).exists()
    generated = Config(data_dir=tmp_path / "data")
    key = load_pseudonym_key(generated)
    assert len(key) == 64 and load_pseudonym_key(generated) == key
    file = tmp_path / "data" / PSEUDONYM_KEY_FILE
    assert stat.S_IMODE(file.stat().st_mode) == 0o600


@async_test
async def test_dialogue_state_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    conversation = ("telegram", "chat-1")
    async with await Storage.open(path, pseudonym_key=KEY) as storage:
        before = await storage.load_state(conversation)
        await storage.save_state(conversation, {"procedure": "1.001193", "choices": ["a", "b"], "note": "hộ tịch"})
        await storage.save_state(conversation, {"procedure": "2.000001"})
    async with await Storage.open(path, pseudonym_key=KEY) as storage:
        states = before, await storage.load_state(conversation), await storage.load_state(("web", "chat-1"))
    assert states == (None, {"procedure": "2.000001"}, None)

@async_test
async def test_a_turn_is_settled_once_its_replies_are_delivered(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "bot.sqlite3"
    replies = [Reply("Thủ tục A", ((Button("Xem thêm", data="more:A"), Button("Cổng", url="https://x.vn")),)), Reply("👍/👎")]
    async with await Storage.open(path, pseudonym_key=KEY, clock=clock) as storage:
        message_id = await storage.record_inbound(message(message_id="1"))
        clock.advance(0.2)
        pending = await storage.record_turn(message_id, replies, outcome="answered", entry_id="A", score=0.83)
        assert [p.reply for p in pending] == replies  # buttons survive the JSON round trip
        clock.advance(0.1)
        await storage.mark_delivered(pending[0].id)
        waiting = await storage.settle(message_id)
        clock.advance(0.3)
        await storage.mark_delivered(pending[1].id)
        settled = await storage.settle(message_id)
        again = await storage.settle(message_id)
    assert waiting is None and again is None
    assert settled.answered and settled.latency_ms == 600 and settled.outcome == "answered"
    assert rows(path, "SELECT status, payload FROM messages") == [("answered", None)]
    assert rows(path, "SELECT channel, received_at, replied_at, latency_ms, outcome, entry_id, score FROM compliance_log") == [
        ("telegram", "2026-11-20T08:00:00.000+00:00", "2026-11-20T08:00:00.600+00:00", 600, "answered", "A", 0.83)
    ]


@async_test
async def test_a_reply_that_failed_for_good_settles_the_message_as_failed(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "bot.sqlite3"
    async with await Storage.open(path, pseudonym_key=KEY, clock=clock) as storage:
        message_id = await storage.record_inbound(message())
        (pending,) = await storage.record_turn(message_id, [Reply("x")], outcome="abstained")
        await storage.record_delivery_failure(pending.id, "blocked by the user", retry_at=None)
        settled = await storage.settle(message_id)
    assert not settled.answered and settled.latency_ms is None
    assert rows(path, "SELECT status, attempts, last_error FROM outbox") == [("failed", 1, "blocked by the user")]
    assert rows(path, "SELECT replied_at, latency_ms, outcome FROM compliance_log") == [(None, None, "abstained")]


# --- Each state change is one transaction ---------------------------------------------------------


class FailingConnection:
    """Stands in for the SQLite connection and fails the ``fail_at``-th write statement, as a
    crash or a full disk between two writes would; everything else goes to the real one."""

    WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")

    def __init__(self, real: sqlite3.Connection, fail_at: int | None) -> None:
        self._real = real
        self.fail_at = fail_at
        self.writes = 0

    def execute(self, sql: str, *args: object) -> sqlite3.Cursor:
        if sql.lstrip().upper().startswith(self.WRITES):
            self.writes += 1
            if self.writes == self.fail_at:
                raise sqlite3.OperationalError("disk I/O error (simulated)")
        return self._real.execute(sql, *args)

    def __getattr__(self, name: str) -> object:
        return getattr(self._real, name)


def snapshot(path: Path) -> dict[str, list[tuple]]:
    tables = ("messages", "outbox", "compliance_log", "web_mailbox", "conversations")
    return {table: rows(path, f"SELECT * FROM {table} ORDER BY rowid") for table in tables}


async def handled_with_two_replies(storage: Storage) -> int:
    message_id = await storage.record_inbound(message(message_id="1"))
    assert message_id is not None and await storage.claim(message_id)
    return message_id


async def delivered(storage: Storage) -> int:
    message_id = await handled_with_two_replies(storage)
    for pending in await storage.record_turn(message_id, [Reply("a"), Reply("b")], outcome="answered"):
        await storage.mark_delivered(pending.id)
    return message_id


async def turn(storage: Storage, message_id: int) -> None:
    await storage.record_turn(message_id, [Reply("a"), Reply("b")], outcome="answered")


async def failure(storage: Storage, message_id: int) -> None:
    await storage.record_delivery_failure((await storage.pending_replies(message_id))[0].id, "gone", retry_at=None)


async def held(storage: Storage, message_id: int) -> None:
    await storage.hold_replies((await storage.pending_replies(message_id))[0].id, "outside the window")


async def settled(storage: Storage, message_id: int) -> None:
    await storage.settle(message_id)


async def given_up(storage: Storage, message_id: int) -> None:
    await storage.give_up(message_id)


async def with_turn(storage: Storage) -> int:
    message_id = await handled_with_two_replies(storage)
    await turn(storage, message_id)
    return message_id


async def posted_and_acknowledged(storage: Storage, _: int) -> None:
    await storage.acknowledge("s", 10**18)


async def moved_to_the_mailbox(storage: Storage, message_id: int) -> None:
    await storage.post_pending((await storage.pending_replies(message_id))[0].id)


async def with_mail(storage: Storage) -> int:
    await storage.post("s", Reply("một"))
    await storage.post("s", Reply("hai"))
    return 0


@pytest.mark.parametrize(
    ("prepare", "change", "writes"),
    [
        (handled_with_two_replies, turn, 2),  # the message handled, its replies queued
        (with_turn, failure, 2),  # the reply failed, and the one after it with it
        (with_turn, held, 1),
        (delivered, settled, 2),  # the message answered, its compliance log row
        (handled_with_two_replies, given_up, 2),
        (with_mail, posted_and_acknowledged, 1),
        (with_turn, moved_to_the_mailbox, 2),  # a web reply posted and marked delivered
    ],
)
@async_test
async def test_a_state_change_is_all_written_or_not_at_all(tmp_path: Path, prepare, change, writes: int) -> None:
    """Fails each write of a change in turn: the database is left as it was before the change,
    never half-way (a message "handled" with no replies, "answered" with no log row)."""
    path = tmp_path / "bot.sqlite3"
    async with await Storage.open(path, pseudonym_key=KEY) as storage:
        subject = await prepare(storage)
        before = snapshot(path)
        real = storage._db.conn
        for fail_at in range(1, writes + 1):
            storage._db.conn = FailingConnection(real, fail_at)
            with pytest.raises(sqlite3.OperationalError, match="simulated"):
                await change(storage, subject)
            assert snapshot(path) == before, f"write {fail_at} of {writes} failed"
        storage._db.conn = counting = FailingConnection(real, None)
        await change(storage, subject)
        assert counting.writes == writes and snapshot(path) != before
        storage._db.conn = real


@async_test
async def test_the_web_mailbox_keeps_replies_in_order_until_acknowledged(tmp_path: Path, clock: ManualClock) -> None:
    async with await Storage.open(tmp_path / "bot.sqlite3", pseudonym_key=KEY, clock=clock) as storage:
        first = await storage.post("s", Reply("một", ((Button("Có", data="yes"),),)))
        second = await storage.post("s", Reply("hai"))
        await storage.post("other", Reply("khác"))
        assert first < second and first >= clock().timestamp() * 1_000_000  # above any old cursor
        assert await storage.replies_after("s", 0, limit=10) == [
            (first, Reply("một", ((Button("Có", data="yes"),),))),
            (second, Reply("hai")),
        ]
        assert await storage.replies_after("s", first, limit=10) == [(second, Reply("hai"))]
        assert await storage.replies_after("s", 0, limit=1) == [(first, Reply("một", ((Button("Có", data="yes"),),)))]
        assert await storage.acknowledge("s", first) == 1
        assert await storage.acknowledge("s", first) == 0
        assert await storage.acknowledge("s", second) == 1
