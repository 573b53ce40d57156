"""The bound ``RetryPolicy`` states on a reply's HTTP requests, measured on a real channel against
its fake platform: the pipeline's rounds until it gives up, then one send of the ticket service."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.channels import Channel
from bot.delivery import Pipeline, RetryPolicy
from bot.officials import TicketService
from bot.storage import Storage
from fakes.clocks import ManualClock
from handlers import IncomingMessage, Outcome, Reply, Turn
from tickets import TicketDesk, TicketStore, WorkingCalendar

# Small enough to run fast, uneven so that the last round is a short one: rounds of 3, 3 and 1.
POLICY = RetryPolicy(attempts_per_round=3, max_attempts=7, redeliver_after=60.0)


class OneReply:
    """A dialogue that answers every message with one short reply (one HTTP request a send)."""

    async def handle(self, message: IncomingMessage) -> Turn:
        return Turn((Reply("Xin chào"),), Outcome.ANSWERED)


@dataclass
class Measured:
    after_each_round: list[int]  # requests counted after the pipeline's first round, and each redelivery
    status: str  # the reply's outbox status at the end
    ticket_service: int  # requests of one TicketService.send
    delays: list[float]  # what the delivery layer waited, in order


async def requests_under_persistent_failure(
    channel: Channel, chat_id: str, requests: Callable[[], int], tmp_path: Path, *, rounds: int = 4
) -> Measured:
    """Deliver one reply to ``chat_id`` through ``channel`` while every request fails: the
    pipeline's first round and ``rounds - 1`` redelivery rounds, one ``redeliver_after`` apart,
    then one ``TicketService.send``. ``requests`` counts the HTTP requests the fake server got."""
    clock = ManualClock()
    delays: list[float] = []

    async def sleep(seconds: float) -> None:  # moves the clock on instead of waiting
        delays.append(seconds)
        clock.advance(seconds)
        await asyncio.sleep(0)

    storage = await Storage.open(tmp_path / "wardbot.sqlite3", pseudonym_key=b"k" * 32, clock=clock)
    tickets = await TicketStore.open(tmp_path / "tickets.sqlite3", clock=clock)
    try:
        pipeline = Pipeline(
            storage, OneReply(), apology=Reply("Xin lỗi."), channels=[channel], retry=POLICY, clock=clock, sleep=sleep
        )
        message = IncomingMessage(channel=channel.name, chat_id=chat_id, user_id=chat_id, text="a", message_id="1")
        await pipeline.process(message)
        counts = [requests()]
        for _ in range(rounds - 1):
            clock.advance(POLICY.redeliver_after)
            await pipeline.redeliver_due()
            counts.append(requests())
        with sqlite3.connect(tmp_path / "wardbot.sqlite3") as db:
            [(status,)] = db.execute("SELECT status FROM outbox").fetchall()
        service = TicketService(
            TicketDesk(tickets, WorkingCalendar.from_file(), {}),
            {channel.name: channel},
            ward_name="Phường Mẫu",
            clock=clock,
            retry=POLICY,
            sleep=sleep,
        )
        before = requests()
        assert await service.send(channel.name, chat_id, Reply("Trả lời")) is not None
        return Measured(counts, status, requests() - before, delays)
    finally:
        await tickets.close()
        await storage.close()
