"""Filling the bot's store as the pipeline would, for tests of what reads it (reports, log stats)."""

from __future__ import annotations

from handlers import IncomingMessage, Reply

from .clocks import ManualClock


async def log_turn(storage, clock: ManualClock, *, channel: str, outcome: str, latency_ms: int | None) -> None:
    """One message through the bot's store as the pipeline records it: received, answered with
    ``outcome``, delivered after ``latency_ms`` (or never, when None), settled; then a minute on."""
    message_id = await storage.record_inbound(IncomingMessage(channel, "c", "u", text="q"))
    (pending,) = await storage.record_turn(message_id, [Reply("a")], outcome=outcome)
    if latency_ms is None:
        await storage.record_delivery_failure(pending.id, "chat not found", retry_at=None)
    else:
        clock.advance(latency_ms / 1000)
        await storage.mark_delivered(pending.id)
    await storage.settle(message_id)
    clock.advance(60)


async def turn(storage, clock: ManualClock, text: str, *, outcome: str, entry_id: str = "", user: str = "u") -> None:
    """A message as the pipeline records it, answered with ``outcome``, delivered and settled."""
    message = IncomingMessage("web", f"chat-{user}", user, text=text)
    message_id = await storage.record_inbound(message)
    assert message_id is not None
    (pending,) = await storage.record_turn(message_id, [Reply("…")], outcome=outcome, entry_id=entry_id)
    await storage.mark_delivered(pending.id)
    await storage.settle(message_id)
    clock.advance(60)
