"""What the soak runs as child processes: ``wardbot run``, killed and restarted, and the officials
answering tickets with ``wardbot tickets reply`` (see :mod:`bot.devtools._soak`)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

from wardbot_errors import WardbotError

from ._soak_citizens import POLL_INTERVAL_S
from ._soak_scoring import official_answer

STARTUP_TIMEOUT_S = 900.0  # a first start on a cold build directory builds the model
STOP_TIMEOUT_S = 30.0


class SoakError(WardbotError):
    """The soak could not run: the bot did not start, or the references disagree."""


# --- the bot and the officials ----------------------------------------------------------------


class _Bot:
    """``wardbot run`` as a child process leading its own process group, which a kill takes whole."""

    def __init__(self, config_path: Path, env: dict[str, str], url: str, log_path: Path) -> None:
        self._config_path, self._env, self._url, self._log_path = config_path, env, url, log_path
        self._process: asyncio.subprocess.Process | None = None
        self._starts = 0

    async def start(self) -> None:
        """Start it and wait until ``/healthz`` answers; raise :class:`SoakError` if it exits."""
        self._starts += 1
        with self._log_path.open("ab") as log:
            log.write(f"--- wardbot soak: start {self._starts} ---\n".encode())
            log.flush()
            self._process = await asyncio.create_subprocess_exec(
                *_wardbot(self._config_path), "run",
                stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log, env=self._env, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
            while True:
                if self._process.returncode is not None:
                    tail = self._log_path.read_text(errors="replace")[-3000:]
                    raise SoakError(f"wardbot run exited ({self._process.returncode}) while starting:\n{tail}")
                try:
                    async with http.get(self._url + "/healthz") as response:
                        if response.status == 200:
                            return
                except (aiohttp.ClientError, TimeoutError):
                    pass
                if time.monotonic() > deadline:
                    raise SoakError(f"wardbot run did not start within {STARTUP_TIMEOUT_S:.0f} s; see {self._log_path}")
                await asyncio.sleep(POLL_INTERVAL_S)

    async def kill(self) -> None:
        if self._process is not None and self._process.returncode is None:
            os.killpg(self._process.pid, signal.SIGKILL)
            await self._process.wait()

    async def stop(self) -> None:
        """Stop it as an admin would (SIGTERM), killing it if it hangs."""
        if self._process is None or self._process.returncode is not None:
            return
        os.killpg(self._process.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(self._process.wait(), STOP_TIMEOUT_S)
        except TimeoutError:
            await self.kill()


def _wardbot(config_path: Path) -> list[str]:
    """The command line of ``wardbot`` on the soak's configuration, with this interpreter."""
    return [sys.executable, "-m", "bot.cli", "--config", str(config_path)]


class _Officials:
    """The ward's officials at a terminal: every ticket is answered with ``wardbot tickets reply``
    in a subprocess, as soon as its receipt shows in the citizen's chat or ``wardbot tickets
    list`` shows it open (its receipt lost)."""

    def __init__(self, config_path: Path, env: dict[str, str]) -> None:
        self._command, self._env = _wardbot(config_path), env
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._known: set[str] = set()
        self._busy = False
        self.errors: list[str] = []

    @property
    def idle(self) -> bool:
        return self._queue.empty() and not self._busy

    def learn(self, code: str) -> None:
        if code not in self._known:
            self._known.add(code)
            self._queue.put_nowait(code)

    async def sweep(self) -> list[dict[str, Any]]:
        """Every ticket, as ``wardbot tickets list --json`` gives it; the open ones are queued."""
        output = await self._run("tickets", "list", "--json")
        tickets = json.loads(output)["tickets"] if output is not None else []
        for ticket in tickets:
            if ticket["answer"] is None and ticket["status"] in ("new", "assigned", "reopened"):
                self.learn(ticket["code"])
        return tickets

    async def answer(self) -> None:
        while True:
            code = await self._queue.get()
            self._busy = True
            try:
                if await self._run("tickets", "reply", code, official_answer(code)) is None:
                    self._known.discard(code)  # the next sweep queues it again
            finally:
                self._busy = False

    async def _run(self, *args: str) -> str | None:
        process = await asyncio.create_subprocess_exec(
            *self._command, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=self._env
        )
        out, err = await process.communicate()
        if process.returncode != 0:
            self.errors.append(f"wardbot {' '.join(args[:2])}: {err.decode(errors='replace').strip()}")
            return None
        return out.decode()
