"""``wardbot soak``: SIGKILL the bot under traffic on every channel and count what citizens got back.

The bot runs as ``wardbot run`` in a child process, so that it can be killed at any instruction,
on a fresh data directory; its built model and caches are the configured ones
(``WARDBOT_BUILD_DIR``), so that a restart loads them instead of building them. It serves Telegram
(the fake Bot API of :mod:`bot._fake_telegram`, by webhook or polling), Zalo (the fake OA API of
:mod:`bot._fake_zalo`) and the web chat, all on loopback. Simulated citizens talk to it the way
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

import abc
import asyncio
import itertools
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from handlers import catalogue

from ._bench_telegram import FIRST_USER_ID as TELEGRAM_FIRST_USER_ID
from ._bench_zalo import FIRST_USER_ID as ZALO_FIRST_USER_ID
from ._config import TELEGRAM_MODES, Config
from ._fake_telegram import FakeTelegramServer
from ._fake_zalo import FakeZaloServer
from .channels._telegram import WEBHOOK_PATH as TELEGRAM_WEBHOOK_PATH
from .channels._zalo import WEBHOOK_PATH as ZALO_WEBHOOK_PATH

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
STARTUP_TIMEOUT_S = 900.0  # a first start on a cold build directory builds the model
STOP_TIMEOUT_S = 30.0
PROGRESS_S = 30.0
EXAMPLES = 5  # cases of each failure shown with the figures
# Telegram keeps an update for a day, retrying a failing webhook: a long ladder, so that no
# update is dropped while the bot restarts.
TELEGRAM_RETRY_S = (0.5, 1.0, 2.0, 4.0, 8.0) + (15.0,) * 60
TELEGRAM_WEBHOOK_URL = "https://wardbot.soak.invalid" + TELEGRAM_WEBHOOK_PATH
# Zalo's 30 s, 5 min, 15 min... ladder (protocols.md A6), compressed; the last pause repeats.
ZALO_RETRY_S = (1.0, 3.0, 6.0, 12.0, 20.0)
ZALO_DEADLINE_S = 2.0  # Zalo counts a slower 200 as a failure and re-sends
# The web page's figures (index.js): backoff 1 s doubling to 15 s, and its request deadlines.
WEB_MAX_BACKOFF_S = 15.0
WEB_SEND_DEADLINE_S = 15.0
WEB_POLL_DEADLINE_S = 35.0
POLL_INTERVAL_S = 0.25  # how often the harness looks at what a fake received

TICKET_FIGURES = (
    "filed", "receipts", "answered", "answers_delivered", "never_answered", "answers_duplicated",
    "not_answered_by_officials", "extra_tickets",
)  # fmt: skip

_ANSWER = re.compile(r"soak-answer ([A-Z]{2}-\d{4}-\d{6})")
_TICKET_CODE = re.compile(r"\b[A-Z]{2}-\d{4}-\d{6}\b")
_LOOKUP_CODE = re.compile(r"\b[0-9A-Z]{8}\b")
_FORMAT_DIGITS = {"%H": r"\d{2}", "%M": r"\d{2}", "%d": r"\d{2}", "%m": r"\d{2}", "%Y": r"\d{4}"}
_DUE_TIME = re.compile(re.sub("|".join(_FORMAT_DIGITS), lambda m: _FORMAT_DIGITS[m[0]], re.escape(catalogue.DATE_TIME)))


class SoakError(Exception):
    """The soak could not run: the bot did not start, or the references disagree."""


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


# --- counting ---------------------------------------------------------------------------------


def official_answer(code: str) -> str:
    """The answer the soak's official gives ticket ``code``: the citizen's copy names it."""
    return f"soak-answer {code}"


def mask(text: str) -> str:
    """A reply's text without what differs between two chats told the same: ticket codes, lookup
    codes and due times."""
    text = _DUE_TIME.sub("<time>", text)
    text = _TICKET_CODE.sub("<ticket>", text)
    return _LOOKUP_CODE.sub("<lookup>", text)


@dataclass(frozen=True)
class ChatScore:
    accepted: int
    lost: int
    unanswered: tuple[int, ...]  # the accepted turns that got no reply of their own
    duplicates: tuple[str, ...]  # the texts delivered once too often
    strays: tuple[str, ...]  # the texts the script never gets

    @property
    def duplicated(self) -> int:
        return len(self.duplicates)

    @property
    def off_script(self) -> int:
        return len(self.strays)


def score_chat(expected: Sequence[Sequence[str]], accepted: Sequence[bool], delivered: Iterable[str]) -> ChatScore:
    """Count one chat (see the module's docstring). ``expected[i]`` holds the masked texts of the
    replies to the script's turn ``i``; ``accepted[i]`` says whether the message of turn ``i``
    was acknowledged (a chat may have sent fewer turns than its script has); ``delivered`` holds
    the masked texts of the replies the chat got, answers to tickets left out, in order."""
    owed = [Counter(turn) for turn in expected[: len(accepted)]]
    produced = {text for turn in owed for text in turn}
    got = [0] * len(owed)
    duplicates: list[str] = []
    strays: list[str] = []
    for text in delivered:
        turn = next((i for i, texts in enumerate(owed) if texts[text] > 0), None)
        if turn is not None:
            owed[turn][text] -= 1
            got[turn] += 1
        elif text in produced:
            duplicates.append(text)
        else:
            strays.append(text)
    unanswered = tuple(turn for turn, (ok, count) in enumerate(zip(accepted, got, strict=False)) if ok and not count)
    lost = max(0, len(unanswered) - len(strays))
    return ChatScore(sum(accepted), lost, unanswered, tuple(duplicates), tuple(strays))


# --- citizens ---------------------------------------------------------------------------------


class _Chat(abc.ABC):
    """One citizen's conversation on one channel: what it sent, whether each was accepted, and
    every reply it got."""

    def __init__(self, channel: str, chat_id: str, script: str, *, reference: bool) -> None:
        self.channel, self.chat_id, self.script, self.reference = channel, chat_id, script, reference
        self.accepted: list[bool] = []

    @abc.abstractmethod
    async def send(self, text: str) -> bool:
        """Send ``text`` until the platform counts it accepted (True) or gives up (False)."""

    @abc.abstractmethod
    def replies(self) -> list[str]:
        """Every message the bot sent to this chat so far, in order, as :func:`_reply` writes it."""

    def conversation(self) -> list[str]:
        """The replies, answers to tickets left out."""
        return [text for text in self.replies() if not _ANSWER.search(text)]


class _TelegramAcks:
    """Whether the fake Telegram server counts an update as taken: when polling, once a later
    ``getUpdates`` offset confirmed it; in webhook mode, once answered 2xx (one it dropped after
    all its retries is refused)."""

    def __init__(self, server: FakeTelegramServer, mode: str, retries: int) -> None:
        self._server, self._mode, self._retries = server, mode, retries
        self._seen = 0
        self._failures: Counter[int] = Counter()
        self._outcomes: dict[int, bool] = {}

    async def taken(self, update_id: int) -> bool:
        while (outcome := self._outcome(update_id)) is None:
            await asyncio.sleep(POLL_INTERVAL_S / 5)
        return outcome

    def _outcome(self, update_id: int) -> bool | None:
        if self._mode == "polling":
            return None if self._server.is_pending(update_id) else True
        deliveries = self._server.webhook_deliveries
        for delivered, status in deliveries[self._seen :]:
            if 200 <= status < 300:
                self._outcomes[delivered] = True
            else:
                self._failures[delivered] += 1
                if self._failures[delivered] > self._retries:
                    self._outcomes[delivered] = False
        self._seen = len(deliveries)
        return self._outcomes.get(update_id)


class _TelegramChat(_Chat):
    def __init__(
        self, server: FakeTelegramServer, acks: _TelegramAcks, user_id: int, script: str, *, reference: bool
    ) -> None:
        super().__init__("telegram", str(user_id), script, reference=reference)
        self._server, self._acks, self._user_id = server, acks, user_id
        server.add_user(user_id)

    async def send(self, text: str) -> bool:
        return await self._acks.taken(self._server.send_text(self._user_id, text))

    def replies(self) -> list[str]:
        return [
            _reply(sent.text, (button["text"] for row in sent.inline_keyboard for button in row))
            for sent in self._server.outbox(self._user_id)
            if sent.text
        ]


class _ZaloOutbox:
    """What the fake Zalo API sent, by user, indexed as it comes (its ``outbox`` reads everything
    sent to anyone on every call)."""

    def __init__(self, server: FakeZaloServer) -> None:
        self._server = server
        self._seen = 0
        self._by_user: defaultdict[str, list[str]] = defaultdict(list)

    def texts(self, user_id: str) -> list[str]:
        sent = self._server.sent
        for message in sent[self._seen :]:
            self._by_user[message.user_id].append(_reply(message.text, (b["title"] for b in message.buttons)))
        self._seen = len(sent)
        return list(self._by_user[user_id])


class _ZaloChat(_Chat):
    def __init__(
        self, server: FakeZaloServer, outbox: _ZaloOutbox, user_id: str, script: str, *, reference: bool
    ) -> None:
        super().__init__("zalo", user_id, script, reference=reference)
        self._server, self._outbox = server, outbox

    async def send(self, text: str) -> bool:
        event = self._server.text_event(self.chat_id, text)
        attempt = 0
        while True:
            try:
                async with asyncio.timeout(ZALO_DEADLINE_S):
                    [delivery] = await self._server.deliver(event)
                if delivery.status == 200:
                    return True
                if 400 <= delivery.status < 500 and delivery.status not in (408, 429):
                    return False  # refused for good (a bad signature, no Zalo route): re-sending cannot help
            except (aiohttp.ClientError, TimeoutError):
                pass  # down or too slow: Zalo re-sends the same event
            await asyncio.sleep(ZALO_RETRY_S[min(attempt, len(ZALO_RETRY_S) - 1)])
            attempt += 1

    def replies(self) -> list[str]:
        return self._outbox.texts(self.chat_id)


class _WebChat(_Chat):
    """A browser with the chat page open: posts one message at a time and long-polls for replies,
    as ``web_static/index.js`` does. Each citizen comes from an address of its own, named in
    ``X-Forwarded-For`` to the bot, which trusts loopback as its reverse proxy: the web chat's
    limits are per address."""

    def __init__(self, http: aiohttp.ClientSession, base_url: str, index: int, script: str, *, reference: bool) -> None:
        super().__init__("web", f"soak-web-{index:08d}", script, reference=reference)
        self._http, self._url = http, base_url + "/api/messages"
        self._headers = {"X-Forwarded-For": f"10.{index >> 16 & 255}.{index >> 8 & 255}.{index & 255}"}
        self._after = 0
        self._texts: list[str] = []
        self.poller = asyncio.create_task(self._poll(), name=f"soak-poll-{index}")

    async def send(self, text: str) -> bool:
        body = {"session": self.chat_id, "text": text, "message_id": uuid.uuid4().hex}
        failures = 0
        while True:
            try:
                async with self._http.post(
                    self._url,
                    json=body,
                    headers=self._headers,
                    timeout=aiohttp.ClientTimeout(total=WEB_SEND_DEADLINE_S),
                ) as response:
                    status = response.status
            except (aiohttp.ClientError, TimeoutError):
                status = 0
            if status == 202:
                return True
            if 400 <= status < 500 and status != 429:
                return False  # refused for good; the page says why and does not retry
            await asyncio.sleep(min(WEB_MAX_BACKOFF_S, 2.0**failures))
            failures += 1

    async def _poll(self) -> None:
        failures = 0
        while True:
            replies = None
            try:
                async with self._http.get(
                    self._url,
                    params={"session": self.chat_id, "after": str(self._after)},
                    headers=self._headers,
                    timeout=aiohttp.ClientTimeout(total=WEB_POLL_DEADLINE_S),
                ) as response:
                    if response.status == 200:
                        replies = (await response.json())["replies"]
            except (aiohttp.ClientError, TimeoutError, ValueError, KeyError):
                pass
            if replies is None:
                await asyncio.sleep(min(WEB_MAX_BACKOFF_S, 2.0**failures))
                failures += 1
                continue
            failures = 0
            for reply in replies:
                if reply["seq"] > self._after:
                    self._after = reply["seq"]
                    self._texts.append(_reply(reply["text"], (b["label"] for row in reply["buttons"] for b in row)))

    def replies(self) -> list[str]:
        return list(self._texts)


def _reply(text: str, buttons: Iterable[str]) -> str:
    """A message as the soak tells it from another: its text and its buttons' labels (two offers
    of choices share their text)."""
    labels = " | ".join(buttons)
    return f"{text}\n[{labels}]" if labels else text


async def _wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    """Whether ``condition`` came true within ``timeout`` seconds (nothing signals it: the fakes
    and the pollers only append)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(POLL_INTERVAL_S)
    return True


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
