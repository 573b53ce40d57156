"""Prometheus figures for ``GET /metrics``: messages by channel, reply latency, outcomes.

Each :class:`Metrics` has its own registry rather than prometheus_client's global one, so that
several applications (in tests) never share or clash over counters.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

# Seconds from receiving a message to delivering its last reply; a citizen notices past a few.
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """The counters the pipeline updates, and their exposition text."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._messages = Counter(
            "wardbot_messages", "Inbound messages accepted, by channel.", ["channel"], registry=self.registry
        )
        self._duplicates = Counter(
            "wardbot_duplicate_messages", "Duplicate deliveries dropped, by channel.", ["channel"], registry=self.registry
        )
        self._outcomes = Counter(
            "wardbot_turns", "Settled messages by channel and outcome.", ["channel", "outcome"], registry=self.registry
        )
        self._undelivered = Counter(
            "wardbot_undelivered_replies",
            "Messages whose replies could not be delivered, by channel.",
            ["channel"],
            registry=self.registry,
        )
        self._latency = Histogram(
            "wardbot_reply_latency_seconds",
            "Time from receiving a message to delivering its replies, by channel.",
            ["channel"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

        self._reloads = Counter(
            "wardbot_kb_reloads", "Knowledge-base reloads by outcome (reloaded, refused, failed).", ["outcome"],
            registry=self.registry,
        )  # fmt: skip
        self._kb_problems = Gauge(
            "wardbot_kb_problems",
            "Problems of the knowledge base last refused, while an older one serves; 0 when the configured one serves.",
            registry=self.registry,
        )

    def kb_reloaded(self, outcome: str, problems: int) -> None:
        self._reloads.labels(outcome).inc()
        self._kb_problems.set(problems)

    def message_received(self, channel: str) -> None:
        self._messages.labels(channel).inc()

    def duplicate_dropped(self, channel: str) -> None:
        self._duplicates.labels(channel).inc()

    def message_settled(self, channel: str, outcome: str, latency_s: float | None) -> None:
        """Count a settled message; ``latency_s`` is None when its replies were never delivered."""
        self._outcomes.labels(channel, outcome).inc()
        if latency_s is None:
            self._undelivered.labels(channel).inc()
        else:
            self._latency.labels(channel).observe(latency_s)

    def text(self) -> str:
        """The Prometheus text exposition of every figure."""
        return generate_latest(self.registry).decode("utf-8")
