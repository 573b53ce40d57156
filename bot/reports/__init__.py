"""``wardbot report``: the ward's compliance report of a period (tickets, deadlines, the bot's
answers, SIPAS), its figures computed once and rendered as text, CSV, XLSX, HTML or PNG."""

from ._figures import (
    Period,
    PeriodError,
    Report,
    TimeStats,
    build_report,
    format_value,
    parse_period,
    render_csv,
    render_html,
    render_png,
    render_text,
    render_xlsx,
)

__all__ = (
    "Period",
    "PeriodError",
    "Report",
    "TimeStats",
    "build_report",
    "format_value",
    "parse_period",
    "render_csv",
    "render_html",
    "render_png",
    "render_text",
    "render_xlsx",
)
