"""End-to-end Telegram figures for ``wardbot bench``: citizens chatting at once through the fake
Bot API server, the Telegram channel (python-telegram-bot, long polling, AIORateLimiter, per-chat
pacing) and the application's dispatch.

Each simulated citizen sends a message, waits until the bot has dealt with it, then sends the
next, so every chat has one message in flight. Latency runs from the moment the message is
offered to the fake server until the fake server receives the bot's first reply to it: polling,
dispatch, handlers and the rate limits all count, as a citizen would see them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence

from handlers import IncomingMessage

from ..channels import Channel, Dispatch
from ..channels._telegram import TelegramChannel
from ..storage import percentile
from ..testing import FakeTelegramServer

# Builds the application's dispatch around the channel its replies must go through.
DispatchFactory = Callable[[Channel], Dispatch]

DEFAULT_QUESTIONS = (
    "xin chào",
    "làm căn cước cần giấy tờ gì?",
    "đăng ký khai sinh mất bao lâu?",
    "lệ phí bao nhiêu?",
    "nộp online được không?",
    "đăng ký tạm trú ở đâu?",
)
FIRST_USER_ID = 700_000_001


async def bench_telegram_end_to_end(
    dispatch_factory: DispatchFactory,
    chats: int = 50,
    messages_per_chat: int = 4,
    *,
    questions: Sequence[str] = DEFAULT_QUESTIONS,
    per_chat_interval: float = 1.0,
    turn_timeout: float = 60.0,
) -> dict[str, float | int]:
    """Run ``chats`` concurrent conversations of ``messages_per_chat`` messages each.

    Returns ``chats``, ``messages`` (sent by citizens), ``answered`` (those that got at least
    one reply), ``bot_messages`` (messages the bot sent), ``seconds``, ``messages_per_s``
    (citizen messages handled per second), ``latency_p50_ms``, ``latency_p95_ms``,
    ``latency_max_ms`` (over answered messages), ``flood_refusals`` (429s the fake gave; 0 when
    the limits hold) and ``per_chat_interval_s``. A turn whose dispatch has not returned within
    ``turn_timeout`` seconds raises :class:`TimeoutError`.
    """
    if chats < 1 or messages_per_chat < 1 or not questions:
        raise ValueError("chats, messages_per_chat and questions must not be empty")
    # The fake enforces Telegram's per-chat limit, with slack for jitter between our pacing and
    # the requests' arrival, so a pacing fault shows up as flood_refusals.
    server = FakeTelegramServer(per_chat_min_interval=per_chat_interval * 0.8 or None)
    turn_done: dict[str, asyncio.Event] = {}
    latencies: list[float] = []

    async def dispatch(message: IncomingMessage) -> asyncio.Future[None]:
        # The dispatch returns once the message is recorded; the turn is over when its future is.
        try:
            turn = await handle(message)
        except BaseException:
            turn_done[message.chat_id].set()
            raise
        turn.add_done_callback(lambda _: turn_done[message.chat_id].set())
        return turn

    async def converse(user_id: int) -> None:
        server.add_user(user_id, f"Công dân {user_id - FIRST_USER_ID + 1}")
        for turn in range(messages_per_chat):
            done = turn_done[str(user_id)] = asyncio.Event()
            replies_before = len(server.outbox(user_id))
            asked_at = time.monotonic()
            server.send_text(user_id, questions[(user_id + turn) % len(questions)])
            async with asyncio.timeout(turn_timeout):
                await done.wait()
            replies = server.outbox(user_id)[replies_before:]
            if replies:
                latencies.append(replies[0].sent_at - asked_at)

    await server.start()
    try:
        channel = TelegramChannel(server.token, api_url=server.api_url, per_chat_interval=per_chat_interval)
        handle = dispatch_factory(channel)
        await channel.start(dispatch)
        try:
            started = time.monotonic()
            await asyncio.gather(*(converse(FIRST_USER_ID + i) for i in range(chats)))
            seconds = time.monotonic() - started
        finally:
            await channel.stop()
    finally:
        await server.stop()

    messages = chats * messages_per_chat
    sends = server.calls("sendMessage")
    latencies.sort()
    return {
        "chats": chats,
        "messages": messages,
        "answered": len(latencies),
        "bot_messages": sum(1 for call in sends if call.status == 200),
        "seconds": round(seconds, 3),
        "messages_per_s": round(messages / seconds, 1),
        "latency_p50_ms": _percentile_ms(latencies, 0.50),
        "latency_p95_ms": _percentile_ms(latencies, 0.95),
        "latency_max_ms": _percentile_ms(latencies, 1.0),
        "flood_refusals": sum(1 for call in sends if call.status == 429),
        "per_chat_interval_s": per_chat_interval,
    }


def _percentile_ms(sorted_seconds: list[float], fraction: float) -> float:
    """Nearest-rank percentile in milliseconds; 0 when nothing was measured."""
    return round((percentile(sorted_seconds, fraction) or 0.0) * 1000, 1)
