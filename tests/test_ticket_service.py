"""Officials' answers reach citizens whatever front end recorded them, with no officials' group:
filed in the web chat, answered with `wardbot tickets reply` in the CLI, delivered by the bot."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import aiohttp
import pytest
from fakes.aio import async_test
from fakes.embedders import HashingEmbedder

from bot._app import Application
from bot._config import load_config
from bot.channels._web import WebChannel
from bot.cli import main

SESSION = "c" * 32


@pytest.fixture
def no_group_config(tmp_path: Path, tiny_kb: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The default set-up: no `[officials]` group, only the KB made small for speed."""
    path = tmp_path / "bot.toml"
    path.write_text(f'[knowledge]\npaths = ["{tiny_kb}"]\nnational = false\n[http]\nport = 0\n', encoding="utf-8")
    monkeypatch.setenv("WARDBOT_CONFIG", str(path))
    monkeypatch.setenv("WARDBOT_DATA_DIR", str(tmp_path / "data"))
    return path


class WebCitizen:
    """A browser's side of the web chat API."""

    def __init__(self, http: aiohttp.ClientSession) -> None:
        self.http, self.after, self.seen = http, 0, 0

    async def say(self, text: str) -> None:
        self.seen += 1
        body = {"session": SESSION, "text": text, "message_id": f"m{self.seen}"}
        async with self.http.post("/api/messages", json=body) as response:
            assert response.status == 202

    async def next_reply(self) -> str:
        """The next reply, long-polling as the page does."""
        while True:
            async with self.http.get(
                "/api/messages", params={"session": SESSION, "after": str(self.after)}
            ) as response:
                replies = (await response.json())["replies"]
            if replies:
                self.after = replies[0]["seq"]
                return replies[0]["text"]


@async_test
async def test_an_answer_from_the_cli_reaches_the_web_chat_without_an_officials_group(no_group_config, capsys) -> None:
    config = load_config()
    assert not config.officials.group_chat_id
    app = Application(config, channels=[WebChannel(poll_timeout_s=1.0)], embedder=HashingEmbedder(), progress=False)
    await app.start()
    try:
        async with aiohttp.ClientSession(app.http.url) as http:
            citizen = WebCitizen(http)
            await citizen.say("cho tôi gặp cán bộ")
            await citizen.next_reply()
            await citizen.say("Nhà tôi muốn xin cấp số nhà thì làm sao?")
            code = re.search(r"HD-\d{4}-\d{6}", await citizen.next_reply()).group()

            # An official answers from a terminal: another process as far as the bot knows.
            answer = "Anh/chị nộp tờ khai tại Bộ phận Một cửa, có số nhà sau 5 ngày làm việc."
            assert await asyncio.to_thread(main, ["tickets", "reply", code, answer]) == 0
            delivered = await citizen.next_reply()
            while (await app.tickets.get(code)).delivery is None:  # recorded just after the send
                await asyncio.sleep(0.01)
    finally:
        await app.stop()
    assert code in delivered and answer in delivered
    capsys.readouterr()
    assert await asyncio.to_thread(main, ["tickets", "show", code]) == 0
    assert f"Answer (delivered): {answer}" in capsys.readouterr().out
