"""One SQLite file used from asyncio: a single worker thread, WAL, numbered migrations.

Shared by the ticket store and the bot's message store. SQLite connections belong to the thread
that made them, and one writer at a time is what SQLite does anyway, so every call runs on one
worker thread and the event loop never blocks on disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self, TypeVar

import sqlite_utils

from wardbot_errors import WardbotError

log = logging.getLogger(__name__)

T = TypeVar("T")


def timestamp_text(moment: dt.datetime) -> str:
    """How both stores (and the reports that read them) keep a moment: UTC ISO text at whole
    milliseconds, fixed width, so that moments compare correctly as text in SQL, e.g.
    ``2026-11-20T01:00:00.000+00:00``. A naive datetime is refused: its zone would be a guess."""
    if moment.tzinfo is None:
        raise ValueError(f"a timezone-aware time is required, got {moment.isoformat()}")
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds")


class SchemaTooNewError(WardbotError):
    """The file was written by a newer wardbot whose schema this one does not know."""


def connect(path: Path, migrations: Sequence[str]) -> sqlite_utils.Database:
    """Open (creating) the database in WAL mode and bring its schema up to date.

    ``migrations[n - 1]`` brings the schema from version n - 1 to n, recorded in SQLite's
    ``user_version``; a released migration is never edited, changes append a new one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    # Citizens' messages and contacts: readable by the owner only. The file is created 0600
    # before SQLite opens it, and the -wal and -shm files that opening makes beside it are created
    # under a umask that lets no one else read them (SQLite would copy the file's mode to them
    # anyway). The umask is the process's: a file another thread creates meanwhile only gets
    # stricter permissions, never looser.
    previous = os.umask(0o077)
    try:
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        db = sqlite_utils.Database(sqlite3.connect(path, timeout=10.0))
        db.enable_wal()
    finally:
        os.umask(previous)
    db.execute("PRAGMA foreign_keys = ON")
    # Deleted and overwritten rows are zeroed in the file, not left in free space: personal data
    # that was erased or expired must be gone from the disk, not only from queries.
    db.execute("PRAGMA secure_delete = ON")
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > len(migrations):
        db.close()
        raise SchemaTooNewError(f"{path}: schema version {version} is newer than this wardbot knows ({len(migrations)})")
    for number in range(version + 1, len(migrations) + 1):
        # One transaction per migration, the version bump included: all of it or none.
        db.conn.executescript(f"BEGIN;\n{migrations[number - 1]}\nPRAGMA user_version = {number};\nCOMMIT;")
        log.info("%s: schema migrated to version %d", path, number)
    return db


class SqliteWorker:
    """Base of the async stores: owns the worker thread and the connection."""

    def __init__(self, executor: ThreadPoolExecutor, db: sqlite_utils.Database) -> None:
        self._executor = executor
        self._db = db

    @staticmethod
    async def _connect(
        path: str | Path, migrations: Sequence[str], *, thread_name: str
    ) -> tuple[ThreadPoolExecutor, sqlite_utils.Database]:
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=thread_name)
        try:
            db = await asyncio.get_running_loop().run_in_executor(executor, connect, Path(path), migrations)
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return executor, db

    async def close(self) -> None:
        await self._run(self._db.close)
        self._executor.shutdown(wait=True)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @contextmanager
    def _write(self) -> Iterator[None]:
        """One write transaction, all of it or none. IMMEDIATE takes the write lock before
        anything is read, so that another process (the CLI beside the bot) waits for it instead
        of reading the same version and failing later with "database is locked". sqlite-utils
        calls inside nest as savepoints instead of committing on their own."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.rollback()
            raise
        self._db.commit()

    async def _run(self, function: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    async def checkpoint(self) -> None:
        """Copy the write-ahead log into the file and empty it: the log still holds the pages as
        they were before the last writes, personal data just erased included. A reader in
        another process may keep part of it until the next checkpoint."""
        await self._run(lambda: self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall())
