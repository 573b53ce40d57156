"""``wardbot calendar due`` and ``wardbot calendar days``: deadlines as tickets count them."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from typing import Any

from .._config import load_config
from ._common import Commands


def _cmd_calendar(args: argparse.Namespace) -> int:
    """``calendar due`` and ``calendar days``: let an admin check a deadline as tickets count it."""
    from tickets import WARD_TZ, OverridesError

    def parse(name: str, text: str, parser: Callable[[str], Any], example: str) -> Any:
        try:
            return parser(text)
        except ValueError:
            raise ValueError(f"{name}: expected {example}, got {text!r}") from None

    settings = load_config(args.config).calendar
    try:
        calendar = settings.working_calendar()
        if args.calendar_command == "due":
            received = parse("RECEIVED_AT", args.received_at, dt.datetime.fromisoformat, "a date like 2026-02-13T09:30")
            amount = parse("N", args.amount, int, f"a whole number of {args.unit}")
            received = received if received.tzinfo else received.replace(tzinfo=WARD_TZ)
            print(calendar.due(received, amount, args.unit).isoformat())
        else:
            start = parse("FROM", args.start, dt.date.fromisoformat, "a date like 2026-02-13")
            end = parse("TO", args.end, dt.date.fromisoformat, "a date like 2026-02-13")
            print(calendar.working_days_between(start, end))
    except (OverridesError, ValueError) as exc:
        print(f"wardbot: calendar: {exc}", file=sys.stderr)
        return 2
    return 0


def add_commands(commands: Commands) -> None:
    calendar = commands.add_parser(
        "calendar", help="working days and deadlines as tickets count them (holidays.VN plus overrides)"
    ).add_subparsers(dest="calendar_command", required=True, metavar="CALENDAR_COMMAND")
    due = calendar.add_parser("due", help="print when something received at RECEIVED_AT is due (ISO 8601)")
    due.add_argument("received_at", metavar="RECEIVED_AT", help="ISO date or date-time; Vietnam time unless given")
    due.add_argument("amount", metavar="N", help="working days (the day of receipt not counted) or working hours")
    due.add_argument("--unit", choices=("days", "hours"), default="days")
    due.set_defaults(handler=_cmd_calendar)
    days = calendar.add_parser("days", help="print the working days after FROM up to and including TO")
    days.add_argument("start", metavar="FROM", help="YYYY-MM-DD")
    days.add_argument("end", metavar="TO", help="YYYY-MM-DD")
    days.set_defaults(handler=_cmd_calendar)
