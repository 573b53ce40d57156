"""``wardbot soak``: SIGKILL the bot under traffic on every channel and count what citizens got back.

The bot runs as ``wardbot run`` in a child process, so that it can be killed at any instruction,
on a fresh data directory; its built model and caches are the configured ones
(``WARDBOT_BUILD_DIR``), so that a restart loads them instead of building them. It serves Telegram
(the fake Bot API of :mod:`bot.testing.telegram`, by webhook or polling), Zalo (the fake OA API of
:mod:`bot.testing.zalo`) and the web chat, all on loopback. Simulated citizens talk to it the way
each platform delivers:

* Telegram re-sends an update, with backoff, until the webhook answers 2xx, or (polling) until a
  later ``getUpdates`` offset confirms it; it never re-sends one so confirmed;
* Zalo re-sends a signed event, with the same ``msg_id``, until it gets a 200 within 2 s;
* the web page re-sends a message that got no answer with the same ``message_id``, and long-polls
  for replies with its ``after`` cursor across restarts, as ``web_static/index.js`` does.

A message is *accepted* once acknowledged so. Each citizen follows one of :data:`SCRIPTS`: a few
bursts of messages sent back to back, the replies read in between. One script files a report
through the intake's confirmation, and an official answers every ticket with ``wardbot tickets
reply`` in a subprocess. Meanwhile the bot is SIGKILLed at random moments (seeded) and restarted
on the same data directory; at the end the soak waits for late replies, then counts.

Which message a reply answers, no platform says. So the soak first learns what each script gets:
before any traffic, reference chats (two per script and channel, which must agree) play every
script one message at a time and record each turn's replies, with ticket codes, lookup codes and
due times masked. No reply text may repeat within a script (checked on the references). Then, in
every chat, a reply whose text the script produces goes to the first turn still owed that text; a
text delivered more often than the script produces it is *duplicated*; a text the script never
produces is *off script* (the conversation diverged, say after a lost step of the intake) and is
credited to an accepted turn that got nothing; an accepted turn left with nothing is *lost*. An
official's answer names its ticket, so it is counted apart: a ticket answered whose answer never
reached the citizen's chat is *never answered*, and each extra copy of an answer is duplicated.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import secrets
import shutil
import socket
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from .._config import TELEGRAM_MODES, Config
from ..channels._telegram import WEBHOOK_PATH as TELEGRAM_WEBHOOK_PATH
from ..channels._zalo import WEBHOOK_PATH as ZALO_WEBHOOK_PATH
from ..testing import FakeTelegramServer, FakeZaloServer
from ._bench_telegram import FIRST_USER_ID as TELEGRAM_FIRST_USER_ID
from ._bench_zalo import FIRST_USER_ID as ZALO_FIRST_USER_ID
from ._soak_citizens import _Chat, _TelegramAcks, _TelegramChat, _wait_for, _WebChat, _ZaloChat, _ZaloOutbox
from ._soak_processes import SoakError, _Bot, _Officials
from ._soak_scoring import _ANSWER, _TICKET_CODE, ChatScore, mask, official_answer, score_chat

CHANNELS = ("telegram", "zalo", "web")

# Bursts of messages; a citizen sends a burst back to back (each message once the previous one is
# accepted), then reads its replies. No two turns of a script may get the same reply text.
SCRIPTS: dict[str, tuple[tuple[str, ...], ...]] = {
    # A question, the first of the procedures offered ("1"), then questions about that procedure.
    "procedure": (
        ("xin chào", "làm căn cước cần giấy tờ gì?"),
        ("1",),
        ("lệ phí bao nhiêu?", "nộp online được không?"),
        ("cảm ơn",),
    ),
    "birth": (("đăng ký khai sinh cho con cần những gì",), ("1", "mất bao lâu?"), ("nộp ở đâu?", "/help")),
    "residence": (("dang ky tam tru o dau",), ("thời tiết hôm nay thế nào",), ("/reset", "mat so do lam lai the nao")),
    # A report with its address: the intake asks for a photo (skipped), whether the citizen may be
    # contacted ("2": anonymous) and to confirm the summary ("1"), which files the ticket.
    "report": (("phản ánh: ổ gà rất to ở ngõ 12 Lê Lợi, xe máy ngã mấy lần rồi",), ("bỏ qua", "2"), ("1",)),
}
# How often each script is chosen: every report costs an official's subprocess, so it is rarest.
SCRIPT_WEIGHTS = {"procedure": 4, "birth": 4, "residence": 4, "report": 1}

THINK_S = (0.5, 2.0)  # a citizen reads the replies before the next burst
REPLY_WAIT_S = 120.0  # the longest a citizen waits for a burst's replies: a restart fits in it
REFERENCE_COPIES = 2  # reference chats per script and channel, which must agree
REFERENCE_QUIET_S = 3.0  # a reference turn is over once nothing came for this long (Telegram: 1 message/s)
REFERENCE_TIMEOUT_S = 120.0
KILL_SPAN = (0.1, 0.9)  # kills fall among these fractions of the messages
KILL_DELAY_S = 2.0  # a kill lands up to this long after its message, anywhere in the bot's work
MIN_UPTIME_S = 5.0  # the bot serves at least this long between a restart and the next kill
SETTLE_S = 180.0  # the most the end waits for late replies and answers
# The end comes sooner once nothing is owed and no reply came for this long: longer than the
# pipeline's 15 s redelivery round, so a late duplicate still shows.
QUIET_S = 20.0
SWEEP_S = 60.0  # how often the official lists open tickets, to find those whose receipt was lost
SWEEP_SETTLING_S = 10.0
PROGRESS_S = 30.0
EXAMPLES = 5  # cases of each failure shown with the figures
# Telegram keeps an update for a day, retrying a failing webhook: a long ladder, so that no
# update is dropped while the bot restarts.
TELEGRAM_RETRY_S = (0.5, 1.0, 2.0, 4.0, 8.0) + (15.0,) * 60
TELEGRAM_WEBHOOK_URL = "https://wardbot.soak.invalid" + TELEGRAM_WEBHOOK_PATH

TICKET_FIGURES = (
    "filed", "receipts", "answered", "answers_delivered", "never_answered", "answers_duplicated",
    "not_answered_by_officials", "extra_tickets",
)  # fmt: skip



@dataclass(frozen=True)
class SoakSettings:
    messages: int = 10_000
    kills: int = 5
    seed: int = 1
    users: int = 60  # citizens talking at once
    telegram_mode: str = "webhook"
    keep: bool = False  # keep the data directory and the bot's log

    def __post_init__(self) -> None:
        if self.messages < 1 or self.kills < 0 or self.users < 1:
            raise ValueError("messages and users must be at least 1, kills at least 0")
        if self.telegram_mode not in TELEGRAM_MODES:
            raise ValueError(f"telegram_mode: expected one of {', '.join(TELEGRAM_MODES)}")


# --- the soak ---------------------------------------------------------------------------------


def run_soak(config: Config, settings: SoakSettings) -> dict[str, Any]:
    """Run the soak (see the module's docstring) and return its figures."""
    return asyncio.run(_Soak(config, settings).run())


def _say(progress: str) -> None:
    """A line of progress on stderr: the figures alone go to stdout."""
    print(f"soak: {progress}", file=sys.stderr, flush=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _bot_config(telegram_mode: str) -> str:
    # The sample KB without the national layer: the soak counts deliveries, and indexing the
    # national layer would add a minute to every restart on 2 cores. Loopback is the reverse
    # proxy, so each web citizen counts as the address it forwards.
    webhook = f'webhook_url = "{TELEGRAM_WEBHOOK_URL}"\n' if telegram_mode == "webhook" else ""
    return (
        "# Written by `wardbot soak` for the bot it runs.\n"
        "[knowledge]\nnational = false\n\n"
        '[http]\nhost = "127.0.0.1"\ntrusted_proxies = ["127.0.0.1"]\n\n'
        f'[telegram]\nmode = "{telegram_mode}"\n{webhook}'
    )


class _Soak:
    def __init__(self, config: Config, settings: SoakSettings) -> None:
        self.config, self.settings = config, settings
        self.rng = random.Random(settings.seed)
        self.chats: list[_Chat] = []
        self.expected: dict[tuple[str, str], list[list[str]]] = {}
        self.sent = 0
        self.kills = 0
        self.restart_s: list[float] = []
        self._indexes = itertools.count(1)

    async def run(self) -> dict[str, Any]:
        folder = Path(tempfile.mkdtemp(prefix="wardbot-soak-"))
        try:
            result = await self._run(folder)
        finally:
            if not self.settings.keep:
                shutil.rmtree(folder, ignore_errors=True)
        if self.settings.keep:
            result["kept"] = str(folder)
        return result

    async def _run(self, folder: Path) -> dict[str, Any]:
        started = time.monotonic()
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        self.telegram = FakeTelegramServer(webhook_retry_delays=TELEGRAM_RETRY_S, webhook_proxy=url)
        self.zalo = FakeZaloServer(webhook_url=url + ZALO_WEBHOOK_PATH)
        self.acks = _TelegramAcks(self.telegram, self.settings.telegram_mode, len(TELEGRAM_RETRY_S))
        self.zalo_outbox = _ZaloOutbox(self.zalo)
        config_path = folder / "soak.toml"
        config_path.write_text(_bot_config(self.settings.telegram_mode), encoding="utf-8")
        await self.telegram.start()
        await self.zalo.start()
        env = self._env(folder / "data", port)
        bot = _Bot(config_path, env, url, folder / "bot.log")
        self.officials = _Officials(config_path, env)
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        self.url = url
        tasks: list[asyncio.Task[Any]] = []
        try:
            await bot.start()
            _say(f"bot up in {time.monotonic() - started:.0f} s; learning what each script gets")
            await self._learn_references()
            _say(f"references learnt at {time.monotonic() - started:.0f} s; {self.settings.messages} messages to send")
            tasks = [
                asyncio.create_task(self.officials.answer(), name="soak-officials"),
                asyncio.create_task(self._sweep_every(SWEEP_S), name="soak-sweep"),
                asyncio.create_task(self._report_progress(started), name="soak-progress"),
            ]
            await self._traffic(bot)
            _say(f"every message sent at {time.monotonic() - started:.0f} s; waiting for late replies")
            tickets = await self._settle()
            await bot.stop()
        finally:
            for task in tasks + [chat.poller for chat in self.chats if isinstance(chat, _WebChat)]:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await bot.kill()
            await self.http.close()
            await self.telegram.stop()
            await self.zalo.stop()
        return self._figures(tickets, time.monotonic() - started)

    def _env(self, data_dir: Path, port: int) -> dict[str, str]:
        """The bot's environment: the fakes' addresses and secrets, a fresh data directory, the
        configured build directory; none of this shell's own WARDBOT_* settings."""
        build_dir = (self.config.build_dir or self.config.data_dir).resolve()
        telegram, zalo = self.telegram, self.zalo
        env = {name: value for name, value in os.environ.items() if not name.startswith("WARDBOT_")}
        return env | {
            "WARDBOT_DATA_DIR": str(data_dir),
            "WARDBOT_BUILD_DIR": str(build_dir),
            "WARDBOT_HTTP_PORT": str(port),
            "WARDBOT_LOG_LEVEL": "WARNING",  # one line per request would cost the bot more than the soak
            "WARDBOT_TELEGRAM_TOKEN": telegram.token,
            "WARDBOT_TELEGRAM_API_URL": telegram.api_url,
            "WARDBOT_TELEGRAM_WEBHOOK_SECRET": secrets.token_urlsafe(24),
            "WARDBOT_ZALO_APP_ID": zalo.app_id,
            "WARDBOT_ZALO_OA_SECRET": zalo.oa_secret,
            "WARDBOT_ZALO_APP_SECRET": zalo.app_secret,
            "WARDBOT_ZALO_ACCESS_TOKEN": zalo.access_token,
            "WARDBOT_ZALO_REFRESH_TOKEN": zalo.refresh_token,
            "WARDBOT_ZALO_API_URL": zalo.url,
            "WARDBOT_ZALO_OAUTH_URL": zalo.url,
        }

    def _new_chat(self, channel: str, script: str, *, reference: bool = False) -> _Chat:
        index = next(self._indexes)
        chat: _Chat
        if channel == "telegram":
            chat = _TelegramChat(self.telegram, self.acks, TELEGRAM_FIRST_USER_ID + index, script, reference=reference)
        elif channel == "zalo":
            chat = _ZaloChat(self.zalo, self.zalo_outbox, str(ZALO_FIRST_USER_ID + index), script, reference=reference)
        else:
            chat = _WebChat(self.http, self.url, index, script, reference=reference)
        self.chats.append(chat)
        return chat

    # --- references ---------------------------------------------------------------------------

    async def _learn_references(self) -> None:
        keys = [(script, channel) for script in SCRIPTS for channel in CHANNELS]
        chats = [
            self._new_chat(channel, script, reference=True) for script, channel in keys for _ in range(REFERENCE_COPIES)
        ]
        played = await asyncio.gather(*(self._play_reference(chat) for chat in chats))
        for number, (script, channel) in enumerate(keys):
            first, *others = played[number * REFERENCE_COPIES : (number + 1) * REFERENCE_COPIES]
            for other in others:
                if other != first:
                    raise SoakError(f"two {channel} chats playing {script!r} got different replies:\n{first}\n{other}")
            texts = [text for turn in first for text in turn]
            if len(set(texts)) != len(texts):
                repeated = [text for text, count in Counter(texts).items() if count > 1]
                raise SoakError(f"script {script!r} gets the same reply twice on {channel}: {repeated}")
            self.expected[(script, channel)] = first

    async def _play_reference(self, chat: _Chat) -> list[list[str]]:
        turns = []
        for text in itertools.chain.from_iterable(SCRIPTS[chat.script]):
            before = len(chat.replies())
            if not await chat.send(text):
                raise SoakError(f"the bot refused {text!r} on {chat.channel}")
            chat.accepted.append(True)
            # B023: each lambda is awaited to the end before the loop moves on
            if not await _wait_for(lambda: len(chat.replies()) > before, REFERENCE_TIMEOUT_S):  # noqa: B023
                raise SoakError(f"no reply to {text!r} on {chat.channel} within {REFERENCE_TIMEOUT_S:.0f} s")
            while True:  # the turn is over once its replies stop coming
                count = len(chat.replies())
                await asyncio.sleep(REFERENCE_QUIET_S)
                if len(chat.replies()) == count:
                    break
            turns.append([mask(reply) for reply in chat.replies()[before:]])
        return turns

    # --- traffic --------------------------------------------------------------------------------

    def _plan(self) -> list[tuple[str, str, list[list[str]]]]:
        """Who talks, in order: (channel, script, bursts), until the messages are used up."""
        names, weights = list(SCRIPT_WEIGHTS), list(SCRIPT_WEIGHTS.values())
        plan: list[tuple[str, str, list[list[str]]]] = []
        left = self.settings.messages
        while left > 0:
            script = self.rng.choices(names, weights)[0]
            bursts = []
            for burst in SCRIPTS[script]:
                if left > 0:
                    bursts.append(list(burst[:left]))
                    left -= len(bursts[-1])
            plan.append((CHANNELS[len(plan) % len(CHANNELS)], script, bursts))
        return plan

    async def _traffic(self, bot: _Bot) -> None:
        """Every planned citizen, :attr:`SoakSettings.users` at a time, while the bot is killed
        at random moments; a restart that fails stops everything."""
        low, high = (int(self.settings.messages * fraction) for fraction in KILL_SPAN)
        moments = sorted(self.rng.randint(low, max(low, high)) for _ in range(self.settings.kills))
        killer = asyncio.create_task(self._kill_at(bot, moments), name="soak-killer")
        crowd = asyncio.create_task(self._crowd(self._plan()), name="soak-crowd")
        try:
            await asyncio.gather(killer, crowd)
        finally:
            killer.cancel()
            crowd.cancel()

    async def _crowd(self, plan: Sequence[tuple[str, str, list[list[str]]]]) -> None:
        seats = asyncio.Semaphore(self.settings.users)

        async def citizen(channel: str, script: str, bursts: list[list[str]], think: random.Random) -> None:
            try:
                await self._converse(self._new_chat(channel, script), bursts, think)
            finally:
                seats.release()

        citizens = []
        try:
            for number, (channel, script, bursts) in enumerate(plan):
                await seats.acquire()
                think = random.Random(f"{self.settings.seed}:{number}")
                citizens.append(asyncio.create_task(citizen(channel, script, bursts, think)))
            await asyncio.gather(*citizens)
        finally:
            for task in citizens:
                task.cancel()

    async def _converse(self, chat: _Chat, bursts: list[list[str]], think: random.Random) -> None:
        expected = self.expected[(chat.script, chat.channel)]
        for burst in bursts:
            for text in burst:
                self.sent += 1
                chat.accepted.append(await chat.send(text))
            owed = sum(len(turn) for turn in expected[: len(chat.accepted)])
            await _wait_for(lambda: len(chat.conversation()) >= owed, REPLY_WAIT_S)  # noqa: B023 - awaited here
            await asyncio.sleep(think.uniform(*THINK_S))
        for reply in chat.conversation():
            for code in _TICKET_CODE.findall(reply):
                self.officials.learn(code)

    async def _kill_at(self, bot: _Bot, moments: Sequence[int]) -> None:
        for moment in moments:
            await _wait_for(lambda: self.sent >= moment, float("inf"))  # noqa: B023 - awaited here
            await asyncio.sleep(self.rng.uniform(0, KILL_DELAY_S))
            killed_at = time.monotonic()
            await bot.kill()
            self.kills += 1
            await bot.start()
            self.restart_s.append(round(time.monotonic() - killed_at, 1))
            await asyncio.sleep(MIN_UPTIME_S)

    async def _sweep_every(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            await self.officials.sweep()

    async def _report_progress(self, started: float) -> None:
        while True:
            await asyncio.sleep(PROGRESS_S)
            accepted = sum(sum(chat.accepted) for chat in self.chats if not chat.reference)
            _say(
                f"{self.sent}/{self.settings.messages} sent, {accepted} accepted, "
                f"{self.kills}/{self.settings.kills} kills, {time.monotonic() - started:.0f} s"
            )

    # --- the end --------------------------------------------------------------------------------

    async def _settle(self) -> list[dict[str, Any]]:
        """Wait for late replies and answers, at most :data:`SETTLE_S`; every ticket at the end."""
        deadline = time.monotonic() + SETTLE_S
        tickets = await self.officials.sweep()
        swept = quiet_since = time.monotonic()
        replies = -1
        while time.monotonic() < deadline:
            await asyncio.sleep(1.0)
            count = sum(len(chat.replies()) for chat in self.chats)
            if count != replies:
                replies, quiet_since = count, time.monotonic()
            if time.monotonic() - swept >= SWEEP_SETTLING_S:
                tickets, swept = await self.officials.sweep(), time.monotonic()
            open_tickets = self._tickets(tickets)
            unanswered = open_tickets["never_answered"] + open_tickets["not_answered_by_officials"]
            owed = self._lost() or unanswered or not self.officials.idle
            if not owed and time.monotonic() - quiet_since >= QUIET_S:
                break
        return await self.officials.sweep()

    def _scores(self) -> list[tuple[_Chat, ChatScore]]:
        return [
            (
                chat,
                score_chat(self.expected[(chat.script, chat.channel)], chat.accepted, map(mask, chat.conversation())),
            )
            for chat in self.chats
            if not chat.reference
        ]

    def _lost(self) -> int:
        return sum(score.lost for _, score in self._scores())

    def _tickets(self, tickets: Sequence[dict[str, Any]]) -> dict[str, int]:
        chats = {(chat.channel, chat.chat_id): chat for chat in self.chats}
        figures = Counter(filed=len(tickets))
        for ticket in tickets:
            chat = chats.get((ticket["channel"], ticket["chat_id"]))
            replies = chat.replies() if chat is not None else []
            answers = sum(1 for reply in replies if (found := _ANSWER.search(reply)) and found[1] == ticket["code"])
            receipt = any(ticket["code"] in reply for reply in replies if not _ANSWER.search(reply))
            figures["receipts"] += receipt
            if ticket["answer"] == official_answer(ticket["code"]):
                figures["answered"] += 1
                figures["answers_delivered"] += answers > 0
                figures["never_answered"] += answers == 0
            else:
                figures["not_answered_by_officials"] += 1
            figures["answers_duplicated"] += max(0, answers - 1)
        per_chat = Counter((ticket["channel"], ticket["chat_id"]) for ticket in tickets)
        figures["extra_tickets"] = sum(count - 1 for count in per_chat.values())  # a report filed twice
        return {key: figures[key] for key in TICKET_FIGURES}

    def _figures(self, tickets: Sequence[dict[str, Any]], seconds: float) -> dict[str, Any]:
        scores = self._scores()
        channels: dict[str, Counter[str]] = {channel: Counter() for channel in CHANNELS}
        for chat, score in scores:
            row = channels[chat.channel]
            row.update(
                messages=len(chat.accepted),
                accepted=score.accepted,
                lost=score.lost,
                duplicated=score.duplicated,
                off_script=score.off_script,
                replies=len(chat.replies()),
            )
        total = sum(channels.values(), Counter())
        ticket_figures = self._tickets(tickets)
        # A few cases of each, for whoever looks into them: the chat, and the message or reply.
        lost: list[dict[str, Any]] = []
        duplicated: list[dict[str, Any]] = []
        off_script: list[dict[str, Any]] = []
        for chat, score in scores:
            where = {"channel": chat.channel, "chat_id": chat.chat_id}
            if score.lost:
                messages = list(itertools.chain.from_iterable(SCRIPTS[chat.script]))
                lost.append(where | {"unanswered": [messages[turn] for turn in score.unanswered]})
            duplicated.extend(where | {"reply": text[:120]} for text in score.duplicates)
            off_script.extend(where | {"script": chat.script, "reply": text[:120]} for text in score.strays)
        return {
            "messages": total["messages"],
            "accepted": total["accepted"],
            "refused": total["messages"] - total["accepted"],
            "kills": self.kills,
            "lost": total["lost"],
            "duplicated": total["duplicated"] + ticket_figures["answers_duplicated"],
            "never_answered": ticket_figures["never_answered"],
            "off_script": total["off_script"],
            "tickets": ticket_figures,
            "channels": {channel: dict(row) for channel, row in channels.items()},
            "users": sum(1 for chat in self.chats if not chat.reference),
            "replies": total["replies"],
            "restart_s": self.restart_s,
            "examples": {
                "lost": lost[:EXAMPLES],
                "duplicated": duplicated[:EXAMPLES],
                "off_script": off_script[:EXAMPLES],
            },
            "official_errors": self.officials.errors[:EXAMPLES],
            "seconds": round(seconds, 1),
            "seed": self.settings.seed,
            "telegram_mode": self.settings.telegram_mode,
        }
