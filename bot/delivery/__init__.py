"""Delivery: the pipeline from an inbound message to delivered replies (records each message
before its channel acknowledges it, one worker per conversation, the outbox delivered with
:class:`RetryPolicy` backoff, redelivery after a crash), and :func:`deliver_round`, the one retry
loop, which the ticket service uses too."""

from ._pipeline import GroupHandler, Pipeline, RetryPolicy, Sleep, TurnHandler, deliver_round

__all__ = ("GroupHandler", "Pipeline", "RetryPolicy", "Sleep", "TurnHandler", "deliver_round")
