"""How the bot says "not so fast": token buckets per client, session or chat, and a lockout after
repeated failures.

A :class:`RateLimiter` keeps one token bucket per key: a key may spend ``burst`` requests at once,
and gets ``per_s`` back every second, so a steady client is never refused while a flood is. A
:class:`Lockout` refuses a key altogether for a while after too many failures in a row (wrong
admin tokens). Both take their clock as a parameter, so tests move time by hand, and both keep a
bounded number of keys, so that a flood of new addresses cannot grow them without end: the key
used least recently is forgotten first, and a forgotten key starts afresh.

Channels and the application use these; the handlers get a limiter's ``take`` injected (they
never import ``bot``).
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

Clock = Callable[[], float]  # seconds, like time.monotonic

MAX_KEYS = 50_000  # buckets or failure counts kept per limiter; each is a few dozen bytes


@dataclass(frozen=True, slots=True)
class Rate:
    """``burst`` requests at once, then ``per_s`` a second."""

    burst: float
    per_s: float

    def __post_init__(self) -> None:
        if self.burst < 1 or self.per_s <= 0:
            raise ValueError(f"a rate needs a burst of at least 1 and a positive refill, got {self}")


def remember_recent(table: dict[Any, Any], key: Hashable, value: object, max_keys: int) -> None:
    """Store ``value`` as the most recent entry of ``table``, dropping the least recent beyond
    ``max_keys`` (dicts keep insertion order, so the least recent is the first)."""
    table.pop(key, None)
    table[key] = value
    if len(table) > max_keys:
        del table[next(iter(table))]


class RateLimiter:
    """A token bucket per key; :meth:`take` spends from it."""

    def __init__(self, rate: Rate, *, clock: Clock = time.monotonic, max_keys: int = MAX_KEYS) -> None:
        self._rate = rate
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: dict[Hashable, tuple[float, float]] = {}  # key: (tokens, when counted)

    def take(self, key: Hashable, cost: float = 1.0) -> float:
        """Spend ``cost`` tokens of ``key``'s bucket: 0.0 when it held them, else the seconds
        until it will (and nothing is spent, so a refused client waits no longer for asking)."""
        now = self._clock()
        burst, per_s = self._rate.burst, self._rate.per_s
        tokens, counted = self._buckets.get(key, (burst, now))
        tokens = min(burst, tokens + (now - counted) * per_s)
        wait = 0.0
        if tokens >= cost:
            tokens -= cost
        else:
            wait = (cost - tokens) / per_s
        remember_recent(self._buckets, key, (tokens, now), self._max_keys)
        return wait


@dataclass(slots=True)
class _Failures:
    count: int
    last: float  # when the last failure was
    locked_until: float = 0.0


class Lockout:
    """Refuses a key for ``lock_s`` seconds once it has failed ``failures`` times in a row.

    Failures more than ``lock_s`` apart do not add up, a success forgives them, and failing while
    locked neither extends the lock nor starts a new one.
    """

    def __init__(self, failures: int, lock_s: float, *, clock: Clock = time.monotonic, max_keys: int = MAX_KEYS):
        if failures < 1 or lock_s <= 0:
            raise ValueError("a lockout needs at least one failure and a positive time")
        self._failures = failures
        self._lock_s = lock_s
        self._clock = clock
        self._max_keys = max_keys
        self._table: dict[Hashable, _Failures] = {}

    def locked_for(self, key: Hashable) -> float:
        """Seconds until ``key`` may try again; 0.0 when it may now."""
        record = self._table.get(key)
        return max(0.0, record.locked_until - self._clock()) if record is not None else 0.0

    def fail(self, key: Hashable) -> bool:
        """Count a failure of ``key``; True when this one locks it out (to be logged once)."""
        now = self._clock()
        if self.locked_for(key):
            return False
        record = self._table.get(key)
        if record is None or now - record.last >= self._lock_s:
            record = _Failures(0, now)
        record.count += 1
        record.last = now
        locks = record.count >= self._failures
        if locks:
            record.count, record.locked_until = 0, now + self._lock_s
        remember_recent(self._table, key, record, self._max_keys)
        return locks

    def succeed(self, key: Hashable) -> None:
        self._table.pop(key, None)


def client_key(address: str | None) -> str:
    """The key of the client at ``address`` (``request.remote``): the address itself, but an
    IPv6 address's /64 network, since one subscriber is given a whole /64 and could otherwise
    take a new address for every request."""
    if not address:
        return "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # "::ffff:203.0.113.7" on a dual-stack socket
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def retry_after(seconds: float) -> int:
    """A wait as HTTP's ``Retry-After`` gives it: whole seconds, rounded up, at least 1."""
    return max(1, math.ceil(seconds))
