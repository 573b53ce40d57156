"""Removing a citizen's personal data from tickets: the ``redact`` event, the earlier events
blanked in the file itself, the triggers that allow nothing else; the text redaction it uses; and
database files that only their owner can read."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import stat
from pathlib import Path

import pytest
from fakes.aio import async_test
from fakes.clocks import ManualClock

from bot.storage import Storage
from tickets import REDACTED, Category, EventKind, Status, TicketStore, contact_values, redact_text
from tickets._sqlite import connect
from tickets._store import MIGRATIONS

CONTACT = "Chị Lan, 0905 123 456"
NUMBER_FORMS = ("0905 123 456", "0905123456", "0905.123.456")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("gọi 0905 123 456 nhé", f"gọi {REDACTED} nhé"),
        ("sđt:0905.123.456", f"sđt:{REDACTED}"),
        ("+84 905 123 456", REDACTED),
        ("máy bàn 0236 3822 111", f"máy bàn {REDACTED}"),
        ("CCCD 001099012345", f"CCCD {REDACTED}"),
        ("thư lan.nguyen@example.vn", f"thư {REDACTED}"),
        # Amounts, dates, ticket codes and the hotline are no one's personal data.
        ("phí 1.000.000.000 đồng", "phí 1.000.000.000 đồng"),
        ("hạn 05/03/2026", "hạn 05/03/2026"),
        ("tra cứu PA-2026-000123", "tra cứu PA-2026-000123"),
        ("gọi 1022", "gọi 1022"),
    ],
)
def test_a_citizens_text_loses_phone_numbers_id_numbers_and_emails(text: str, expected: str) -> None:
    assert redact_text(text) == expected


def test_known_values_go_from_anyones_text_in_any_grouping_and_short_ones_are_left() -> None:
    values = contact_values(CONTACT)
    assert values == [CONTACT, "0905 123 456"]
    official = "Đã gọi chị Lan, 0905 123 456 và 0905123456; hotline 0236 3822 111"
    assert redact_text(official, values, personal=False) == f"Đã gọi {REDACTED} và {REDACTED}; hotline 0236 3822 111"
    # A value of one or two characters would blank ordinary words.
    assert redact_text("A đến số 12", ["A", "12"], personal=False) == "A đến số 12"
    assert contact_values("  ") == []


async def filed_and_closed(store: TicketStore, clock: ManualClock, chat_id: str = "123456789"):
    ticket = await store.create(
        Category.FEEDBACK,
        channel="telegram",
        chat_id=chat_id,
        user="pseudonym-of-lan",
        text="Ổ gà trước nhà, gọi 0905123456 khi đến",
        due_at=clock() + dt.timedelta(days=10),
        address="ngõ 12 Lê Lợi",
        location=(16.0544, 108.2022),
        photo="web-photo:" + "a" * 64 + ".jpg",
        contact=CONTACT,
        contact_consent=True,
        source=f"telegram:{chat_id}:42",  # the message that filed it, which names the chat too
    )
    clock.advance(3600)
    await store.reply(
        ticket.code, "Chị Lan, 0905 123 456: đã vá ổ gà. Hotline 1022.", actor="cli:an", expected_version=None
    )
    await store.record_delivery(ticket.code, delivered=False, error=f"chat {chat_id} not found")
    await store.close_ticket(ticket.code, actor="cli:an", expected_version=None)
    return await store.note(ticket.code, "SIPAS result: 5/5", actor="citizen", payload={"sipas": {"result": 5}})


def file_bytes(path: Path) -> bytes:
    """The database and its write-ahead log, as they lie on the disk."""
    return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())


@async_test
async def test_a_redaction_removes_personal_fields_from_the_ticket_its_replay_and_the_file(tmp_path: Path) -> None:
    path, clock = tmp_path / "tickets.sqlite3", ManualClock()
    async with await TicketStore.open(path, clock=clock) as store:
        ticket = await filed_and_closed(store, clock)
        assert (await store.unredacted_closed_before(clock.now + dt.timedelta(seconds=1))) == [ticket]
        assert await store.filed_by("telegram", "pseudonym-of-lan") == [ticket]
        clock.advance(60)
        redacted = await store.redact(ticket.code, "XD-ABCDEF0000", actor="citizen")
        events = await store.events(ticket.code)
        assert await store.replay(ticket.code) == redacted == await store.get(ticket.code)
        assert await store.redact(ticket.code, "retention") == redacted  # nothing left to remove
        assert await store.filed_by("telegram", "pseudonym-of-lan") == []
        assert await store.unredacted_closed_before(clock.now) == []
        await store.checkpoint()

    assert (redacted.chat_id, redacted.user) == ("", "")
    assert (redacted.address, redacted.location, redacted.photo, redacted.contact) == (None, None, None, None)
    assert redacted.text == f"Ổ gà trước nhà, gọi {REDACTED} khi đến"
    assert redacted.answer == f"{REDACTED}: đã vá ổ gà. Hotline 1022."
    assert redacted.redacted_at == clock.now
    # What the ward keeps: the case and how it was handled.
    assert (redacted.code, redacted.category, redacted.status, redacted.channel) == (
        ticket.code, Category.FEEDBACK, Status.CLOSED, "telegram",
    )  # fmt: skip
    assert (redacted.received_at, redacted.closed_at, redacted.assignee) == (
        ticket.received_at, ticket.closed_at, ticket.assignee,
    )  # fmt: skip
    assert [e.kind for e in events] == [
        EventKind.CREATE, EventKind.REPLY, EventKind.DELIVER, EventKind.CLOSE, EventKind.NOTE, EventKind.REDACT,
    ]  # fmt: skip
    assert events[-1].actor == "citizen" and events[-1].data == {"reason": "XD-ABCDEF0000"}
    assert events[2].data["error"] == f"chat {REDACTED} not found"
    assert events[4].data["sipas"] == {"result": 5}
    assert events[0].data["secret"] == ticket.secret  # the lookup code still opens it
    on_disk = file_bytes(path)
    for personal in (*NUMBER_FORMS, "Chị Lan", "ngõ 12 Lê Lợi", "123456789", "pseudonym-of-lan", "a" * 64, "16.0544"):
        assert personal.encode() not in on_disk, personal


@async_test
async def test_the_history_stays_append_only_except_for_what_a_later_redaction_blanks(tmp_path: Path) -> None:
    path, clock = tmp_path / "tickets.sqlite3", ManualClock()
    async with await TicketStore.open(path, clock=clock) as store:
        kept = await filed_and_closed(store, clock, chat_id="111111111")
        redacted = await filed_and_closed(store, clock, chat_id="222222222")
        await store.redact(redacted.code, "retention")

    refused = [
        ("UPDATE ticket_events SET data = '{}' WHERE ticket = ? AND seq = 1", kept.code),  # never redacted
        ("UPDATE ticket_events SET data = '{}' WHERE ticket = ? AND seq = 6", redacted.code),  # the redaction itself
        ("UPDATE ticket_events SET actor = 'x' WHERE ticket = ? AND seq = 1", redacted.code),
        ("UPDATE ticket_events SET kind = 'note' WHERE ticket = ? AND seq = 2", redacted.code),
        ("DELETE FROM ticket_events WHERE ticket = ?", redacted.code),
    ]
    with sqlite3.connect(path) as db:
        for sql, code in refused:
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                db.execute(sql, [code])


@async_test
async def test_a_file_of_the_first_schema_gains_redaction(tmp_path: Path) -> None:
    path = tmp_path / "tickets.sqlite3"
    connect(path, MIGRATIONS[:1]).close()

    clock = ManualClock()
    async with await TicketStore.open(path, clock=clock) as store:
        ticket = await filed_and_closed(store, clock)
        redacted_at = ticket.redacted_at, (await store.redact(ticket.code, "retention")).redacted_at

    assert redacted_at == (None, ManualClock().now + dt.timedelta(hours=1))
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (len(MIGRATIONS),)


@async_test
async def test_database_files_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    previous = os.umask(0o022)  # the usual umask, under which new files are world-readable
    try:
        async with (
            await TicketStore.open(tmp_path / "tickets.sqlite3") as tickets,
            await Storage.open(tmp_path / "wardbot.sqlite3", pseudonym_key=b"k") as storage,
        ):
            await filed_and_closed(tickets, ManualClock())
            await storage.save_state(("web", "s"), {"entry_id": ""})
            # While open, each has its write-ahead log and shared-memory file beside it.
            modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in tmp_path.iterdir()}
        assert os.umask(0o022) == 0o022  # opening left the process's umask as it was
    finally:
        os.umask(previous)
    names = [f"{name}.sqlite3{suffix}" for name in ("tickets", "wardbot") for suffix in ("", "-shm", "-wal")]
    assert modes == dict.fromkeys(names, 0o600)
