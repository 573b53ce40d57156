"""``wardbot log stats``: figures over the compliance log."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
from typing import TYPE_CHECKING

from .._config import load_config
from ._common import Commands

if TYPE_CHECKING:
    from ..storage import LogStats


def parse_since(text: str) -> dt.datetime:
    """``2026-11-01`` (midnight, Vietnam time) or an ISO date and time (Vietnam time unless given)."""
    from tickets import WARD_TZ  # the ward's time zone: a date on the command line means its midnight

    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date like 2026-11-01, got {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=WARD_TZ)


def format_log_stats(stats: LogStats) -> str:
    """The figures of a :class:`~bot.storage.LogStats` for a person to read."""

    def ms(value: int | None) -> str:
        return "-" if value is None else f"{value} ms"

    def counts(values: dict[str, int]) -> str:
        return ", ".join(f"{name} {count}" for name, count in values.items()) or "-"

    since = f" since {stats.since.isoformat()}" if stats.since else ""
    return "\n".join(
        [
            f"Messages{since}: {stats.messages} ({stats.answered} answered, {stats.messages - stats.answered} undelivered)",
            f"Answer latency: p50 {ms(stats.latency_p50_ms)}, p95 {ms(stats.latency_p95_ms)}, "
            f"max {ms(stats.latency_max_ms)}",
            f"By outcome: {counts(stats.by_outcome)}",
            f"By channel: {counts(stats.by_channel)}",
        ]
    )


def _cmd_log_stats(args: argparse.Namespace) -> int:
    from ..storage import Storage, load_pseudonym_key

    config = load_config(args.config)
    if not config.database_path.exists():
        print(f"wardbot: no compliance log yet: {config.database_path} does not exist", file=sys.stderr)
        return 1

    async def read() -> LogStats:
        async with await Storage.open(config.database_path, pseudonym_key=load_pseudonym_key(config)) as storage:
            return await storage.log_stats(args.since)

    stats = asyncio.run(read())
    print(json.dumps(stats.to_dict(), ensure_ascii=False, sort_keys=True) if args.json else format_log_stats(stats))
    return 0


def add_commands(commands: Commands) -> None:
    log_commands = commands.add_parser("log", help="read the compliance log").add_subparsers(
        dest="log_command", required=True, metavar="LOG_COMMAND"
    )
    stats = log_commands.add_parser("stats", help="answer latency p50/p95/max; counts by outcome and channel")
    stats.add_argument("--since", type=parse_since, metavar="DATE", help="only messages received from DATE on")
    stats.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    stats.set_defaults(handler=_cmd_log_stats)
