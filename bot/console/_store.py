"""The console's users and its audit log, in ``console.sqlite3`` in the data directory.

A file of its own rather than a table of the bot's store: ``wardbot users`` changes it while
``wardbot run`` serves it, each change one ``BEGIN IMMEDIATE`` transaction (:class:`tickets.SqliteWorker`),
and ``wardbot backup`` copies it with every other database of the data directory.

Passwords are kept as argon2id hashes (argon2-cffi's defaults, RFC 9106's low-memory profile).
Each user has a ``generation``, bumped when their password is reset or they are disabled: a
session names the generation it was opened in, so every older session stops at its next request.
The audit log is append-only (triggers refuse to change or delete a row) and holds who, when,
what and which ticket or entry, never a citizen's words or contacts.
"""

from __future__ import annotations

import asyncio
import builtins
import dataclasses
import datetime as dt
import re
from pathlib import Path
from typing import Any

import argon2
import sqlite_utils

from tickets import SqliteWorker, timestamp_text
from wardbot_errors import WardbotError

from ..officials import Role
from ..storage import Clock, utc_now

CONSOLE_DB = "console.sqlite3"
MIN_PASSWORD_CHARS = 8
# Longer than any passphrase, short enough that hashing one costs nothing unusual.
MAX_PASSWORD_CHARS = 1024
# Lower-case letters, digits and . _ -: a name an official types on a phone and reads in the audit.
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,31}")

MIGRATIONS = (
    """
    CREATE TABLE users (
        username TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('official', 'leader', 'admin')),
        password_hash TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0,
        generation INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL DEFAULT '',
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    """,
)


class ConsoleUserError(WardbotError):
    """A user change that was refused (unknown user, name taken, password too short, …)."""


@dataclasses.dataclass(frozen=True, slots=True)
class User:
    username: str
    role: Role
    disabled: bool
    generation: int  # sessions of another generation are void
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def enabled(self) -> bool:
        return not self.disabled

    def may(self, required: Role) -> bool:
        """Whether this user, enabled, has ``required``'s rights."""
        return self.enabled and self.role.allows(required)


@dataclasses.dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: dt.datetime
    actor: str  # "console:lan", "cli:root"
    action: str  # e.g. "user.add", "ticket.answer", "kb.reload"
    target: str  # a ticket code, an entry id, a username
    detail: str


def check_username(username: str) -> str:
    """The name as stored (lower case), or :class:`ConsoleUserError` saying what a name may be."""
    name = username.strip().lower()
    if not USERNAME.fullmatch(name):
        raise ConsoleUserError(
            f"invalid username {username!r}: 2-32 characters of a-z 0-9 . _ -, starting with a letter or digit"
        )
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_CHARS:
        raise ConsoleUserError(
            f"the password is too short: {len(password)} characters, at least {MIN_PASSWORD_CHARS} are required"
        )
    if len(password) > MAX_PASSWORD_CHARS:
        raise ConsoleUserError(f"the password is too long: at most {MAX_PASSWORD_CHARS} characters")
    return password


def _user(row: dict[str, Any]) -> User:
    return User(
        username=row["username"],
        role=Role(row["role"]),
        disabled=bool(row["disabled"]),
        generation=row["generation"],
        created_at=dt.datetime.fromisoformat(row["created_at"]),
        updated_at=dt.datetime.fromisoformat(row["updated_at"]),
    )


class ConsoleStore(SqliteWorker):
    """Users and the audit log. Every user change is written with its audit entry in one transaction."""

    def __init__(self, executor: Any, db: sqlite_utils.Database, clock: Clock) -> None:
        super().__init__(executor, db)
        self._clock = clock
        self._hasher = argon2.PasswordHasher()
        # Verified when the name is unknown, so that a wrong name takes as long as a wrong password.
        self._unknown_hash = self._hasher.hash("wardbot: no such user")

    @classmethod
    async def open(cls, path: str | Path, *, clock: Clock = utc_now) -> ConsoleStore:
        executor, db = await cls._connect(path, MIGRATIONS, thread_name="console-db")
        return cls(executor, db, clock)

    # --- users -----------------------------------------------------------------------------------

    def _read(self, username: str) -> dict[str, Any]:
        rows = list(self._db.query("SELECT * FROM users WHERE username = ?", [username]))
        if not rows:
            raise ConsoleUserError(f"no console user named {username!r}")
        return rows[0]

    def _log(self, actor: str, action: str, target: str, detail: str) -> None:
        self._db.table("audit").insert(
            {"at": timestamp_text(self._clock()), "actor": actor, "action": action, "target": target, "detail": detail}
        )

    def _enabled_admins(self) -> int:
        sql = "SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0"
        return int(self._db.execute(sql).fetchone()[0])

    async def _hash(self, password: str) -> str:
        # About 50 ms of CPU and 64 MiB: off the loop, and off the database's one thread.
        return await asyncio.to_thread(self._hasher.hash, check_password(password))

    async def add_user(self, username: str, role: Role | str, password: str, *, actor: str) -> User:
        name, role = check_username(username), Role(role)
        password_hash = await self._hash(password)

        def write() -> User:
            now = timestamp_text(self._clock())
            with self._write():
                if list(self._db.query("SELECT 1 FROM users WHERE username = ?", [name])):
                    raise ConsoleUserError(f"a console user named {name!r} already exists")
                row = {"username": name, "role": role.value, "password_hash": password_hash}
                self._db.table("users").insert(row | {"created_at": now, "updated_at": now})
                self._log(actor, "user.add", name, f"role={role.value}")
                return _user(self._read(name))

        return await self._run(write)

    async def _change(
        self, username: str, changes: dict[str, Any], *, actor: str, action: str, detail: str = "", end_sessions: bool
    ) -> User:
        """Apply ``changes`` to the user and audit it, ending their sessions if ``end_sessions``
        (a new generation); the last enabled admin is never disabled or demoted, so that the
        console can always be managed from itself."""
        name = check_username(username)

        def write() -> User:
            with self._write():
                before = _user(self._read(name))
                after = {"disabled": before.disabled, "role": before.role.value} | changes
                if (
                    before.role is Role.ADMIN
                    and before.enabled
                    and (after["disabled"] or after["role"] != Role.ADMIN.value)
                    and self._enabled_admins() == 1
                ):
                    raise ConsoleUserError(f"{name!r} is the last enabled admin: add another admin first")
                values = dict(changes, updated_at=timestamp_text(self._clock()))
                if end_sessions:
                    values["generation"] = before.generation + 1
                self._db.table("users").update(name, values)
                self._log(actor, action, name, detail)
                return _user(self._read(name))

        return await self._run(write)

    async def set_disabled(self, username: str, disabled: bool, *, actor: str) -> User:
        """Disable (every session of the user ends at its next request) or enable again."""
        action = "user.disable" if disabled else "user.enable"
        return await self._change(
            username, {"disabled": int(disabled)}, actor=actor, action=action, end_sessions=disabled
        )

    async def set_role(self, username: str, role: Role | str, *, actor: str) -> User:
        role = Role(role)
        changes = {"role": role.value}
        return await self._change(
            username, changes, actor=actor, action="user.role", detail=f"role={role.value}", end_sessions=False
        )

    async def set_password(self, username: str, password: str, *, actor: str) -> User:
        """A new password; the user's sessions end."""
        changes = {"password_hash": await self._hash(password)}
        return await self._change(username, changes, actor=actor, action="user.password", end_sessions=True)

    async def get(self, username: str) -> User | None:
        def read() -> User | None:
            rows = list(self._db.query("SELECT * FROM users WHERE username = ?", [username.strip().lower()]))
            return _user(rows[0]) if rows else None

        return await self._run(read)

    async def users(self) -> builtins.list[User]:
        return await self._run(lambda: [_user(row) for row in self._db.query("SELECT * FROM users ORDER BY username")])

    async def has_enabled_admin(self) -> bool:
        """Whether the console is on: it stays off until an enabled admin exists."""
        return await self._run(self._enabled_admins) > 0

    async def verify(self, username: str, password: str) -> User | None:
        """The enabled user with this name and password, else None (unknown, disabled or wrong:
        the caller cannot tell which, nor can a guesser by the time it takes)."""
        rows = await self._run(
            lambda: list(self._db.query("SELECT * FROM users WHERE username = ?", [username.strip().lower()]))
        )
        stored = rows[0]["password_hash"] if rows else self._unknown_hash
        try:
            await asyncio.to_thread(self._hasher.verify, stored, password[:MAX_PASSWORD_CHARS])
        except argon2.exceptions.VerificationError:
            return None
        except argon2.exceptions.InvalidHashError:
            return None
        if not rows:
            return None
        user = _user(rows[0])
        return user if user.enabled else None

    # --- the audit log ---------------------------------------------------------------------------

    async def record(self, actor: str, action: str, target: str = "", detail: str = "") -> None:
        """Append one entry: ``actor`` did ``action`` to ``target`` (a ticket code, an entry id).
        ``detail`` is short and never holds a citizen's words or contacts."""

        def write() -> None:
            with self._write():
                self._log(actor, action, target, detail)

        await self._run(write)

    async def audit(self, *, offset: int = 0, limit: int = 50) -> tuple[builtins.list[AuditEntry], int]:
        """A page of the log, newest first, and how many entries it holds in all."""

        def read() -> tuple[list[AuditEntry], int]:
            total = int(self._db.execute("SELECT count(*) FROM audit").fetchone()[0])
            sql = "SELECT * FROM audit ORDER BY id DESC LIMIT ? OFFSET ?"
            entries = [
                AuditEntry(
                    row["id"],
                    dt.datetime.fromisoformat(row["at"]),
                    row["actor"],
                    row["action"],
                    row["target"],
                    row["detail"],
                )
                for row in self._db.query(sql, [limit, offset])
            ]
            return entries, total

        return await self._run(read)
