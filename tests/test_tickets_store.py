"""The ticket store: codes, the transition table, optimistic concurrency, replay, lookup secrets
and the append-only history."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from fakes.aio import async_test
from fakes.clocks import ManualClock

from tickets import (
    Category,
    EventKind,
    SchemaTooNewError,
    Status,
    Ticket,
    TicketConflict,
    TicketNotFound,
    TicketStateError,
    TicketStore,
)
from tickets._store import MIGRATIONS

DUE = dt.datetime(2026, 12, 4, 10, 0, tzinfo=dt.UTC)
ALL = {s.value for s in Status}
OPEN = {"new", "assigned", "reopened"}

# The transition table, written out independently of the code: event -> statuses it is allowed in.
ALLOWED = {
    "claim": {"new", "reopened"},
    "assign": OPEN,
    "reply": OPEN,
    "deliver": {"answered", "closed"},
    "close": {"answered"},
    "reopen": {"answered", "closed"},
    "note": ALL,
    "pause": OPEN,
    "due_change": OPEN,
}
# The status an allowed event leads to; absent: unchanged.
LEADS_TO = {"claim": "assigned", "assign": "assigned", "reply": "answered", "close": "closed", "reopen": "reopened"}


def db_rows(path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute(sql, params).fetchall()


async def open_store(path: Path, clock: ManualClock | None = None) -> TicketStore:
    return await TicketStore.open(path, clock=clock or ManualClock())


async def file_ticket(store: TicketStore, category: Category = Category.FEEDBACK, **fields) -> Ticket:
    values = {
        "channel": "telegram",
        "chat_id": "chat-1",
        "user": "pseudonym-1",
        "text": "Đèn đường hỏng",
        "due_at": DUE,
    }
    return await store.create(category, **{**values, **fields})


async def ticket_in(store: TicketStore, status: str) -> Ticket:
    """A ticket brought to ``status`` by lan."""
    ticket = await file_ticket(store)
    steps = {
        "new": [],
        "assigned": ["claim"],
        "answered": ["reply"],
        "closed": ["reply", "close"],
        "reopened": ["reply", "close", "reopen"],
    }[status]
    for step in steps:
        ticket = await act(store, step, ticket, actor="lan")
    assert ticket.status.value == status
    return ticket


async def act(store: TicketStore, kind: str, ticket: Ticket, *, actor: str = "minh") -> Ticket:
    """Do ``kind`` to ``ticket`` as ``actor``, at the version the caller saw."""
    code, version = ticket.code, ticket.version
    match kind:
        case "claim":
            return await store.claim(code, actor=actor, expected_version=version)
        case "assign":
            return await store.assign(code, "hung", actor=actor, expected_version=version)
        case "reply":
            return await store.reply(code, "Đã sửa xong.", actor=actor, expected_version=version)
        case "deliver":
            return await store.record_delivery(code, delivered=True, expected_version=version)
        case "close":
            return await store.close_ticket(code, actor=actor, expected_version=version)
        case "reopen":
            return await store.reopen(code, "vẫn hỏng", actor=actor, expected_version=version)
        case "note":
            return await store.note(code, "gọi lại sau", actor=actor, expected_version=version)
        case "pause":
            return await store.pause(code, "cần địa chỉ cụ thể", actor=actor, expected_version=version)
        case "due_change":
            return await store.change_due(
                code, DUE + dt.timedelta(days=3), "xin lỗi", actor=actor, expected_version=version
            )
    raise AssertionError(kind)


# --- Schema ---------------------------------------------------------------------------------------


@async_test
async def test_a_new_file_gets_its_own_migrations_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "data" / "tickets.sqlite3"

    for _ in range(2):
        await (await open_store(path)).close()

    assert db_rows(path, "PRAGMA user_version") == [(len(MIGRATIONS),)]
    assert db_rows(path, "PRAGMA journal_mode") == [("wal",)]
    tables = {name for (name,) in db_rows(path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"tickets", "ticket_events", "ticket_sequences", "ticket_sources"}


@async_test
async def test_a_file_from_a_newer_wardbot_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tickets.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(SchemaTooNewError, match="newer"):
        await open_store(path)


# --- Codes ----------------------------------------------------------------------------------------


@async_test
async def test_codes_count_per_year_of_receipt_in_vietnam_time_shared_by_both_prefixes(tmp_path: Path) -> None:
    async with await open_store(tmp_path / "t.sqlite3") as store:
        first = await file_ticket(store, received_at=dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))
        question = await file_ticket(store, Category.QUESTION, received_at=dt.datetime(2026, 5, 2, tzinfo=dt.UTC))
        # 16:59 UTC on 31 December is still 2026 in Vietnam; 17:30 UTC is already 2027.
        last_of_2026 = await file_ticket(store, received_at=dt.datetime(2026, 12, 31, 16, 59, tzinfo=dt.UTC))
        first_of_2027 = await file_ticket(store, received_at=dt.datetime(2026, 12, 31, 17, 30, tzinfo=dt.UTC))
        second_of_2027 = await file_ticket(store, Category.QUESTION, received_at=dt.datetime(2027, 1, 2, tzinfo=dt.UTC))
    codes = [t.code for t in (first, question, last_of_2026, first_of_2027, second_of_2027)]
    assert codes == ["PA-2026-000001", "HD-2026-000002", "PA-2026-000003", "PA-2027-000001", "HD-2027-000002"]


@async_test
async def test_concurrent_creates_from_two_connections_never_share_a_number(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite3"
    bot, cli = await open_store(path), await open_store(path)  # two connections, as two processes have
    try:
        tickets = await asyncio.gather(*(file_ticket(store) for _ in range(15) for store in (bot, cli)))
    finally:
        await bot.close()
        await cli.close()
    assert sorted(t.code for t in tickets) == [f"PA-2026-{n:06d}" for n in range(1, 31)]
    assert db_rows(path, "SELECT year, last FROM ticket_sequences") == [(2026, 30)]


# --- Contents -------------------------------------------------------------------------------------


@async_test
async def test_a_ticket_keeps_its_contents_and_a_contact_only_with_consent(tmp_path: Path) -> None:
    clock = ManualClock()
    async with await open_store(tmp_path / "t.sqlite3", clock) as store:
        ticket = await file_ticket(
            store,
            address="12 Lê Lợi",
            location=(10.7769, 106.7009),
            photo="photos/abc.jpg",
            contact="0912 345 678",
            contact_consent=True,
        )
        anonymous = await file_ticket(store)
        with pytest.raises(ValueError, match="consent"):
            await file_ticket(store, contact="0912 345 678")
        with pytest.raises(ValueError, match="timezone-aware"):
            await file_ticket(store, due_at=dt.datetime(2026, 12, 4))
        assert await store.get(ticket.code) == ticket
    assert (ticket.status, ticket.version, ticket.received_at) == (Status.NEW, 1, clock.now)
    assert (ticket.address, ticket.location, ticket.photo) == ("12 Lê Lợi", (10.7769, 106.7009), "photos/abc.jpg")
    assert not ticket.anonymous and anonymous.anonymous and anonymous.contact_consent is False
    assert len(ticket.secret) == 8 and ticket.secret != anonymous.secret


@async_test
async def test_lookup_needs_the_right_secret_and_says_nothing_about_unknown_codes(tmp_path: Path) -> None:
    async with await open_store(tmp_path / "t.sqlite3") as store:
        ticket = await file_ticket(store)
        assert await store.lookup(ticket.code, ticket.secret) == ticket
        assert await store.lookup(f" {ticket.code.lower()} ", ticket.secret.lower()) == ticket  # as typed in a chat
        assert await store.lookup(ticket.code, "WRONG123") is None
        assert await store.lookup(ticket.code, "") is None
        assert await store.lookup("PA-2026-999999", ticket.secret) is None


# --- Transitions ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", sorted(ALL))
@pytest.mark.parametrize("kind", sorted(ALLOWED))
@async_test
async def test_every_transition_is_allowed_or_refused_as_the_table_says(tmp_path: Path, kind: str, status: str) -> None:
    async with await open_store(tmp_path / "t.sqlite3") as store:
        ticket = await ticket_in(store, status)
        if status in ALLOWED[kind]:
            after = await act(store, kind, ticket)
            assert after.status.value == LEADS_TO.get(kind, status)
            assert after.version == ticket.version + 1
            assert (await store.events(ticket.code))[-1].kind is EventKind(kind)
        else:
            with pytest.raises(TicketStateError, match=f"{ticket.code}: cannot .* that is {status} \\(only when"):
                await act(store, kind, ticket)
            assert await store.get(ticket.code) == ticket  # nothing written
            assert len(await store.events(ticket.code)) == ticket.version


@pytest.mark.parametrize(
    ("status", "kind", "message"),
    [
        (
            "new",
            "close",
            "cannot close a ticket that is new \\(only when answered\\); it has no answer yet; reply first",
        ),
        ("closed", "reply", "cannot reply to a ticket that is closed .*; reopen it first"),
        ("answered", "reply", "cannot reply to a ticket that is answered .*; reopen it first"),
        ("assigned", "claim", "it is assigned to lan; assign it to hand it over"),
        ("new", "deliver", "there is no answer to deliver"),
    ],
)
@async_test
async def test_refusals_say_what_to_do_instead(tmp_path: Path, status: str, kind: str, message: str) -> None:
    async with await open_store(tmp_path / "t.sqlite3") as store:
        ticket = await ticket_in(store, status)
        with pytest.raises(TicketStateError, match=message):
            await act(store, kind, ticket)


@async_test
async def test_guards_beyond_the_status(tmp_path: Path) -> None:
    async with await open_store(tmp_path / "t.sqlite3") as store:
        ticket = await ticket_in(store, "assigned")
        with pytest.raises(TicketStateError, match="already assigned to lan"):
            await store.assign(ticket.code, "lan", actor="minh", expected_version=ticket.version)
        with pytest.raises(TicketStateError, match="not paused"):
            await store.resume(ticket.code, actor="lan", expected_version=ticket.version)
        ticket = await act(store, "pause", ticket, actor="lan")
        with pytest.raises(TicketStateError, match="already paused"):
            await act(store, "pause", ticket, actor="lan")
        with pytest.raises(TicketStateError, match="paused waiting for the citizen; resume it first"):
            await act(store, "reply", ticket, actor="lan")


@async_test
async def test_a_reply_to_an_unassigned_ticket_assigns_it_to_the_replier(tmp_path: Path) -> None:
    async with await open_store(tmp_path / "t.sqlite3") as store:
        ticket = await act(store, "reply", await file_ticket(store), actor="lan")
    assert (ticket.status, ticket.assignee, ticket.answer, ticket.delivery) == (
        Status.ANSWERED,
        "lan",
        "Đã sửa xong.",
        None,
    )


@async_test
async def test_pause_and_resume_are_events_with_their_reason_and_time(tmp_path: Path) -> None:
    clock = ManualClock()
    async with await open_store(tmp_path / "t.sqlite3", clock) as store:
        ticket = await ticket_in(store, "assigned")
        clock.advance(3600)
        paused = await act(store, "pause", ticket, actor="lan")
        clock.advance(2 * 86400)
        resumed = await store.resume(ticket.code, actor="lan", expected_version=paused.version)
        moved = await store.change_due(
            ticket.code,
            DUE + dt.timedelta(days=2),
            "citizen took 2 days",
            actor="lan",
            expected_version=resumed.version,
        )
        events = await store.events(ticket.code)
    assert (paused.paused, resumed.paused, resumed.status) == (True, False, Status.ASSIGNED)
    assert [(e.kind.value, e.at) for e in events[-3:]] == [
        ("pause", ManualClock().now + dt.timedelta(hours=1)),
        ("resume", clock.now),
        ("due_change", clock.now),
    ]
    assert events[-3].data == {"reason": "cần địa chỉ cụ thể"}
    assert moved.due_at == DUE + dt.timedelta(days=2)
    assert events[-1].data == {"due_at": "2026-12-06T10:00:00.000+00:00", "reason": "citizen took 2 days"}


# --- History --------------------------------------------------------------------------------------


@async_test
async def test_replay_of_the_events_equals_the_stored_row(tmp_path: Path) -> None:
    clock = ManualClock()
    async with await open_store(tmp_path / "t.sqlite3", clock) as store:
        ticket = await file_ticket(store, contact="lan@example.vn", contact_consent=True, location=(21.0, 105.8))
        for kind in ("claim", "note", "pause"):
            clock.advance(60)
            ticket = await act(store, kind, ticket, actor="lan")
        ticket = await store.resume(ticket.code, actor="lan", expected_version=ticket.version)
        for kind in ("due_change", "assign", "reply", "deliver", "close", "reopen", "reply"):
            clock.advance(60)
            ticket = await act(store, kind, ticket, actor="hung")
        ticket = await store.record_delivery(ticket.code, delivered=False, error="Forbidden: bot was blocked")
        ticket = await act(store, "close", ticket)
        stored = await store.get(ticket.code)
        replayed = await store.replay(ticket.code)
        events = await store.events(ticket.code)
    assert replayed == stored == ticket
    assert [e.seq for e in events] == list(range(1, 15)) and ticket.version == 14
    assert (stored.status, stored.delivery, stored.assignee) == (Status.CLOSED, "failed", "hung")


@async_test
async def test_the_history_is_append_only_in_sql(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite3"
    async with await open_store(path) as store:
        ticket = await act(store, "claim", await file_ticket(store))
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db_rows(path, "UPDATE ticket_events SET actor = 'someone else' WHERE ticket = ?", (ticket.code,))
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db_rows(path, "DELETE FROM ticket_events WHERE ticket = ?", (ticket.code,))
    assert db_rows(path, "SELECT seq, actor, kind FROM ticket_events ORDER BY seq") == [
        (1, "citizen", "create"),
        (2, "minh", "claim"),
    ]


# --- Two officials at once ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["claim", "reply"])
@async_test
async def test_two_officials_acting_at_once_one_wins_the_other_gets_a_conflict(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "t.sqlite3"
    bot, cli = await open_store(path), await open_store(path)
    try:
        ticket = await file_ticket(bot)
        results = await asyncio.gather(
            act(bot, kind, ticket, actor="lan"), act(cli, kind, ticket, actor="minh"), return_exceptions=True
        )
        now = await bot.get(ticket.code)
        events = await bot.events(ticket.code)
    finally:
        await bot.close()
        await cli.close()
    winners = [r for r in results if isinstance(r, Ticket)]
    conflicts = [r for r in results if isinstance(r, TicketConflict)]
    assert len(winners) == 1 and len(conflicts) == 1
    assert conflicts[0].current == winners[0] == now
    assert f"{ticket.code} was changed meanwhile: now version 2" in str(conflicts[0])
    assert [e.kind.value for e in events] == ["create", kind]


@async_test
async def test_changes_without_a_version_still_obey_the_table(tmp_path: Path) -> None:
    async with await open_store(tmp_path / "t.sqlite3") as store:
        ticket = await file_ticket(store)
        claims = await asyncio.gather(
            store.claim(ticket.code, actor="lan", expected_version=None),
            store.claim(ticket.code, actor="minh", expected_version=None),
            return_exceptions=True,
        )
    assert isinstance(claims[0], Ticket) and claims[0].assignee == "lan"
    assert isinstance(claims[1], TicketStateError)


# --- Queries --------------------------------------------------------------------------------------


@async_test
async def test_queries_by_status_category_time_and_due_date(tmp_path: Path) -> None:
    clock = ManualClock(dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC))
    async with await open_store(tmp_path / "t.sqlite3", clock) as store:
        early = await file_ticket(store, due_at=DUE - dt.timedelta(days=10))
        clock.advance(86400)
        question = await file_ticket(store, Category.QUESTION, due_at=DUE)
        answered = await act(store, "reply", await file_ticket(store, due_at=DUE + dt.timedelta(days=1)))
        assert [t.code for t in await store.list()] == [early.code, question.code, answered.code]
        assert await store.list(status="answered") == [answered]
        assert await store.list(status=Status.NEW, category=Category.QUESTION) == [question]
        assert await store.list(since=clock.now) == [question, answered]
        assert await store.due_between(DUE, DUE + dt.timedelta(days=1)) == [question]
        assert await store.due_between(DUE - dt.timedelta(days=30), DUE + dt.timedelta(days=2)) == [
            early,
            question,
            answered,
        ]
        assert await store.get(f" {question.code.lower()}") == question
        with pytest.raises(TicketNotFound, match="PA-2026-999999"):
            await store.get("PA-2026-999999")
        with pytest.raises(TicketNotFound):
            await store.events("PA-2026-999999")
        with pytest.raises(TicketNotFound):
            await store.reply("PA-2026-999999", "?", actor="lan", expected_version=1)


@async_test
async def test_filing_again_from_the_same_message_returns_the_ticket_it_filed(tmp_path: Path) -> None:
    """The message that confirmed a ticket may be handled twice (the bot crashed after filing it
    and before recording the turn): the second time finds the first ticket."""
    path = tmp_path / "t.sqlite3"
    async with await open_store(path) as store:
        first = await file_ticket(store, source="zalo:123:msg-9")
        again = await file_ticket(store, source="zalo:123:msg-9", text="Đèn đường hỏng (lần 2)")
        other = await file_ticket(store, source="zalo:123:msg-10")
        unsourced = [await file_ticket(store), await file_ticket(store)]
    assert again == first
    assert [t.code for t in (first, other, *unsourced)] == [f"PA-2026-{n:06d}" for n in range(1, 5)]
    assert db_rows(path, "SELECT COUNT(*) FROM ticket_events WHERE kind = 'create'") == [(4,)]
