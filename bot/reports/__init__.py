"""``wardbot report``: the ward's compliance report of a period (tickets, deadlines, the bot's
answers, SIPAS) of a :class:`Period` (``_period.py``), its figures computed once (``_figures.py``)
and rendered as text, CSV, XLSX, HTML or PNG (``_render.py``); and the leaders' deadline board
(``_board.py``: :func:`build_board`), from the same on-time definition."""

from ._board import Board, LateTicket, OfficialLoad, OnTime, UrgentTicket, build_board, month_and_quarter
from ._figures import LateItem, Report, TimeStats, build_report, ward_report
from ._period import Period, PeriodError, parse_period
from ._render import (
    format_value,
    labelled_rows,
    percent,
    render_csv,
    render_html,
    render_png,
    render_text,
    render_xlsx,
)

__all__ = (
    "Board",
    "LateItem",
    "LateTicket",
    "OfficialLoad",
    "OnTime",
    "UrgentTicket",
    "build_board",
    "month_and_quarter",
    "Period",
    "PeriodError",
    "Report",
    "TimeStats",
    "build_report",
    "format_value",
    "labelled_rows",
    "parse_period",
    "percent",
    "render_csv",
    "render_html",
    "render_png",
    "render_text",
    "render_xlsx",
    "ward_report",
)
