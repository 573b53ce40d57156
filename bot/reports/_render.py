"""The report in each format: text for a person, CSV, XLSX, HTML and a PNG chart, all rendered
from the same :class:`~bot.reports.Report` (the table formats from :meth:`Report.rows`)."""

from __future__ import annotations

import base64
import csv
import html
import io
from pathlib import Path
from typing import IO, Any

from handlers import catalogue

from ._figures import DURATIONS, Report, TimeStats, _local


def format_value(value: Any) -> str:
    """A figure as CSV and HTML write it (and as tests compare it): no data is empty."""
    if value is None:
        return ""
    if isinstance(value, float):  # figures are rounded to at most 4 decimals; no exponent notation
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return str(value)


# --- Rendering ------------------------------------------------------------------------------------


def _hours(value: float | None) -> str:
    return "-" if value is None else f"{value:g} h"


def percent(value: float | None) -> str:
    """A rate (0..1) as every format and the console show it: "66.7 %", "-" for no data."""
    return "-" if value is None else f"{value * 100:.1f} %"


def _times_line(label: str, stats: TimeStats, indent: str = "  ") -> str:
    hours = {"p50": _hours(stats.p50), "p95": _hours(stats.p95), "mean": _hours(stats.mean)}
    return indent + catalogue.REPORT_TIMES_LINE.format(label=label, n=stats.n, **hours)


def render_text(report: Report) -> str:
    """The report for a person to read, headed in Vietnamese."""
    period, bot = report.period, report.bot

    def heading(number: int, section: str) -> list[str]:
        return ["", f"{number}. {catalogue.REPORT_SECTIONS[section]}"]

    first, last = period.first.strftime(catalogue.DATE), period.last.strftime(catalogue.DATE)
    counts = {"received": report.received, "closed": report.closed, "open": report.open}
    on_time = {"rate": percent(report.on_time_rate), "on_time": report.on_time, "due": report.due}
    lines = [
        catalogue.REPORT_TITLE.format(period=period.label, first=first, last=last),
        catalogue.REPORT_GENERATED.format(time=_local(report.generated_at)),
        *heading(1, "tickets"),
        "  " + catalogue.REPORT_TICKET_COUNTS.format(**counts),
        "  " + catalogue.REPORT_APOLOGIES.format(count=report.apologies),
        *heading(2, "on_time"),
        "  " + catalogue.REPORT_ON_TIME.format(**on_time),
    ]
    if report.late:
        lines.append("  " + catalogue.REPORT_LATE.format(count=len(report.late)))
        for item in report.late:
            closed = (
                catalogue.REPORT_CLOSED_AT.format(time=_local(item.closed_at))
                if item.closed_at
                else catalogue.REPORT_NOT_CLOSED
            )
            line = catalogue.REPORT_LATE_LINE.format(
                code=item.code,
                category=catalogue.CATEGORY_SHORT.get(item.category, item.category),
                channel=catalogue.REPORT_CHANNELS.get(item.channel, item.channel),
                due=_local(item.due_at),
                closed=closed,
                reason=item.reason or catalogue.REPORT_NO_REASON,
            )
            lines.append("    " + line)
    lines += heading(3, "times")
    lines += [_times_line(catalogue.REPORT_TIMES[measure], getattr(report, measure)) for measure in DURATIONS]
    for group in report.groups:
        names = catalogue.CATEGORY_SHORT if group.dimension == "category" else catalogue.REPORT_CHANNELS
        name = names.get(group.key, group.key)
        label = catalogue.REPORT_METRICS[group.dimension]
        summary = catalogue.REPORT_GROUP.format(label=label, name=name, received=group.received, closed=group.closed)
        lines.append("  " + summary)
        lines += [
            _times_line(catalogue.REPORT_TIMES_IN_GROUP[measure], getattr(group, measure), indent="    ")
            for measure in DURATIONS
        ]
    outcomes = ", ".join(
        f"{catalogue.REPORT_OUTCOMES.get(outcome, outcome)} {count}" for outcome, count in bot.outcomes.items()
    )
    latency = "-" if bot.latency_p50_ms is None else f"p50 {bot.latency_p50_ms} ms, p95 {bot.latency_p95_ms} ms"
    helpful = {"rate": percent(bot.helpful_share), "helpful": bot.helpful, "votes": bot.votes}
    lines += [
        *heading(4, "bot"),
        "  " + catalogue.REPORT_MESSAGES.format(messages=bot.messages, outcomes=outcomes, undelivered=bot.undelivered),
        "  " + catalogue.REPORT_LATENCY.format(latency=latency),
        "  " + catalogue.REPORT_HELPFUL.format(**helpful),
        "  " + catalogue.REPORT_UNANSWERED,
    ]
    lines += [f"    {count} × {question}" for question, count in bot.top_unanswered] or [
        "    " + catalogue.REPORT_NO_QUESTIONS
    ]
    lines += heading(5, "sipas")
    lines += [
        f"  {catalogue.REPORT_SIPAS_FACTORS.get(s.factor, s.factor)}: {s.mean:g} (n={s.n})" for s in report.sipas
    ] or ["  " + catalogue.REPORT_NO_RATINGS]
    return "\n".join(lines) + "\n"


def item_label(section: str, item: str) -> str:
    """How the report names an item: "Tất cả", "Loại: Phản ánh, kiến nghị", a SIPAS factor...;
    ticket codes and citizens' questions are shown as they are."""
    if item == "all":
        return catalogue.REPORT_ITEM_ALL
    if section == "times" and "=" in item:
        dimension, _, key = item.partition("=")
        names = catalogue.CATEGORY_LABELS if dimension == "category" else catalogue.REPORT_CHANNELS
        label = catalogue.REPORT_DIMENSIONS.get(dimension, dimension)
        return catalogue.REPORT_ITEM_GROUP.format(dimension=label, name=names.get(key, key))
    if section == "bot" and item == "outcome":
        return catalogue.REPORT_ITEM_OUTCOMES
    if section == "sipas":
        return catalogue.REPORT_SIPAS_FACTORS.get(item, item)
    return item


def metric_label(section: str, item: str, metric: str) -> str:
    if section == "bot" and item == "outcome":
        return catalogue.REPORT_OUTCOMES.get(metric, metric)
    return catalogue.REPORT_METRICS.get(metric, metric)


def value_label(metric: str, value: Any) -> Any:
    """A value as people read it: a category or channel key named in Vietnamese."""
    if metric == "category":
        return catalogue.CATEGORY_LABELS.get(value, value)
    if metric == "channel":
        return catalogue.REPORT_CHANNELS.get(value, value)
    return value


def labelled_rows(report: Report) -> list[tuple[str, str, str, Any, str, str, str, Any]]:
    """:meth:`Report.rows` with what people read appended: the labels of section, item and
    metric, and the value as shown."""
    return [
        (section, item, metric, value, catalogue.REPORT_SECTIONS[section], item_label(section, item),
         metric_label(section, item, metric), value_label(metric, value))
        for section, item, metric, value in report.rows()
    ]  # fmt: skip


# CSV columns: the stable keys machines read, the value, then the labels people read.
CSV_HEADER = ("section", "item", "metric", "value", "section_label", "item_label", "metric_label")


def render_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(
        (section, item, metric, format_value(value), *labels)
        for section, item, metric, value, *labels, _ in labelled_rows(report)
    )
    return out.getvalue()


def render_xlsx(report: Report, path: Path | IO[bytes]) -> None:
    """One sheet per section, named in Vietnamese, with the columns Mục, Chỉ số, Giá trị; written to
    a file, or to a binary stream (the console's download)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    sheets: dict[str, Any] = {}
    for section, _, _, _, section_label, item, metric, value in labelled_rows(report):
        if section not in sheets:
            sheet = workbook.create_sheet(section_label[:31])  # Excel's limit on sheet names
            sheet.append([catalogue.REPORT_COLUMNS[c] for c in ("item", "metric", "value")])
            for cell in sheet[1]:
                cell.font = Font(bold=True)
            sheet.column_dimensions["A"].width = 40
            sheet.column_dimensions["B"].width = 30
            sheet.column_dimensions["C"].width = 40
            sheets[section] = sheet
        sheets[section].append([item, metric, value])
    workbook.save(path)


def render_png(report: Report) -> bytes:
    """A chart page: on-time vs late, the bot's outcomes, response times by category."""
    out = io.BytesIO()
    chart_figure(report).savefig(out, format="png")
    return out.getvalue()


def chart_figure(report: Report):
    """The figure :func:`render_png` draws (matplotlib, no display needed)."""
    import matplotlib

    matplotlib.use("Agg")  # no display; DejaVu Sans, bundled with matplotlib, has Vietnamese letters
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(12, 4.2), dpi=100, layout="constrained")
    title = catalogue.REPORT_CHART_TITLE.format(period=report.period.label, received=report.received)
    figure.suptitle(title, fontsize=14)
    on_time, bot, timing = figure.subplots(1, 3)

    bars = [catalogue.REPORT_METRICS["on_time"], catalogue.REPORT_METRICS["late"]]
    on_time.bar(bars, [report.on_time, len(report.late)], color=["#2e7d32", "#c62828"])
    rate = {"rate": percent(report.on_time_rate), "on_time": report.on_time, "due": report.due}
    on_time.set_title(catalogue.REPORT_CHART_ON_TIME.format(**rate))
    on_time.set_ylabel(catalogue.REPORT_CHART_DUE_AXIS)

    outcomes = report.bot.outcomes
    bot.bar([catalogue.REPORT_OUTCOMES.get(o, o) for o in outcomes], list(outcomes.values()), color="#1565c0")
    bot.set_title(catalogue.REPORT_CHART_BOT.format(messages=report.bot.messages))
    bot.tick_params(axis="x", labelrotation=30)
    for counts in (on_time, bot):
        counts.yaxis.set_major_locator(MaxNLocator(integer=True))

    subjects = [(catalogue.REPORT_CHART_ALL, report.first_response, report.resolution)] + [
        (catalogue.CATEGORY_SHORT.get(g.key, g.key), g.first_response, g.resolution)
        for g in report.groups
        if g.dimension == "category"
    ]
    positions = range(len(subjects))
    width = 0.38
    first_response = [s[1].p50 or 0 for s in subjects]
    resolution = [s[2].p50 or 0 for s in subjects]
    timing.bar([p - width / 2 for p in positions], first_response, width, label=catalogue.REPORT_CHART_FIRST_RESPONSE)
    timing.bar([p + width / 2 for p in positions], resolution, width, label=catalogue.REPORT_CHART_RESOLUTION)
    timing.set_xticks(list(positions), [s[0] for s in subjects])
    timing.set_title(catalogue.REPORT_CHART_TIMES)
    timing.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncols=2, fontsize="small")
    for axes in (on_time, bot, timing):  # an empty period: 0 to 1, not -0.05 to 0.05
        axes.set_ylim(bottom=0, top=max(1.0, axes.get_ylim()[1]))
    return figure


_CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; width: 100%; } td, th { border: 1px solid #ddd; padding: .3em .6em; }
th { background: #f2f2f2; text-align: left; } td.number { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 100%; } .meta { color: #666; }
"""


def render_html(report: Report) -> str:
    """A self-contained page: inline CSS, the chart page as a base64 PNG, one table per section.
    Each row carries its ``section``, ``item`` and ``metric`` keys as data attributes, so that
    the page can be read back by machines as well as people."""
    chart = base64.b64encode(render_png(report)).decode("ascii")
    period = report.period
    first, last = period.first.strftime(catalogue.DATE), period.last.strftime(catalogue.DATE)
    meta = catalogue.REPORT_PAGE_META.format(first=first, last=last, time=_local(report.generated_at))
    columns = "".join(f"<th>{html.escape(catalogue.REPORT_COLUMNS[c])}</th>" for c in ("item", "metric", "value"))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="vi"><head><meta charset="utf-8">',
        f"<title>{html.escape(catalogue.REPORT_PAGE_TITLE.format(period=period.label))}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(catalogue.REPORT_PAGE_HEADING.format(period=period.label))}</h1>",
        f'<p class="meta">{html.escape(meta)}</p>',
        f'<img alt="{html.escape(catalogue.REPORT_CHART_ALT)}" src="data:image/png;base64,{chart}">',
    ]
    section = None
    for key, item, metric, _, _, item_text, metric_text, value in labelled_rows(report):
        if key != section:
            if section is not None:
                parts.append("</table>")
            parts += [f"<h2>{html.escape(catalogue.REPORT_SECTIONS[key])}</h2>", f"<table><tr>{columns}</tr>"]
            section = key
        cell_class = "number" if isinstance(value, int | float) else "text"
        parts.append(
            f'<tr data-section="{key}" data-item="{html.escape(item)}" data-metric="{metric}">'
            f"<td>{html.escape(item_text)}</td><td>{html.escape(metric_text)}</td>"
            f'<td class="{cell_class}">{html.escape(format_value(value))}</td></tr>'
        )
    parts += ["</table>", "</body></html>"]
    return "\n".join(parts) + "\n"
