"""The leaders' deadline board at ``/console/board`` over the bot's real HTTP server: the figures
are ``build_board``'s, overdue tickets come first, and only leaders (and admins) may open it."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from fakes.aio import async_test
from fakes.clocks import ManualClock
from test_console_web import Running

from bot._app import Application
from bot.console import actor_name
from bot.reports import build_board
from handlers import catalogue
from tickets import WARD_TZ, Category, TicketStore

URGENT_ROW = re.compile(r'<tr class="ticket state-(\w+)">\s*<td class="code"><a href="([^"]+)">([^<]+)</a>')
LATE_ROW = re.compile(
    r'<tr class="late-ticket">\s*<td class="code"><a href="[^"]+">([^<]+)</a>.*?<td class="reason[^"]*">([^<]*)</td>'
    r'.*?<td class="number"[^>]*>(\d+)</td>',
    re.S,
)
LOAD_ROW = re.compile(
    r'<tr class="official">\s*<td class="name">([^<]+)</td>\s*'
    + r"\s*".join([r'<td class="number[^"]*"[^>]*>(\d+)</td>'] * 3)
)
RATE = re.compile(r'data-rate="([^"]*)" data-due="(\d+)" data-on-time="(\d+)"')


def at(day: int, month: int = 11, hour: int = 9) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=WARD_TZ)


async def file_tickets(app: Application, clock: ManualClock) -> dict[str, str]:
    """The board test's tickets (tests/test_board.py), filed through the running bot's store on
    its manual clock; the clock is left at Friday 20/11 10:00."""
    store, desk = app.tickets, app.desk
    assert store is not None and desk is not None

    async def file(received: dt.datetime, text: str = "Đèn đường hỏng") -> str:
        clock.now = received
        due = desk.calendar.due(received, 10)
        ticket = await store.create(Category.FEEDBACK, channel="web", chat_id="c", user="u", text=text, due_at=due)
        return ticket.code

    async def close(code: str, moment: dt.datetime, by: str) -> None:
        clock.now = moment
        ticket = await store.reply(code, "Đã xử lý", actor=by, expected_version=None)
        await store.close_ticket(code, actor=by, expected_version=ticket.version)

    codes = {"on_time": await file(at(2))}
    await close(codes["on_time"], at(13), "console:lan")
    codes["late_closed"] = await file(at(3))
    await store.claim(codes["late_closed"], actor="console:minh", expected_version=None)
    await store.note(codes["late_closed"], "Chờ điện lực phối hợp <b>gấp</b>", actor="console:minh")
    await close(codes["late_closed"], at(19), "console:minh")
    codes["overdue"] = await file(at(4), "<script>alert(1)</script> rác ùn ứ")
    await store.claim(codes["overdue"], actor="console:minh", expected_version=None)
    codes["soon"] = await file(at(9))
    await store.claim(codes["soon"], actor="console:lan", expected_version=None)
    codes["later"] = await file(at(19))
    clock.now = at(20, hour=10)
    return codes


async def the_board(store: TicketStore, bot: Running):
    desk = bot.app.desk
    assert desk is not None
    return await build_board(store, desk.calendar, desk.policies, now=bot.clock())


@async_test
async def test_the_board_shows_build_boards_figures_overdue_first(tmp_path: Path, tiny_kb: Path) -> None:
    async with Running(tmp_path, tiny_kb) as bot, bot.client() as client:
        await bot.add_user("admin", "admin")
        await bot.add_user("thu", "leader")
        codes = await file_tickets(bot.app, bot.clock)
        assert bot.app.tickets is not None
        board = await the_board(bot.app.tickets, bot)
        await client.login("thu")
        status, html, response = await client.get("/console/board")
    assert status == 200 and "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert f"<title>{catalogue.CONSOLE_BOARD_TITLE}" in html
    # The month and the quarter: the board's own figures (3 due, 1 on time in both).
    assert RATE.findall(html) == [
        (str(on_time.rate), str(on_time.due), str(on_time.on_time)) for on_time in (board.month, board.quarter)
    ]
    assert (board.quarter.due, board.quarter.on_time) == (3, 1)
    assert "33.3 %" in html and "1/3" in html
    # Overdue first, then due soon; each links to its ticket's page; the later one is not urgent.
    rows = URGENT_ROW.findall(html)
    assert rows == [
        ("overdue" if u.state.value == "overdue" else "soon", f"/console/tickets/{u.ticket.code}", u.ticket.code)
        for u in board.urgent
    ]
    assert [code for _, _, code in rows] == [codes["overdue"], codes["soon"]]
    assert catalogue.CONSOLE_BOARD_LATE_DAYS.format(days=2) in html
    # The quarter's late tickets, with their reasons (escaped) and working days late.
    assert LATE_ROW.findall(html) == [
        (late.item.code, late.item.reason.replace("<", "&lt;").replace(">", "&gt;") or catalogue.CONSOLE_BOARD_NO_REASON,
         str(late.working_days_late))
        for late in board.late
    ]  # fmt: skip
    assert [code for code, _, _ in LATE_ROW.findall(html)] == [codes["overdue"], codes["late_closed"]]
    # The citizen's words are text, never markup.
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # Each official's load.
    assert LOAD_ROW.findall(html) == [
        (actor_name(load.official), str(load.open_assigned), str(load.overdue), str(load.answered_this_month))
        for load in board.load
    ]
    assert ("minh", "1", "1", "1") in LOAD_ROW.findall(html)  # a console user by name, as everywhere


@async_test
async def test_all_on_time_reads_100_percent_and_an_empty_board_says_so(tmp_path: Path, tiny_kb: Path) -> None:
    async with Running(tmp_path, tiny_kb) as bot, bot.client() as client:
        await bot.add_user("admin", "admin")
        await client.login("admin")  # an admin may open what a leader may
        status, html, _ = await client.get("/console/board")
        assert status == 200
        assert html.count(catalogue.CONSOLE_BOARD_NONE_DUE) == 2
        for text in (
            catalogue.CONSOLE_BOARD_URGENT_EMPTY,
            catalogue.CONSOLE_BOARD_LATE_EMPTY,
            catalogue.CONSOLE_BOARD_LOAD_EMPTY,
        ):
            assert text in html
        store, desk = bot.app.tickets, bot.app.desk
        assert store is not None and desk is not None
        bot.clock.now = at(2)
        ticket = await store.create(
            Category.FEEDBACK, channel="zalo", chat_id="c", user="u", text="t", due_at=desk.calendar.due(at(2), 10)
        )
        bot.clock.now = at(5)
        replied = await store.reply(ticket.code, "Đã xử lý", actor="console:lan", expected_version=None)
        await store.close_ticket(ticket.code, actor="console:lan", expected_version=replied.version)
        bot.clock.now = at(20)
        status, html, _ = await client.get("/console/board")
    assert status == 200 and html.count(catalogue.CONSOLE_BOARD_ALL_ON_TIME) == 2
    assert RATE.findall(html) == [("1.0", "1", "1")] * 2


@async_test
async def test_an_official_may_not_open_the_board(tmp_path: Path, tiny_kb: Path) -> None:
    async with Running(tmp_path, tiny_kb) as bot, bot.client() as official, bot.client() as leader:
        await bot.add_user("admin", "admin")
        await bot.add_user("lan", "official")
        await bot.add_user("thu", "leader")
        await official.login("lan")
        status, html, _ = await official.get("/console/board")
        assert status == 403 and catalogue.CONSOLE_FORBIDDEN in html
        _, queue, _ = await official.get("/console/")
        assert 'href="/console/board"' not in queue and 'href="/console/reports"' in queue
        await leader.login("thu")
        _, queue, _ = await leader.get("/console/")
        assert 'href="/console/board"' in queue and 'href="/console/reports"' in queue
