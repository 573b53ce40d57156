"""``wardbot report``: the ward's compliance report of a period (tickets, deadlines, the bot's
answers, SIPAS) of a :class:`Period` (``_period.py``), its figures computed once (``_figures.py``)
and rendered as text, CSV, XLSX, HTML or PNG (``_render.py``)."""

from ._figures import Report, TimeStats, build_report
from ._period import Period, PeriodError, parse_period
from ._render import format_value, render_csv, render_html, render_png, render_text, render_xlsx

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
