"""``/console/reports``: ``wardbot report`` in the browser, for officials and leaders.

A period is chosen as the command line takes it (:func:`bot.reports.parse_period`): from a select
of this and the previous month, quarter, half-year and year, or typed in any form the command
accepts. The figures are :func:`bot.reports.ward_report`'s, the very ``Report`` the command
renders, laid out by :func:`report_sections` from its rows (:func:`bot.reports.labelled_rows`),
so that the page shows every figure of the CSV and no other. Each figure's element carries its
``section|item|metric`` key and raw value as data attributes, as the report's own HTML does.

``/console/reports/download?period=…&format=xlsx|csv|html|png`` renders that report with the
command's own renderers, as an attachment, and is audited (``report.download``).
``/console/reports/chart?period=…`` is the same PNG shown in the page: looking is not downloading,
so it is not audited. The report's own HTML is offered only as a download: its inline styles are
what the console's content policy forbids.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import io
from typing import Any

from aiohttp import web

from handlers import catalogue
from tickets import WARD_TZ

from ..officials import Role
from ..reports import (
    Period,
    PeriodError,
    Report,
    format_value,
    labelled_rows,
    parse_period,
    percent,
    render_csv,
    render_html,
    render_png,
    render_xlsx,
    ward_report,
)
from ._console import Pages, audit, render, services, url

# The download formats and their content types.
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "png": "image/png",
}
RATES = frozenset({"rate", "helpful_share"})  # metrics that are shares, shown as percentages
MAX_PERIOD_CHARS = 64


def presets(now: dt.datetime) -> list[tuple[str, str]]:
    """The select's periods at ``now`` (ward time), as ``(key, period text)``: this and the
    previous month, quarter, half-year and year, in `wardbot report --period` forms."""
    today = now.astimezone(WARD_TZ).date()
    year, month = today.year, today.month
    quarter, half = (month - 1) // 3 + 1, (month - 1) // 6 + 1
    last_month = dt.date(year, month, 1) - dt.timedelta(days=1)
    last_quarter = f"{year}-Q{quarter - 1}" if quarter > 1 else f"{year - 1}-Q4"
    last_half = f"{year}-H1" if half == 2 else f"{year - 1}-H2"
    return [
        ("month", f"{today:%Y-%m}"),
        ("last_month", f"{last_month:%Y-%m}"),
        ("quarter", f"{year}-Q{quarter}"),
        ("last_quarter", last_quarter),
        ("half", f"{year}-H{half}"),
        ("last_half", last_half),
        ("year", str(year)),
        ("last_year", str(year - 1)),
    ]


@dataclasses.dataclass(frozen=True, slots=True)
class Figure:
    """One figure of the report as the page shows it."""

    key: str  # "section|item|metric", the report row's keys
    value: str  # the raw value as the CSV writes it ("" for no data)
    label: str  # the metric, in Vietnamese
    text: str  # the value as people read it
    numeric: bool  # a count, a time, a share: aligned as numbers are


@dataclasses.dataclass(frozen=True, slots=True)
class TableRow:
    label: str
    href: str  # the ticket's page for a late ticket, else ""
    cells: tuple[Figure | None, ...]  # one per column; None where this item has no such metric


@dataclasses.dataclass(frozen=True, slots=True)
class Section:
    """A section of the report: its totals as figures, its items (categories, channels, late
    tickets, questions, SIPAS factors, the bot's outcomes) as a table, one column per metric."""

    key: str
    title: str
    figures: tuple[Figure, ...]
    columns: tuple[str, ...]
    rows: tuple[TableRow, ...]


# What an empty value means, where it means more than "no data": the report's own words.
_EMPTY = {"closed_at": catalogue.REPORT_NOT_CLOSED, "reason": catalogue.REPORT_NO_REASON}


def _figure(section: str, item: str, metric: str, value: Any, metric_label: str, shown: Any) -> Figure:
    if value is None or value == "":
        text = _EMPTY.get(metric, catalogue.CONSOLE_REPORTS_NO_DATA)
    elif metric in RATES:
        text = percent(value)
    else:
        text = format_value(shown)
    numeric = isinstance(value, int | float)
    return Figure(f"{section}|{item}|{metric}", format_value(value), metric_label, text, numeric)


def report_sections(report: Report) -> list[Section]:
    """Every row of ``report`` (:meth:`Report.rows`), grouped as the page shows them; a section
    with no rows (no late ticket, no rating) is there, empty."""
    grouped: dict[str, list[tuple[str, str, str, Figure]]] = {key: [] for key in catalogue.REPORT_SECTIONS}
    for section, item, metric, value, _, item_label, metric_label, shown in labelled_rows(report):
        figure = _figure(section, item, metric, value, metric_label, shown)
        grouped[section].append((item, item_label, metric, figure))
    sections = []
    for key, rows in grouped.items():
        figures = tuple(figure for item, _, _, figure in rows if not item)
        columns = dict((metric, figure.label) for item, _, metric, figure in rows if item)  # in the report's order
        items: dict[str, tuple[str, dict[str, Figure]]] = {}
        for item, item_label, metric, figure in rows:
            if item:
                items.setdefault(item, (item_label, {}))[1][metric] = figure
        table = tuple(
            TableRow(label, url(f"/tickets/{item}") if key == "late" else "", tuple(cells.get(c) for c in columns))
            for item, (label, cells) in items.items()
        )
        sections.append(Section(key, catalogue.REPORT_SECTIONS[key], figures, tuple(columns.values()), table))
    return sections


def _period_text(request: web.Request) -> str:
    return request.query.get("period", "").strip()[:MAX_PERIOD_CHARS]


def _bad_period(text: str) -> str:
    return catalogue.CONSOLE_REPORTS_BAD_PERIOD.format(text=text)


async def _report(request: web.Request, period: Period) -> Report:
    """The report of ``period`` now, built off the loop (it reads both stores)."""
    parts = services(request)
    return await asyncio.to_thread(ward_report, parts.config, period, now=parts.clock())


def file_name(period: Period, kind: str) -> str:
    """The download's name: ``bao-cao-2026-Q3.xlsx``, ``bao-cao-2026-07-01_2026-07-31.csv``."""
    return f"bao-cao-{period.label.replace('..', '_')}.{kind}"


async def reports_page(request: web.Request) -> web.StreamResponse:
    parts = services(request)
    choices = presets(parts.clock())
    text = _period_text(request) or dict(choices)["quarter"]
    context: dict[str, Any] = {
        "presets": choices,
        "preset_names": catalogue.CONSOLE_REPORTS_PRESETS,
        "period_text": text,
        "custom": text not in dict(choices).values(),
        "formats": catalogue.CONSOLE_REPORTS_FORMATS,
    }
    try:
        period = parse_period(text)
    except PeriodError:
        return render(request, "reports.html", context | {"error": _bad_period(text)}, status=400)
    report = await _report(request, period)
    sections = report_sections(report)
    context |= {
        "error": "",
        "period": period,
        "meta": catalogue.CONSOLE_REPORTS_META.format(
            first=period.first.strftime(catalogue.DATE),
            last=period.last.strftime(catalogue.DATE),
            time=report.generated_at.astimezone(WARD_TZ).strftime("%d/%m/%Y %H:%M"),
        ),
        "all_on_time": report.on_time_rate == 1,
        "sections": sections,
    }
    return render(request, "reports.html", context)


async def _rendered(report: Report, kind: str) -> bytes:
    def build() -> bytes:
        if kind == "xlsx":
            out = io.BytesIO()
            render_xlsx(report, out)
            return out.getvalue()
        if kind == "png":
            return render_png(report)
        if kind == "csv":
            # With a byte order mark, so that Excel, which wards open CSV files with, reads UTF-8.
            return render_csv(report).encode("utf-8-sig")
        return render_html(report).encode("utf-8")

    return await asyncio.to_thread(build)


async def download(request: web.Request) -> web.StreamResponse:
    kind = request.query.get("format", "")
    if kind not in CONTENT_TYPES:
        return render(request, "error.html", {"message": catalogue.CONSOLE_REPORTS_BAD_FORMAT}, status=400)
    text = _period_text(request)
    try:
        period = parse_period(text)
    except PeriodError:
        return render(request, "error.html", {"message": _bad_period(text)}, status=400)
    body = await _rendered(await _report(request, period), kind)
    await audit(request, "report.download", period.label, kind)
    headers = {
        "Content-Type": CONTENT_TYPES[kind],
        "Content-Disposition": f'attachment; filename="{file_name(period, kind)}"',
        "Cache-Control": "no-store",
    }
    return web.Response(body=body, headers=headers)


async def chart(request: web.Request) -> web.StreamResponse:
    text = _period_text(request)
    try:
        period = parse_period(text)
    except PeriodError:
        return render(request, "error.html", {"message": _bad_period(text)}, status=400)
    body = await _rendered(await _report(request, period), "png")
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPES["png"], "Cache-Control": "no-store"})


def add_pages(pages: Pages) -> None:
    # Officials prepare the ward's periodic reports for the leaders, so both may open them.
    pages.get("/reports", reports_page, role=Role.OFFICIAL)
    pages.get("/reports/download", download, role=Role.OFFICIAL)
    pages.get("/reports/chart", chart, role=Role.OFFICIAL)
