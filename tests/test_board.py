"""The leaders' deadline board: on-time rates of the month and the quarter (the report's own
figures), late tickets with reasons and working days late, overdue and due-soon tickets, load."""

from __future__ import annotations

import datetime as dt

from fakes.aio import async_test
from fakes.clocks import ManualClock

from bot.reports import build_board, build_report, parse_period
from tickets import DEFAULT_POLICIES, WARD_TZ, Category, DeadlineState, TicketStore, WorkingCalendar

CALENDAR = WorkingCalendar.from_file()


def at(day: int, month: int = 11, hour: int = 9) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=WARD_TZ)


@async_test
async def test_the_board_agrees_with_the_report_and_lists_what_is_late_and_urgent(tmp_path) -> None:
    clock = ManualClock(at(2, 10))
    path = tmp_path / "tickets.sqlite3"
    async with await TicketStore.open(path, clock=clock) as store:

        async def file(received: dt.datetime) -> str:
            clock.now = received
            due = CALENDAR.due(received, 10)
            ticket = await store.create(Category.FEEDBACK, channel="web", chat_id="c", user="u", text="t", due_at=due)
            return ticket.code

        async def close(code: str, moment: dt.datetime, by: str) -> None:
            clock.now = moment
            ticket = await store.reply(code, "Đã xử lý", actor=by, expected_version=None)
            await store.close_ticket(code, actor=by, expected_version=ticket.version)

        on_time = await file(at(2))  # due Mon 16/11, closed Fri 13/11
        await close(on_time, at(13), "console:lan")
        late_closed = await file(at(3))  # due Tue 17/11, closed Thu 19/11: two working days late
        await store.claim(late_closed, actor="console:minh", expected_version=None)
        await store.note(late_closed, "Chờ điện lực phối hợp", actor="console:minh")
        await close(late_closed, at(19), "console:minh")
        overdue = await file(at(4))  # due Wed 18/11, still open
        await store.claim(overdue, actor="console:minh", expected_version=None)
        soon = await file(at(9))  # due Mon 23/11: within the two working days' warning on Fri 20/11
        await store.claim(soon, actor="console:lan", expected_version=None)
        later = await file(at(19))  # due 3/12
        now = at(20, hour=10)
        clock.now = now
        board = await build_board(store, CALENDAR, DEFAULT_POLICIES, now=now)
    quarter = build_report(
        parse_period("2026-Q4"), tickets_path=path, bot_path=tmp_path / "none", calendar=CALENDAR, now=now
    )
    assert (board.quarter.due, board.quarter.on_time) == (quarter.due, quarter.on_time) == (3, 1)
    assert board.month.period.label == "2026-11" and (board.month.due, board.month.on_time) == (3, 1)
    assert board.quarter.rate == quarter.on_time_rate
    assert [(t.item.code, t.item.reason, t.working_days_late) for t in board.late] == [
        (overdue, "", 2),
        (late_closed, "Chờ điện lực phối hợp", 2),
    ]
    assert [(u.ticket.code, u.state) for u in board.urgent] == [
        (overdue, DeadlineState.OVERDUE),
        (soon, DeadlineState.DUE_SOON),
    ]
    assert later not in [u.ticket.code for u in board.urgent]
    assert [(o.official, o.open_assigned, o.overdue, o.answered_this_month) for o in board.load] == [
        ("console:lan", 1, 0, 1),
        ("console:minh", 1, 1, 1),
    ]
