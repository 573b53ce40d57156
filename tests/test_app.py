"""The application: one loop serving HTTP and channels, recovery at start, the KB reload that
never serves a broken knowledge base, and ``wardbot chat`` in a console."""

from __future__ import annotations

import asyncio
import io
import logging
from pathlib import Path

import aiohttp
import pytest
from fakes.aio import async_test
from fakes.channels import CollectingChannel
from fakes.embedders import HashingEmbedder
from fakes.kb import TINY_PROCEDURE

from bot._app import Application
from bot._config import Config, HttpSettings, KnowledgeSettings, Secrets
from bot.channels._console import ConsoleChannel
from bot.storage import Storage, load_pseudonym_key
from handlers import DialogueStore, IncomingMessage, Outcome, Reply, SearchEngine, Turn
from knowledge import KnowledgeBaseError

ADMIN = "admin-token"


class CountingDialogue:
    """Says how many entries its engine has, so a test sees which engine answers."""

    def __init__(self, engine: SearchEngine, store: DialogueStore, *, ward_name: str, ward_contact: str) -> None:
        self.engine = engine
        self.ward_name = ward_name

    async def handle(self, message: IncomingMessage) -> Turn:
        return Turn((Reply(f"{self.ward_name}: {len(self.engine.kb)} mục"),), Outcome.CONVERSATION)


def config(tmp_path: Path, kb: Path) -> Config:
    return Config(
        data_dir=tmp_path / "data",
        knowledge=KnowledgeSettings(paths=(str(kb),), national=False),
        http=HttpSettings(port=0),
        secrets=Secrets(admin_token=ADMIN),
    )


def application(cfg: Config, channels: list, *, serve_http: bool = True) -> Application:
    return Application(
        cfg,
        channels=channels,
        serve_http=serve_http,
        embedder=HashingEmbedder(),
        dialogue_factory=CountingDialogue,
        apology=Reply("Xin lỗi."),
        progress=False,
    )


@async_test
async def test_serves_health_metrics_and_messages_then_stops(tmp_path: Path, tiny_kb: Path) -> None:
    channel = CollectingChannel()
    app = application(config(tmp_path, tiny_kb), [channel])
    await app.start()
    try:
        await channel.receive(IncomingMessage("test", "c1", "u1", text="xin chào"))
        async with aiohttp.ClientSession(app.http.url) as http:
            async with http.get("/healthz") as response:
                health = await response.json()
            async with http.get("/metrics") as response:
                metrics = await response.text()
    finally:
        await app.stop()
    assert health["kb_entries"] == 3 and health["channels"] == ["test"]
    assert 'wardbot_messages_total{channel="test"} 1.0' in metrics
    assert "wardbot_reply_latency_seconds_bucket" in metrics
    assert channel.texts == ["Phường Mẫu: 3 mục"]
    assert channel.dispatch is None  # stopped


@async_test
async def test_a_message_left_unanswered_by_a_crash_is_answered_at_start(tmp_path: Path, tiny_kb: Path) -> None:
    cfg = config(tmp_path, tiny_kb)
    channel = CollectingChannel()
    async with await Storage.open(cfg.database_path, pseudonym_key=load_pseudonym_key(cfg)) as storage:
        await storage.record_inbound(IncomingMessage("test", "c1", "u1", text="lệ phí?", message_id="1"))
    app = application(cfg, [channel])
    await app.start()
    await app.stop()
    assert channel.texts == ["Phường Mẫu: 3 mục"]


@async_test
async def test_admin_reload_swaps_a_valid_kb_and_keeps_the_old_one_when_broken(
    tmp_path: Path, tiny_kb: Path, caplog: pytest.LogCaptureFixture
) -> None:
    channel = CollectingChannel()
    app = application(config(tmp_path, tiny_kb), [channel])
    broken = tiny_kb / "procedures" / "9.999999.md"

    async def reload(http: aiohttp.ClientSession, token: str = ADMIN) -> int:
        async with http.post("/admin/reload", headers={"Authorization": f"Bearer {token}"}) as response:
            bodies.append(await response.json())
            return response.status

    async def ask() -> str:
        await channel.receive(IncomingMessage("test", "c1", "u1", text="?"))
        return channel.texts[-1]

    async def health(http: aiohttp.ClientSession) -> dict:
        async with http.get("/healthz") as response:
            return await response.json()

    bodies: list[dict] = []

    with caplog.at_level(logging.ERROR, logger="bot._app"):
        await app.start()
        seen: list[object] = []
        try:
            async with aiohttp.ClientSession(app.http.url) as http:
                seen.append(await reload(http, token="wrong"))
                broken.write_text(TINY_PROCEDURE.format(code="9.999999", name="").replace("kind: procedure", "kind: x"))
                seen += [await reload(http), await ask(), await health(http)]
                async with http.get("/metrics") as response:
                    seen.append(await response.text())
                broken.write_text(TINY_PROCEDURE.format(code="9.999999", name="Thủ tục mới"), encoding="utf-8")
                seen += [await reload(http), await ask(), await health(http)]
        finally:
            await app.stop()
    assert seen[:3] == [401, 422, "Phường Mẫu: 3 mục"]
    # The admin is told why, file:line, in the answer itself; /healthz and /metrics say so too.
    refused = bodies[1]
    assert refused["outcome"] == "refused" and refused["kb_entries"] == 3
    assert [p for p in refused["problems"] if p.startswith(f"{broken}:2:")]
    assert seen[3]["last_reload"]["outcome"] == "refused" and seen[3]["last_reload"]["problems"] == refused["problems"]
    assert 'wardbot_kb_reloads_total{outcome="refused"} 1.0' in seen[4]
    assert f"wardbot_kb_problems {float(len(refused['problems']))}" in seen[4]
    assert seen[5:7] == [200, "Phường Mẫu: 4 mục"]
    assert bodies[2]["outcome"] == "reloaded" and bodies[2]["problems"] == [] and bodies[2]["kb_entries"] == 4
    assert seen[7]["kb_fingerprint"] == bodies[2]["kb_fingerprint"] != refused["kb_fingerprint"]
    assert "reload refused" in caplog.text and f"{broken}:2:" in caplog.text


@async_test
async def test_a_restart_with_a_broken_entry_serves_the_last_good_kb(
    tmp_path: Path, tiny_kb: Path, caplog: pytest.LogCaptureFixture
) -> None:
    channel = CollectingChannel()
    cfg = config(tmp_path, tiny_kb)

    async def start_and_ask() -> tuple[str, dict]:
        app = application(cfg, [channel], serve_http=False)
        await app.start()
        try:
            await channel.receive(IncomingMessage("test", "c1", "u1", text="?"))
            return channel.texts[-1], dict(app._health())
        finally:
            await app.stop()

    await start_and_ask()  # a good start keeps its KB as the last good one
    (tiny_kb / "faq" / "vneid.md").write_text("no front matter\n", encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="bot._app"):
        answer, health = await start_and_ask()
    assert answer == "Phường Mẫu: 3 mục" and health["kb_from_snapshot"] is True
    assert health["last_reload"]["outcome"] == "refused"
    assert health["last_reload"]["problems"][0].startswith(str(tiny_kb / "faq" / "vneid.md"))
    assert "THE KNOWLEDGE BASE HAS 1 PROBLEM(S)" in caplog.text
    # With no good KB ever served, the problems stop the start.
    cfg.kb_snapshot_path.unlink()
    with pytest.raises(KnowledgeBaseError):
        await start_and_ask()


@async_test
async def test_wardbot_chat_talks_on_the_console_until_quit(tmp_path: Path, tiny_kb: Path) -> None:
    output = io.StringIO()
    console = ConsoleChannel(input=io.StringIO("xin chào\n/quit\n"), output=output)
    app = application(config(tmp_path, tiny_kb), [console], serve_http=False)
    await asyncio.wait_for(app.run(until=console.closed.wait()), 30)
    assert "Phường Mẫu: 3 mục" in output.getvalue()
