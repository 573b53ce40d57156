"""wardbot backup and restore: a consistent copy of a live data directory, put back elsewhere."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from fakes.aio import async_test, wait_until
from fakes.kb import write_tiny_kb

from bot._config import Config, config_file, load_config
from bot.cli import main
from bot.ops._backup import BackupError, backup, database_stats, restore, sha256
from bot.storage import PSEUDONYM_KEY_FILE, Storage, load_pseudonym_key
from handlers import IncomingMessage
from tickets import Category, TicketStore, replay_events

DUE = dt.datetime(2026, 12, 4, 10, 0, tzinfo=dt.UTC)
OVERRIDES = "date,kind,reason\n2026-12-24,closure,Tổng vệ sinh\n"


@pytest.fixture
def ward(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A ward's folder with its bot.toml, KB and overrides; the bot's data in tmp/live."""
    folder = tmp_path / "ward"
    write_tiny_kb(folder / "kb")
    (folder / "lich.csv").write_text(OVERRIDES, encoding="utf-8")
    text = '[knowledge]\npaths = ["kb"]\nnational = false\n[calendar]\noverrides = "lich.csv"\n'
    (folder / "bot.toml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("WARDBOT_CONFIG", str(folder / "bot.toml"))
    monkeypatch.setenv("WARDBOT_DATA_DIR", str(tmp_path / "live"))
    return folder


async def write_some(config: Config, count: int) -> None:
    """``count`` messages and tickets, written as the running bot writes them."""
    async with (
        await Storage.open(config.database_path, pseudonym_key=load_pseudonym_key(config)) as storage,
        await TicketStore.open(config.data_dir / "tickets.sqlite3") as tickets,
    ):
        for number in range(count):
            await storage.record_inbound(IncomingMessage("web", f"chat-{number}", "u", text="đèn đường hỏng"))
            await tickets.create(Category.FEEDBACK, channel="web", chat_id="c", user="p", text="Đèn hỏng", due_at=DUE)


def tickets_in(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]


@async_test
async def test_a_backup_taken_while_the_bot_writes_restores_the_same_ticket_histories(
    ward: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_config()
    storage = await Storage.open(config.database_path, pseudonym_key=load_pseudonym_key(config))
    tickets = await TicketStore.open(config.data_dir / "tickets.sqlite3")
    (config.data_dir / "uploads").mkdir()
    (config.data_dir / "uploads" / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0 a citizen's photo")
    # Derived files, rebuilt by `wardbot prepare` or the next start: never in a backup.
    (config.models_dir / "e5").mkdir(parents=True)
    (config.models_dir / "e5" / "model.safetensors").write_bytes(b"weights")
    config.cache_dir.mkdir()
    with closing(sqlite3.connect(config.cache_dir / "embeddings.sqlite3")) as cache:
        cache.execute("CREATE TABLE vectors (key TEXT)")

    written = 0
    stop = asyncio.Event()

    async def keep_writing() -> None:
        """The bot at work: messages in, tickets filed, claimed and answered, until told to stop."""
        nonlocal written
        while not stop.is_set():
            await storage.record_inbound(IncomingMessage("web", f"chat-{written}", "u", text="đèn đường hỏng"))
            ticket = await tickets.create(
                Category.FEEDBACK, channel="web", chat_id=f"chat-{written}", user="p", text="Đèn hỏng", due_at=DUE
            )
            ticket = await tickets.claim(ticket.code, actor="lan", expected_version=ticket.version)
            if written % 2:
                await tickets.reply(ticket.code, "Đã thay bóng đèn", actor="lan", expected_version=ticket.version)
            written += 1

    writer = asyncio.ensure_future(keep_writing())
    await wait_until(lambda: written >= 5, what="the writer's first tickets")
    # On a thread, as a second process would: the writer keeps going on the loop meanwhile.
    manifest = await asyncio.to_thread(backup, config, tmp_path / "backup", config_path=config_file())
    stop.set()
    await writer
    live = {ticket.code: await tickets.events(ticket.code) for ticket in await tickets.list()}
    await storage.close()
    await tickets.close()

    assert set(manifest["databases"]) == {"data/wardbot.sqlite3", "data/tickets.sqlite3"}
    assert not any(name.startswith(("data/models/", "data/cache/")) for name in manifest["files"])
    assert not list((tmp_path / "backup").rglob("*-wal"))  # each copy is one self-contained file
    monkeypatch.setenv("WARDBOT_DATA_DIR", str(tmp_path / "restored"))
    restored = load_config()
    restore(restored.data_dir, tmp_path / "backup")

    for name, stats in manifest["databases"].items():
        path = restored.data_dir / name.removeprefix("data/")
        assert path.stat().st_mode & 0o777 == 0o600  # citizens' data, owner-only as the stores make it
        with sqlite3.connect(path) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert database_stats(db) == stats and stats["user_version"] >= 1
    counts = manifest["databases"]["data/tickets.sqlite3"]["tables"]
    assert counts["tickets"] >= 5 and counts["ticket_events"] >= 2 * counts["tickets"]
    assert manifest["databases"]["data/wardbot.sqlite3"]["tables"]["messages"] >= 5
    async with await TicketStore.open(restored.data_dir / "tickets.sqlite3") as copy:
        restored_tickets = await copy.list()
        assert len(restored_tickets) == counts["tickets"]
        for ticket in restored_tickets:
            events = await copy.events(ticket.code)
            # The same history as the live store's up to the moment of the copy, and the row
            # replayed from it: a torn copy would hold a row without its event or the reverse.
            assert events == live[ticket.code][: len(events)]
            assert replay_events(events) == ticket
    key = restored.data_dir / PSEUDONYM_KEY_FILE
    assert key.read_bytes() == (config.data_dir / PSEUDONYM_KEY_FILE).read_bytes()
    assert key.stat().st_mode & 0o777 == 0o600
    assert (restored.data_dir / "uploads" / "photo.jpg").read_bytes() == b"\xff\xd8\xff\xe0 a citizen's photo"
    assert not restored.models_dir.exists() and not restored.cache_dir.exists()


def test_the_manifest_records_version_time_schema_rows_and_checksums(ward: Path, tmp_path: Path) -> None:
    config = load_config()
    asyncio.run(write_some(config, 3))
    at = dt.datetime(2026, 11, 20, 8, 30, tzinfo=dt.UTC)
    backup(config, tmp_path / "backup", config_path=config_file(), clock=lambda: at)
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["created_at"] == "2026-11-20T08:30:00+00:00" and manifest["wardbot_version"]
    assert manifest["databases"]["data/tickets.sqlite3"]["tables"]["tickets"] == 3
    assert manifest["databases"]["data/wardbot.sqlite3"]["tables"]["messages"] == 3
    for name, file in manifest["files"].items():
        path = tmp_path / "backup" / name
        assert file == {"sha256": sha256(path), "bytes": path.stat().st_size}
    ward_files = {entry["what"]: entry for entry in manifest["ward"]}
    assert ward_files["knowledge.paths"]["original"] == str(ward / "kb")
    assert ward_files["calendar.overrides"]["original"] == str(ward / "lich.csv")
    assert ward_files["config"]["original"] == str(ward / "bot.toml")
    copied = tmp_path / "backup" / ward_files["knowledge.paths"]["path"] / "procedures" / "1.001193.md"
    assert copied.read_bytes() == (ward / "kb" / "procedures" / "1.001193.md").read_bytes()
    assert (tmp_path / "backup").stat().st_mode & 0o777 == 0o700  # personal data and the pseudonym key


def test_restore_refuses_databases_already_there_unless_forced(ward: Path, tmp_path: Path) -> None:
    config = load_config()
    asyncio.run(write_some(config, 3))
    backup(config, tmp_path / "backup")
    asyncio.run(write_some(config, 2))  # the bot went on after the backup
    tickets_file = config.data_dir / "tickets.sqlite3"
    before = sha256(tickets_file)
    with pytest.raises(BackupError) as caught:
        restore(config.data_dir, tmp_path / "backup")
    assert str(caught.value) == (
        f"the target already has databases {tickets_file}, {config.database_path}: "
        "stop the bot, then add --force to replace them"
    )
    assert sha256(tickets_file) == before and tickets_in(tickets_file) == 5
    restore(config.data_dir, tmp_path / "backup", force=True)
    assert tickets_in(tickets_file) == 3  # back to the moment of the backup
    asyncio.run(write_some(config, 1))  # and the bot writes on from there
    assert tickets_in(tickets_file) == 4


def test_restore_checks_every_checksum_before_it_writes_anything(ward: Path, tmp_path: Path) -> None:
    config = load_config()
    asyncio.run(write_some(config, 2))
    backup(config, tmp_path / "backup")
    fresh = tmp_path / "fresh"
    damaged = tmp_path / "backup" / "data" / "wardbot.sqlite3"
    contents = bytearray(damaged.read_bytes())
    contents[-1] ^= 0xFF
    damaged.write_bytes(bytes(contents))
    with pytest.raises(BackupError, match=f"^{damaged}: sha256 differs from the manifest: the backup is damaged"):
        restore(fresh, tmp_path / "backup")
    assert not fresh.exists()  # not even the files whose checksums held
    damaged.unlink()
    with pytest.raises(BackupError, match=f"^{damaged}: missing from the backup"):
        restore(fresh, tmp_path / "backup")
    (tmp_path / "backup" / "manifest.json").unlink()
    with pytest.raises(BackupError, match="no manifest.json: not a wardbot backup, or one that did not finish"):
        restore(fresh, tmp_path / "backup")


def test_a_backup_needs_a_folder_of_its_own(ward: Path, tmp_path: Path) -> None:
    config = load_config()
    with pytest.raises(BackupError, match="no data directory at .*live: nothing to back up"):
        backup(config, tmp_path / "backup")
    asyncio.run(write_some(config, 1))
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "old.txt").write_text("an earlier backup", encoding="utf-8")
    with pytest.raises(BackupError, match="backup is not an empty folder: give each backup a folder of its own"):
        backup(config, tmp_path / "backup")
    with pytest.raises(BackupError, match="backups/1 is inside the data directory: every later backup would hold"):
        backup(config, config.data_dir / "backups" / "1")


def test_the_commands_put_back_the_ward_files_too(
    ward: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(write_some(load_config(), 2))
    assert main(["backup", "--to", str(tmp_path / "backup")]) == 0
    err = capsys.readouterr().err
    assert re.search(r"^  data/tickets\.sqlite3: schema \d+, \d+ rows in \d+ tables$", err, re.MULTILINE)
    assert f"calendar.overrides {ward / 'lich.csv'}" in err

    # A new machine: an empty data directory, the overrides file lost, a KB entry edited since.
    monkeypatch.setenv("WARDBOT_DATA_DIR", str(tmp_path / "new"))
    entry = ward / "kb" / "procedures" / "1.001193.md"
    original = entry.read_bytes()
    entry.write_bytes(original.replace(b"khai sinh", "khai tử".encode()))
    (ward / "lich.csv").unlink()
    assert main(["restore", "--from", str(tmp_path / "backup")]) == 1
    assert capsys.readouterr().err == (
        f"wardbot: restore: the target already has other files that differ {entry}: "
        "stop the bot, then add --force to replace them\n"
    )
    assert not (tmp_path / "new").exists()
    assert main(["restore", "--from", str(tmp_path / "backup"), "--force"]) == 0
    assert "Restored the backup of " in capsys.readouterr().err
    assert entry.read_bytes() == original and (ward / "lich.csv").read_text(encoding="utf-8") == OVERRIDES
    assert tickets_in(tmp_path / "new" / "tickets.sqlite3") == 2
