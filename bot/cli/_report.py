"""``wardbot report``: the compliance report of a period (:mod:`bot.reports`)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from .._config import load_config
from ._common import Commands


def _cmd_report(args: argparse.Namespace) -> int:
    """``wardbot report``: the compliance report of a period, in one of five formats."""
    from .. import reports

    try:
        period = reports.parse_period(args.period)
    except reports.PeriodError as exc:
        print(f"wardbot: report: --period {exc}", file=sys.stderr)
        return 2
    if args.format in ("xlsx", "png") and args.out is None:
        print(f"wardbot: report: --format {args.format} needs --out PATH", file=sys.stderr)
        return 2
    config = load_config(args.config)
    report = reports.ward_report(config, period, now=dt.datetime.now(dt.UTC))
    if args.format == "xlsx":
        reports.render_xlsx(report, args.out)
        return 0
    if args.format == "png":
        args.out.write_bytes(reports.render_png(report))
        return 0
    render = {"text": reports.render_text, "csv": reports.render_csv, "html": reports.render_html}[args.format]
    if args.out is None:
        sys.stdout.write(render(report))
    else:
        args.out.write_text(render(report), encoding="utf-8")
    return 0


def add_commands(commands: Commands) -> None:
    report = commands.add_parser("report", help="compliance report of a period: tickets, deadlines, bot, SIPAS")
    report.add_argument(
        "--period",
        required=True,
        metavar="PERIOD",
        help="2026-Q3, 2026-H1, 2026, 2026-07 or 2026-07-01..2026-09-30 (Vietnam time)",
    )
    report.add_argument("--format", choices=("text", "csv", "xlsx", "html", "png"), default="text")
    report.add_argument("--out", type=Path, metavar="PATH", help="write here (required for xlsx and png; else stdout)")
    report.set_defaults(handler=_cmd_report)
