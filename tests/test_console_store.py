"""The console's users and audit log (``console.sqlite3``), ``wardbot users`` at the terminal, and
the signed sessions and CSRF tokens of ``bot.console``."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import os
import sqlite3
import stat
from pathlib import Path

import pytest
from fakes.aio import async_test
from fakes.clocks import ManualClock

from bot.cli import main
from bot.console import CONSOLE_DB, ConsoleStore, ConsoleUserError, Role, Session, Signer


@async_test
async def test_users_are_added_verified_changed_and_every_change_is_audited(tmp_path: Path) -> None:
    clock = ManualClock()
    async with await ConsoleStore.open(tmp_path / CONSOLE_DB, clock=clock) as store:
        assert not await store.has_enabled_admin()
        lan = await store.add_user("Lan", Role.OFFICIAL, "mật khẩu dài", actor="cli:root")
        assert (lan.username, lan.role, lan.enabled, lan.generation) == ("lan", Role.OFFICIAL, True, 1)
        assert await store.verify("lan", "mật khẩu dài") == lan
        assert await store.verify("LAN ", "mật khẩu dài") == lan
        assert await store.verify("lan", "sai") is None and await store.verify("ai-do", "mật khẩu dài") is None
        with pytest.raises(ConsoleUserError, match="already exists"):
            await store.add_user("lan", Role.ADMIN, "mật khẩu khác", actor="cli:root")
        with pytest.raises(ConsoleUserError, match="too short: 7 characters, at least 8"):
            await store.add_user("hoa", Role.ADMIN, "1234567", actor="cli:root")
        with pytest.raises(ConsoleUserError, match="invalid username"):
            await store.add_user("a b", Role.ADMIN, "mật khẩu dài", actor="cli:root")
        admin = await store.add_user("admin", Role.ADMIN, "mật khẩu dài", actor="cli:root")
        assert await store.has_enabled_admin()
        # The last enabled admin can be neither disabled nor demoted.
        for change in (store.set_disabled("admin", True, actor="x"), store.set_role("admin", "leader", actor="x")):
            with pytest.raises(ConsoleUserError, match="last enabled admin"):
                await change
        clock.advance(60)
        lan = await store.set_password("lan", "mật khẩu mới", actor="console:admin")
        assert lan.generation == 2 and lan.updated_at == clock()
        assert await store.verify("lan", "mật khẩu dài") is None and await store.verify("lan", "mật khẩu mới") == lan
        lan = await store.set_disabled("lan", True, actor="console:admin")
        assert lan.disabled and lan.generation == 3 and await store.verify("lan", "mật khẩu mới") is None
        lan = await store.set_disabled("lan", False, actor="console:admin")
        assert lan.enabled and lan.generation == 3  # enabling again opens no old session
        assert (await store.set_role("lan", "leader", actor="console:admin")).role is Role.LEADER
        await store.record("console:admin", "ticket.answer", "PA-2026-000001", "answered")
        entries, total = await store.audit(limit=3)
        assert total == 7 and [e.action for e in entries] == ["ticket.answer", "user.role", "user.enable"]
        assert entries[0].target == "PA-2026-000001" and entries[1].detail == "role=leader"
        older, _ = await store.audit(offset=3, limit=10)
        assert [e.action for e in older] == ["user.disable", "user.password", "user.add", "user.add"]
        assert admin.created_at == older[-1].at
    # Written 0600, and the audit log is append-only even to SQL.
    assert stat.S_IMODE(os.stat(tmp_path / CONSOLE_DB).st_mode) == 0o600
    with sqlite3.connect(tmp_path / CONSOLE_DB) as db:
        assert "$argon2id$" in db.execute("SELECT password_hash FROM users WHERE username = 'lan'").fetchone()[0]
        for sql in ("UPDATE audit SET actor = 'x'", "DELETE FROM audit"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                db.execute(sql)


def users_cli(args: list[str], password: str | None = None, monkeypatch: pytest.MonkeyPatch | None = None) -> int:
    assert monkeypatch is not None
    monkeypatch.setattr("sys.stdin", io.StringIO(password if password is not None else ""))
    return main(["users", *args])


def test_wardbot_users_reads_the_password_from_stdin_lists_and_disables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WARDBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("WARDBOT_CONFIG", raising=False)
    assert users_cli(["add", "admin", "--role", "admin"], "ngắn\n", monkeypatch) == 1
    assert capsys.readouterr().err == ("wardbot: the password is too short: 4 characters, at least 8 are required\n")
    assert not (tmp_path / "data" / CONSOLE_DB).exists()  # refused before anything was written
    assert users_cli(["add", "admin", "--role", "admin"], "mật khẩu quản trị\n", monkeypatch) == 0
    assert users_cli(["add", "lan", "--role", "official"], "mật khẩu cán bộ\r\n", monkeypatch) == 0
    assert capsys.readouterr().out == "admin: added as admin\nlan: added as official\n"
    assert users_cli(["list"], None, monkeypatch) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0].split() == ["USERNAME", "ROLE", "STATE", "CREATED"]
    assert [line.split()[:3] for line in listed[1:]] == [["admin", "admin", "enabled"], ["lan", "official", "enabled"]]
    assert users_cli(["disable", "lan"], None, monkeypatch) == 0
    assert users_cli(["set-role", "admin", "leader"], None, monkeypatch) == 1
    assert "last enabled admin" in capsys.readouterr().err
    assert users_cli(["reset-password", "admin"], "mật khẩu mới hơn\n", monkeypatch) == 0
    assert users_cli(["enable", "ai-do"], None, monkeypatch) == 1
    assert users_cli(["list"], None, monkeypatch) == 0
    assert "lan       official  disabled" in capsys.readouterr().out

    async def check() -> None:
        async with await ConsoleStore.open(tmp_path / "data" / CONSOLE_DB) as store:
            assert await store.verify("admin", "mật khẩu mới hơn") is not None  # the newline is not part of it
            assert await store.verify("lan", "mật khẩu cán bộ") is None  # disabled
            entries, _ = await store.audit()
            assert [(e.action, e.target) for e in reversed(entries)] == [
                ("user.add", "admin"),
                ("user.add", "lan"),
                ("user.disable", "lan"),
                ("user.password", "admin"),
            ]
            assert all(entry.actor.startswith("cli:") for entry in entries)

    asyncio.run(check())


NOW = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)


def test_a_session_is_signed_expires_and_cannot_be_changed() -> None:
    signer = Signer(b"the ward's secret")
    session = Session("lan", 2, NOW + dt.timedelta(hours=8))
    value = signer.sign(session)
    assert signer.read(value, NOW) == session
    assert signer.read(value, NOW + dt.timedelta(hours=8)) is None  # expired
    assert Signer(b"another secret").read(value, NOW) is None
    payload, mac = value.split(".")
    forged = signer.sign(Session("admin", 2, NOW + dt.timedelta(hours=8))).split(".")[0]
    assert signer.read(f"{forged}.{mac}", NOW) is None  # another name under the old signature
    for broken in ("", "x", f"{payload}.", f"{payload}.{mac}.x", f"{payload}.!!!", f"{payload[:-2]}.{mac}"):
        assert signer.read(broken, NOW) is None


def test_a_csrf_token_belongs_to_its_nonce_and_its_secret() -> None:
    signer = Signer(b"the ward's secret")
    token = signer.csrf_token("nonce-1")
    assert signer.csrf_valid("nonce-1", token)
    assert not signer.csrf_valid("nonce-2", token)
    assert not signer.csrf_valid("", signer.csrf_token(""))
    assert not Signer(b"another secret").csrf_valid("nonce-1", token)
