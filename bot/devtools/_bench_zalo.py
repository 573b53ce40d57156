"""Zalo webhook figures for ``wardbot bench``: how fast the bot accepts signed events.

Zalo wants its 200 within 2 s and re-sends otherwise (Zalo's OA webhook docs), so what
matters is the time to the 200 while the handlers work on earlier events on the same loop.
Simulated citizens POST signed events through the fake Zalo API's driver back to back (each
sends its next event as soon as the previous one is accepted, not answered); the application's
dispatch handles them meanwhile and the replies go to the fake's send API.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web

from ..channels._zalo import WEBHOOK_PATH, ZaloChannel
from ..channels._zalo_tokens import ZaloTokens
from ..testing import FakeZaloServer
from ._bench_telegram import DEFAULT_QUESTIONS, DispatchFactory, _percentile_ms

FIRST_USER_ID = 3_000_000_000_000_000_001


async def bench_zalo_webhook(
    dispatch_factory: DispatchFactory,
    users: int = 50,
    events_per_user: int = 10,
    *,
    questions: Sequence[str] = DEFAULT_QUESTIONS,
    drain_timeout: float = 120.0,
) -> dict[str, float | int]:
    """POST ``users`` × ``events_per_user`` text events concurrently (one in flight per user).

    Returns ``events``, ``accepted`` (answered 200), ``seconds``, ``events_per_s`` (accepted per
    second), ``time_to_200_p50_ms``, ``time_to_200_p95_ms``, ``time_to_200_max_ms``, and
    ``replies`` (messages the bot sent once every event was handled, or ``drain_timeout`` passed).
    """
    if users < 1 or events_per_user < 1 or not questions:
        raise ValueError("users, events_per_user and questions must not be empty")
    times: list[float] = []
    statuses: list[int] = []

    async def citizen(user_id: str, offset: int) -> None:
        for turn in range(events_per_user):
            [delivery] = await server.send_text(user_id, questions[(offset + turn) % len(questions)])
            times.append(delivery.seconds)
            statuses.append(delivery.status)

    with tempfile.TemporaryDirectory() as scratch:
        async with FakeZaloServer(rate_limit=10**9) as server:
            tokens = ZaloTokens(
                app_id=server.app_id,
                app_secret=server.app_secret,
                access_token=server.access_token,
                refresh_token=server.refresh_token,
                oauth_url=server.url,
                store_path=Path(scratch) / "zalo_tokens.json",
            )
            channel = ZaloChannel(
                app_id=server.app_id, signature_secret=server.oa_secret, tokens=tokens, api_url=server.url
            )
            app = web.Application()
            app.add_routes(channel.routes())
            runner = web.AppRunner(app, handle_signals=False, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = runner.addresses[0][1]  # the bound one: port 0 lets the OS choose
            server.webhook_url = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
            await channel.start(dispatch_factory(channel))
            try:
                started = time.monotonic()
                await asyncio.gather(*(citizen(str(FIRST_USER_ID + i), i) for i in range(users)))
                seconds = time.monotonic() - started
                accepted = statuses.count(200)
                # Every accepted event gets at least one reply; wait for them before stopping.
                deadline = time.monotonic() + drain_timeout
                while len(server.sent) < accepted and time.monotonic() < deadline:
                    await asyncio.sleep(0.05)
            finally:
                await channel.stop()
                await runner.cleanup()
            replies = len(server.sent)
    times.sort()
    return {
        "events": users * events_per_user,
        "accepted": accepted,
        "seconds": round(seconds, 3),
        "events_per_s": round(accepted / seconds, 1),
        "time_to_200_p50_ms": _percentile_ms(times, 0.50),
        "time_to_200_p95_ms": _percentile_ms(times, 0.95),
        "time_to_200_max_ms": _percentile_ms(times, 1.0),
        "replies": replies,
    }
