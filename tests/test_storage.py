"""The SQLite store: schema migrations, duplicates, pseudonyms, state across a restart, the outbox."""

from __future__ import annotations

import asyncio
import sqlite3
import stat
from pathlib import Path

import pytest
from conftest import ManualClock

from bot._config import Config, Secrets
from bot._storage import MIGRATIONS, PSEUDONYM_KEY_FILE, Storage, load_pseudonym_key
from handlers import Button, IncomingMessage, Reply
from tickets import SchemaTooNewError

KEY = b"test-key"


def message(
    text: str = "xin chào", *, channel: str = "telegram", chat: str = "chat-1", message_id: str = "", user: str = "42"
) -> IncomingMessage:
    return IncomingMessage(channel=channel, chat_id=chat, user_id=user, text=text, message_id=message_id)


def rows(path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute(sql).fetchall()


def test_a_new_file_gets_every_migration_once(tmp_path: Path) -> None:
    path = tmp_path / "data" / "bot.sqlite3"

    async def open_twice() -> None:
        for _ in range(2):
            storage = await Storage.open(path, pseudonym_key=KEY)
            await storage.close()

    asyncio.run(open_twice())
    assert rows(path, "PRAGMA user_version") == [(len(MIGRATIONS),)]
    assert rows(path, "PRAGMA journal_mode") == [("wal",)]
    tables = {name for (name,) in rows(path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"messages", "outbox", "conversations", "unanswered", "votes", "compliance_log"} <= tables


def test_a_file_from_a_newer_wardbot_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(SchemaTooNewError, match="newer"):
        asyncio.run(Storage.open(path, pseudonym_key=KEY))


def test_duplicate_deliveries_are_dropped_per_channel_and_chat(tmp_path: Path) -> None:
    async def scenario() -> list[int | None]:
        async with await Storage.open(tmp_path / "bot.sqlite3", pseudonym_key=KEY) as storage:
            return [
                await storage.record_inbound(message(message_id="7")),
                await storage.record_inbound(message(message_id="7")),  # the platform delivered it again
                await storage.record_inbound(message(message_id="7", channel="web")),  # ids are per channel
                await storage.record_inbound(message(message_id="7", chat="chat-2")),  # Telegram: per chat
                await storage.record_inbound(message()),  # no platform id: never a duplicate
                await storage.record_inbound(message()),
            ]

    first, again, other_channel, other_chat, plain, plain_again = asyncio.run(scenario())
    assert again is None
    assert len({first, other_channel, other_chat, plain, plain_again}) == 5


def test_user_ids_are_stored_only_as_keyed_pseudonyms(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"

    async def scenario() -> tuple[str, str, str]:
        async with await Storage.open(path, pseudonym_key=KEY) as storage:
            msg = message(user="987654321")
            await storage.record_inbound(msg)
            await storage.record_unanswered(msg, "giấy phép nuôi chó?")
            await storage.record_vote(msg, "1.001193", helpful=True)
            same = storage.pseudonym("telegram", "987654321")
            other_channel = storage.pseudonym("zalo", "987654321")
        async with await Storage.open(path, pseudonym_key=b"another key") as storage:
            other_key = storage.pseudonym("telegram", "987654321")
        return same, other_channel, other_key

    pseudonym, other_channel, other_key = asyncio.run(scenario())
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


def test_dialogue_state_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    conversation = ("telegram", "chat-1")

    async def scenario() -> tuple[object, object, object]:
        async with await Storage.open(path, pseudonym_key=KEY) as storage:
            before = await storage.load_state(conversation)
            await storage.save_state(conversation, {"procedure": "1.001193", "choices": ["a", "b"], "note": "hộ tịch"})
            await storage.save_state(conversation, {"procedure": "2.000001"})
        async with await Storage.open(path, pseudonym_key=KEY) as storage:
            return before, await storage.load_state(conversation), await storage.load_state(("web", "chat-1"))

    assert asyncio.run(scenario()) == (None, {"procedure": "2.000001"}, None)


def test_a_turn_is_settled_once_its_replies_are_delivered(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "bot.sqlite3"
    replies = [Reply("Thủ tục A", ((Button("Xem thêm", data="more:A"), Button("Cổng", url="https://x.vn")),)), Reply("👍/👎")]

    async def scenario() -> tuple[object, object, object]:
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
            return waiting, settled, await storage.settle(message_id)

    waiting, settled, again = asyncio.run(scenario())
    assert waiting is None and again is None
    assert settled.answered and settled.latency_ms == 600 and settled.outcome == "answered"
    assert rows(path, "SELECT status, payload FROM messages") == [("answered", None)]
    assert rows(path, "SELECT channel, received_at, replied_at, latency_ms, outcome, entry_id, score FROM compliance_log") == [
        ("telegram", "2026-11-20T08:00:00.000+00:00", "2026-11-20T08:00:00.600+00:00", 600, "answered", "A", 0.83)
    ]


def test_a_reply_that_failed_for_good_settles_the_message_as_failed(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "bot.sqlite3"

    async def scenario() -> object:
        async with await Storage.open(path, pseudonym_key=KEY, clock=clock) as storage:
            message_id = await storage.record_inbound(message())
            (pending,) = await storage.record_turn(message_id, [Reply("x")], outcome="abstained")
            await storage.record_delivery_failure(pending.id, "blocked by the user", retry_at=None)
            return await storage.settle(message_id)

    settled = asyncio.run(scenario())
    assert not settled.answered and settled.latency_ms is None
    assert rows(path, "SELECT status, attempts, last_error FROM outbox") == [("failed", 1, "blocked by the user")]
    assert rows(path, "SELECT replied_at, latency_ms, outcome FROM compliance_log") == [(None, None, "abstained")]
