"""Delivery: the pipeline from an inbound message to delivered replies (records each message
before its channel acknowledges it, one worker per conversation, the outbox delivered with
:class:`RetryPolicy` backoff, redelivery after a crash)."""

from ._pipeline import GroupHandler, Pipeline, RetryPolicy, Sleep, TurnHandler, send_once

__all__ = ("GroupHandler", "Pipeline", "RetryPolicy", "Sleep", "TurnHandler", "send_once")
