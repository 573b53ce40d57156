"""The ``wardbot`` command line."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ._config import ConfigError, load_config

if TYPE_CHECKING:
    from ._storage import LogStats


def _cmd_kb_validate(args: argparse.Namespace) -> int:
    from knowledge import validate_paths

    from ._search import kb_paths

    paths = kb_paths(load_config(args.config), args.paths)
    entries, problems = validate_paths(paths)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) in {', '.join(map(str, paths))}", file=sys.stderr)
        return 1
    print(f"OK: {len(entries)} entries in {', '.join(map(str, paths))}", file=sys.stderr)
    return 0


def _cmd_kb_import_portal(args: argparse.Namespace) -> int:
    from knowledge import PortalFormatError, export_entries, iter_portal_jsonl, service_popularity

    popularity = service_popularity() if args.popular_min is not None else {}
    selected, total = [], 0
    clean = {"methods": 0, "documents": 0, "legal basis": 0}
    try:
        for parsed in iter_portal_jsonl(args.file):
            total += 1
            code = parsed.procedure.code
            at_level = args.level is None or args.level in parsed.procedure.levels
            popular = args.popular_min is not None and popularity.get(code, 0) >= args.popular_min
            if not (at_level or popular):
                continue
            procedure = parsed.procedure
            selected.append(dataclasses.replace(procedure, updated=args.updated) if args.updated else procedure)
            clean["methods"] += parsed.methods_ok
            clean["documents"] += parsed.documents_ok
            clean["legal basis"] += parsed.legal_ok
    except PortalFormatError as exc:
        print(exc, file=sys.stderr)
        return 1
    written = export_entries(selected, args.out)
    print(f"Wrote {len(written)} of {total} procedures to {args.out}", file=sys.stderr)
    if selected:
        shares = ", ".join(f"{name} {count / len(selected):.1%}" for name, count in clean.items())
        print(f"Parsed cleanly: {shares}", file=sys.stderr)
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from ._evaluate import evaluate, format_report

    config = load_config(args.config)
    summary = evaluate(config, args.kb, args.questions, fit_calibration=args.fit_calibration)
    print(format_report(summary))
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, sort_keys=True))
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from ._bench import run_benchmark

    config = load_config(args.config)
    print(json.dumps(run_benchmark(config, args.kb, args.questions), sort_keys=True))
    return 0


def _configure_logging(level: int) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)


def _cmd_run(args: argparse.Namespace) -> int:
    from ._app import Application

    config = load_config(args.config)
    _configure_logging(logging.INFO)
    try:
        asyncio.run(Application(config).run())
    except KeyboardInterrupt:  # Ctrl-C while starting (once started, it stops the bot cleanly)
        return 130
    return 0


def _cmd_chat(args: argparse.Namespace) -> int:
    from ._app import Application
    from .channels._console import ConsoleChannel

    config = load_config(args.config)
    # Only problems on stderr: the conversation owns the terminal.
    _configure_logging(logging.WARNING)
    console = ConsoleChannel()
    app = Application(config, channels=[console], serve_http=False)
    try:
        asyncio.run(app.run(until=console.closed.wait()))
    except KeyboardInterrupt:
        return 130
    return 0


# The ward's time zone (no daylight saving): a date on the command line means its local midnight.
WARD_TIME = dt.timezone(dt.timedelta(hours=7), "ICT")


def parse_since(text: str) -> dt.datetime:
    """``2026-11-01`` (midnight, Vietnam time) or an ISO date and time (Vietnam time unless given)."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date like 2026-11-01, got {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=WARD_TIME)


def format_log_stats(stats: LogStats) -> str:
    """The figures of a :class:`~bot._storage.LogStats` for a person to read."""

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
    from ._storage import Storage, load_pseudonym_key

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wardbot", description="Citizen-service chatbot for Vietnamese wards.")
    parser.add_argument("--config", help="bot.toml to use (default: $WARDBOT_CONFIG, else ./bot.toml)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    kb = commands.add_parser("kb", help="manage the knowledge base").add_subparsers(
        dest="kb_command", required=True, metavar="KB_COMMAND"
    )
    validate = kb.add_parser("validate", help="check KB folders/files; print file:line: message per problem")
    validate.add_argument("paths", nargs="*", help="folders, .md entries or portal .jsonl (default: configured KB)")
    validate.set_defaults(handler=_cmd_kb_validate)
    imp = kb.add_parser("import-portal", help="convert portal JSONL records to editable Markdown entries")
    imp.add_argument("file", help="portal JSONL, as in dvcqg-ministries-2026/procedures.jsonl")
    imp.add_argument("--level", help='keep procedures done at this level, e.g. "Cấp xã"')
    imp.add_argument(
        "--popular-min",
        type=int,
        metavar="WEIGHT",
        help="also keep procedures whose portal usage weight is at least WEIGHT, whatever their level",
    )
    imp.add_argument("--out", required=True, type=Path, help="folder to write procedures/<code>.md into")
    imp.add_argument(
        "--updated",
        type=dt.date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="the date the portal export was taken, recorded as each entry's last update",
    )
    imp.set_defaults(handler=_cmd_kb_import_portal)

    ev = commands.add_parser("eval", help="measure retrieval quality on a labelled question set")
    ev.add_argument("--kb", nargs="+", required=True, help="KB folders or portal JSONL files")
    ev.add_argument("--questions", required=True, help="JSONL in the format of shared/eval/dev.jsonl")
    ev.add_argument("--json", action="store_true", help="end with one JSON line holding every figure")
    ev.add_argument(
        "--fit-calibration",
        type=Path,
        metavar="FILE",
        help="fit the confidence calibration on these questions, write it to FILE, then evaluate with it",
    )
    ev.set_defaults(handler=_cmd_eval)

    bench = commands.add_parser("bench", help="measure build time, latency and memory; prints JSON")
    bench.add_argument("--kb", nargs="+", required=True, help="KB folders or portal JSONL files")
    bench.add_argument("--questions", help="queries to time (JSONL with a `query` field; default: built-in set)")
    bench.set_defaults(handler=_cmd_bench)

    run = commands.add_parser("run", help="serve every configured channel (web chat; Telegram with a token)")
    run.set_defaults(handler=_cmd_run)
    chat = commands.add_parser("chat", help="talk to the bot in this terminal")
    chat.set_defaults(handler=_cmd_chat)

    log_commands = commands.add_parser("log", help="read the compliance log").add_subparsers(
        dest="log_command", required=True, metavar="LOG_COMMAND"
    )
    stats = log_commands.add_parser("stats", help="answer latency p50/p95/max; counts by outcome and channel")
    stats.add_argument("--since", type=parse_since, metavar="DATE", help="only messages received from DATE on")
    stats.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    stats.set_defaults(handler=_cmd_log_stats)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except ConfigError as exc:
        print(f"wardbot: configuration error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # one readable line instead of a traceback for known input errors
        from knowledge import KnowledgeBaseError
        from retrieval import QuestionFormatError

        from ._storage import StorageError

        if isinstance(exc, (KnowledgeBaseError, QuestionFormatError, StorageError, FileNotFoundError)):
            print(f"wardbot: {exc}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
