"""``wardbot backup`` and ``wardbot restore`` (:mod:`bot.ops`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .._config import load_config
from ._common import Commands


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
    from .._config import config_file
    from ..ops import BackupError, backup

    config = load_config(args.config)
    try:
        manifest = backup(config, args.target, config_path=config_file(args.config))
    except BackupError as exc:
        print(f"wardbot: backup: {exc}", file=sys.stderr)
        return 1
    _print_backup(f"Backed up {config.data_dir} into", args.target, manifest)
    return 0


def _cmd_restore(args: argparse.Namespace) -> int:
    from .._config import data_directory
    from ..ops import BackupError, restore

    # No configuration is loaded: the backup may be what puts bot.toml and its files back.
    data_dir = data_directory()
    try:
        manifest = restore(data_dir, args.source, force=args.force)
    except BackupError as exc:
        print(f"wardbot: restore: {exc}", file=sys.stderr)
        return 1
    _print_backup(f"Restored the backup of {manifest['created_at']} into {data_dir} from", args.source, manifest)
    return 0


def add_commands(commands: Commands) -> None:
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
