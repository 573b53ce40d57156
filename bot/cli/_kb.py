"""``wardbot kb validate`` and ``wardbot kb import-portal``: the knowledge base's files."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import sys
from pathlib import Path

from .._config import load_config
from ._common import Commands


def _cmd_kb_validate(args: argparse.Namespace) -> int:
    from knowledge import validate_paths

    from .._search import kb_paths, national_layer_path

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
    from knowledge import bundled_national_path, validate_paths

    from ..kbadmin import install_national_layer

    config = load_config(args.config)
    entries, problems = validate_paths([args.file])
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s): the national layer was not changed", file=sys.stderr)
        return 1
    target = config.national_dir / bundled_national_path().name
    install_national_layer(Path(args.file), target)
    print(f"National layer: {len(entries)} procedures written to {target}; reload the bot to use them", file=sys.stderr)
    return 0


def add_commands(commands: Commands) -> None:
    kb = commands.add_parser("kb", help="manage the knowledge base").add_subparsers(
        dest="kb_command", required=True, metavar="KB_COMMAND"
    )
    validate = kb.add_parser("validate", help="check KB folders/files; print file:line: message per problem")
    validate.add_argument("paths", nargs="*", help="folders, .md entries or portal .jsonl (default: configured KB)")
    validate.set_defaults(handler=_cmd_kb_validate)
    _add_import_portal(kb)


def _add_import_portal(kb: Commands) -> None:
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
