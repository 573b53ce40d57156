"""The soak's citizens: one conversation each, on Telegram, Zalo or the web chat, sent the way
each platform delivers and read back from the fakes (see :mod:`bot.devtools._soak`)."""

from __future__ import annotations

import abc
import asyncio
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable

import aiohttp

from ..testing import FakeTelegramServer, FakeZaloServer
from ._soak_scoring import _ANSWER

# Zalo's re-sends after 30 s, 5 min, 15 min, 30 min and 1 h (its OA webhook docs), compressed; the
# last pause repeats.
ZALO_RETRY_S = (1.0, 3.0, 6.0, 12.0, 20.0)
ZALO_DEADLINE_S = 2.0  # Zalo counts a slower 200 as a failure and re-sends
# The web page's figures (index.js): backoff 1 s doubling to 15 s, and its request deadlines.
WEB_MAX_BACKOFF_S = 15.0
WEB_SEND_DEADLINE_S = 15.0
WEB_POLL_DEADLINE_S = 35.0
POLL_INTERVAL_S = 0.25  # how often the harness looks at what a fake received


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
