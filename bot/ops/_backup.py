"""``wardbot backup`` and ``wardbot restore``: the ward's state, copied whole while the bot runs.

A backup is a new folder holding:

- ``data/``: the data directory, less what is derived (the built model and the caches, which
  ``wardbot prepare`` or the next start rebuilds) and SQLite's side files. Every SQLite database
  in it, whatever its name (found by its header), is copied with SQLite's online backup API in one
  step: a consistent snapshot even while the bot writes (https://www.sqlite.org/backup.html). A
  file copy of a live WAL database is not one: the latest transactions sit in its ``-wal`` file
  until a checkpoint moves them (https://www.sqlite.org/wal.html), and the two files are never
  copied at the same instant. The copy is one self-contained file.
- ``ward/``: the ward's files outside the data directory: the configured knowledge-base folders
  and files, the calendar overrides CSV and the configuration file itself.
- ``manifest.json``, written last (no manifest, no finished backup): wardbot's version, the time,
  each database's schema version (SQLite's ``user_version``) and rows per table, and the sha256 and
  size of every file.

Restore checks every checksum before it writes anything, and refuses to replace databases (or
any file whose content differs) unless forced. Databases go back through the backup API too, so
a ``-wal`` file left beside an old database is never replayed over the restored one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import json
import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing, suppress
from pathlib import Path
from typing import Any

from wardbot_errors import WardbotError

from .._config import Config
from ..storage import Clock, utc_now

MANIFEST = "manifest.json"
FORMAT = 1
SQLITE_HEADER = b"SQLite format 3\x00"
# SQLite's side files (their content is in the backup API's copy) and files being written whole.
SKIPPED_SUFFIXES = ("-wal", "-shm", "-journal", ".partial")


class BackupError(WardbotError):
    """Why a backup or a restore was refused, as one line for the admin."""


def is_sqlite(path: Path) -> bool:
    with open(path, "rb") as file:
        return file.read(len(SQLITE_HEADER)) == SQLITE_HEADER


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _files(folder: Path) -> Iterator[Path]:
    return (path for path in sorted(folder.rglob("*")) if path.is_file())


def _data_files(config: Config) -> Iterator[Path]:
    """The data directory's files worth keeping: not the derived folders, not side files."""
    data_dir = config.data_dir.resolve()
    derived = [config.models_dir.resolve(), config.cache_dir.resolve()]
    for path in _files(data_dir):
        if path.name.endswith(SKIPPED_SUFFIXES) or any(path.is_relative_to(folder) for folder in derived):
            continue
        yield path


def database_stats(connection: sqlite3.Connection) -> dict[str, Any]:
    """The schema version and the rows of every table, as the manifest records them."""
    tables = [
        name
        for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    counts = {name: connection.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in tables}
    return {"user_version": connection.execute("PRAGMA user_version").fetchone()[0], "tables": counts}


def _copy_database(source: Path, target: Path) -> None:
    """Copy ``source`` into ``target`` through SQLite's backup API, in one step (one snapshot),
    however many connections write to either meanwhile."""
    target.parent.mkdir(parents=True, exist_ok=True)
    # Citizens' messages and contacts: owner-only, as the stores create their files (SQLite gives
    # the journal it makes beside a database the database's mode).
    with suppress(FileExistsError):
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    # The timeout: a writer may hold the target's lock (a restore with --force; a reader never
    # blocks a WAL source). closing(): sqlite3's own ``with`` commits but leaves it open.
    with closing(sqlite3.connect(source, timeout=30.0)) as src, closing(sqlite3.connect(target, timeout=30.0)) as dst:
        src.backup(dst)


def _ward_files(config: Config, config_path: Path | None) -> list[tuple[str, Path]]:
    """(what, path) of the ward's own files outside the data directory, as configured."""
    data_dir = config.data_dir.resolve()
    chosen = [("knowledge.paths", Path(path)) for path in config.knowledge.paths]
    if config.calendar.overrides:
        chosen.append(("calendar.overrides", Path(config.calendar.overrides)))
    if config_path is not None and config_path.is_file():
        chosen.append(("config", config_path))
    found = []
    for what, path in chosen:
        if not path.exists():
            raise BackupError(f"{what} names {path}, which does not exist")
        if not path.resolve().is_relative_to(data_dir):  # else it is in data/ already
            found.append((what, path.resolve()))
    return found


def _copy_file(source: Path, target: Path) -> None:
    """Copy with the mode bits (the pseudonym key stays owner-only), whole or not at all."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    shutil.copy2(source, partial)
    os.replace(partial, target)


def backup(
    config: Config,
    target: Path,
    *,
    config_path: Path | None = None,
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """Copy the ward's state into the new folder ``target``; returns the manifest written there."""
    data_dir = config.data_dir
    if not data_dir.is_dir():
        raise BackupError(f"no data directory at {data_dir}: nothing to back up")
    if target.resolve().is_relative_to(data_dir.resolve()):
        raise BackupError(f"{target} is inside the data directory: every later backup would hold this one")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} is not an empty folder: give each backup a folder of its own")
    ward = _ward_files(config, config_path)
    # Owner-only: a backup holds personal data and the key that pseudonymises user ids.
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    databases: dict[str, Any] = {}
    for path in _data_files(config):
        relative = path.relative_to(data_dir.resolve())
        copy = target / "data" / relative
        if is_sqlite(path):
            _copy_database(path, copy)
            with closing(sqlite3.connect(copy)) as connection:
                # One file, needing no -wal beside it: rollback journal mode.
                connection.execute("PRAGMA journal_mode = DELETE")
                databases[copy.relative_to(target).as_posix()] = database_stats(connection)
        else:
            _copy_file(path, copy)
    ward_entries = []
    for number, (what, path) in enumerate(ward, start=1):
        place = Path("ward") / str(number)
        if path.is_dir():
            for file in _files(path):
                _copy_file(file, target / place / file.relative_to(path))
        else:
            place = place / path.name
            _copy_file(path, target / place)
        ward_entries.append({"what": what, "original": str(path), "path": place.as_posix()})
    manifest = {
        "format": FORMAT,
        "wardbot_version": importlib.metadata.version("wardbot"),
        "created_at": clock().astimezone(dt.UTC).isoformat(timespec="seconds"),
        "data_dir": str(data_dir.resolve()),
        "databases": databases,
        "ward": ward_entries,
        "files": {
            file.relative_to(target).as_posix(): {"sha256": sha256(file), "bytes": file.stat().st_size}
            for file in _files(target)
        },
    }
    partial = target / (MANIFEST + ".partial")
    partial.write_text(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(partial, target / MANIFEST)
    return manifest


def read_manifest(source: Path) -> dict[str, Any]:
    """The manifest of the backup in ``source``, once every file it lists has its checksum."""
    try:
        manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{source}: no {MANIFEST}: not a wardbot backup, or one that did not finish") from None
    except json.JSONDecodeError as exc:
        raise BackupError(f"{source / MANIFEST}: not valid JSON: {exc}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{source / MANIFEST}: format {manifest.get('format')!r}; this wardbot reads format {FORMAT}")
    for name, expected in manifest["files"].items():
        path = source / name
        if not path.is_file():
            raise BackupError(f"{path}: missing from the backup (the manifest lists it)")
        if sha256(path) != expected["sha256"]:
            raise BackupError(f"{path}: sha256 differs from the manifest: the backup is damaged or was changed")
    return manifest


def _restore_plan(data_dir: Path, source: Path, manifest: dict[str, Any]) -> list[tuple[str, Path]]:
    """(file in the backup, where it goes) for every file but the manifest."""
    places = {"data": data_dir}
    places.update({entry["path"]: Path(entry["original"]) for entry in manifest["ward"]})
    plan = []
    for name in manifest["files"]:
        for prefix, place in places.items():
            if name == prefix:  # a ward file kept as a file of its own
                plan.append((name, place))
                break
            if name.startswith(prefix + "/"):
                plan.append((name, place / name.removeprefix(prefix + "/")))
                break
        else:
            raise BackupError(f"{source / MANIFEST}: {name} belongs to no place to restore it to")
    return plan


def restore(data_dir: Path, source: Path, *, force: bool = False) -> dict[str, Any]:
    """Put the backup in ``source`` back: the data directory's files into ``data_dir``, the
    ward's files where they were (the configuration among them: none is needed to restore).
    Nothing is written unless every checksum holds and, without ``force``, no database is there
    already and no other file there differs."""
    manifest = read_manifest(source)
    databases = manifest["databases"]
    plan = _restore_plan(data_dir, source, manifest)
    present = [target for name, target in plan if name in databases and target.exists()]
    differing = [
        target
        for name, target in plan
        if name not in databases and target.exists() and sha256(target) != manifest["files"][name]["sha256"]
    ]
    if (present or differing) and not force:
        found = [f"databases {', '.join(map(str, present))}"] if present else []
        found += [f"other files that differ {', '.join(map(str, differing))}"] if differing else []
        raise BackupError(f"the target already has {'; '.join(found)}: stop the bot, then add --force to replace them")
    for name, target in plan:
        if name in databases:
            _copy_database(source / name, target)
            with closing(sqlite3.connect(target)) as connection:
                restored = database_stats(connection)
            if restored != databases[name]:
                raise BackupError(f"{target}: restored, but its rows differ from the manifest: {restored}")
        else:
            _copy_file(source / name, target)
    return manifest
