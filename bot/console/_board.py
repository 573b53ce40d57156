"""``/console/board``: the leaders' deadline board, :func:`bot.reports.build_board` shown as it is.

On-time rates of this month and this quarter as big figures, then what needs a leader now (the
overdue tickets, the longest late first, then those due soon), the quarter's late tickets with
their reasons and working days late, and each official's load. Nothing is counted here: every
figure is the board's, which counts on time as ``wardbot report`` does.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from handlers import catalogue
from tickets import WARD_TZ, DeadlineState

from ..officials import Role
from ..reports import OnTime, build_board, percent
from ._console import Pages, render, services, url
from ._queue import TIME_FORMAT, ticket_row

_URGENT_STATES = {DeadlineState.OVERDUE: "overdue", DeadlineState.DUE_SOON: "soon"}
_QUARTERS = ("I", "II", "III", "IV")


def _rate(on_time: OnTime, name: str) -> dict[str, Any]:
    """A big figure: the rate, or that nothing was due yet; "100 % đúng hạn" when all were."""
    if on_time.rate is None:
        figure, detail = catalogue.CONSOLE_BOARD_NONE_DUE, ""
    else:
        figure = catalogue.CONSOLE_BOARD_ALL_ON_TIME if on_time.rate == 1 else percent(on_time.rate)
        detail = catalogue.CONSOLE_BOARD_RATE_DETAIL.format(on_time=on_time.on_time, due=on_time.due)
    return {
        "name": name,
        "figure": figure,
        "perfect": on_time.rate == 1,
        "none_due": on_time.rate is None,
        "detail": detail,
        "rate": "" if on_time.rate is None else str(on_time.rate),
        "due": on_time.due,
        "on_time": on_time.on_time,
    }


def _local(moment: Any) -> str:
    return moment.astimezone(WARD_TZ).strftime(TIME_FORMAT)


async def board_page(request: web.Request) -> web.StreamResponse:
    parts = services(request)
    desk = parts.desk
    board = await build_board(parts.tickets, desk.calendar, desk.policies, now=parts.clock())
    month, quarter = board.month.period, board.quarter.period
    urgent = [ticket_row(u.ticket, _URGENT_STATES[u.state]) | {"days_late": u.working_days_late} for u in board.urgent]
    late = [
        {
            "code": late.item.code,
            "href": url(f"/tickets/{late.item.code}"),
            "category": catalogue.CATEGORY_SHORT.get(late.item.category, late.item.category),
            "due": _local(late.item.due_at),
            "closed": _local(late.item.closed_at) if late.item.closed_at else "",
            "reason": late.item.reason,
            "days_late": late.working_days_late,
        }
        for late in board.late
    ]
    context = {
        "generated": _local(board.generated_at),
        "rates": [
            _rate(board.month, catalogue.CONSOLE_BOARD_MONTH.format(month=f"{month.first:%m/%Y}")),
            _rate(
                board.quarter,
                catalogue.CONSOLE_BOARD_QUARTER.format(
                    quarter=_QUARTERS[(quarter.first.month - 1) // 3], year=quarter.first.year
                ),
            ),
        ],
        "urgent": urgent,
        "late": late,
        "load": board.load,
    }
    return render(request, "board.html", context)


def add_pages(pages: Pages) -> None:
    pages.get("/board", board_page, role=Role.LEADER)
