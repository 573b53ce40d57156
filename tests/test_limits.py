"""Token buckets and the admin lockout: how the bot says "not so fast" to one address, session or
chat, on a clock the tests move by hand."""

from __future__ import annotations

import logging
from pathlib import Path

import aiohttp
import pytest
from fakes.aio import async_test
from fakes.channels import CollectingChannel
from fakes.clocks import ManualClock, SecondsClock
from fakes.embedders import HashingEmbedder

from bot._app import ADMIN_FAILURES, ADMIN_LOCK_S, Application
from bot._config import Config, HttpSettings, KnowledgeSettings, Secrets
from bot._limits import Lockout, Rate, RateLimiter, client_key
from handlers import Reply


def test_a_bucket_allows_its_burst_then_says_how_long_to_wait() -> None:
    clock = SecondsClock()
    limiter = RateLimiter(Rate(burst=3, per_s=0.5), clock=clock)
    assert [limiter.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("a") == pytest.approx(2.0)  # one token comes back every 2 s
    assert limiter.take("a") == pytest.approx(2.0)  # a refused request spends nothing
    assert limiter.take("b") == 0.0  # every key has its own bucket
    clock.advance(1.0)
    assert limiter.take("a") == pytest.approx(1.0)
    clock.advance(1.0)
    assert limiter.take("a") == 0.0
    clock.advance(3600)  # a long rest refills the bucket up to its burst, never beyond
    assert [limiter.take("a") for _ in range(4)][-2:] == [0.0, pytest.approx(2.0)]


def test_the_buckets_kept_are_bounded_and_the_least_recent_go_first() -> None:
    clock = SecondsClock()
    limiter = RateLimiter(Rate(burst=1, per_s=0.001), clock=clock, max_keys=2)
    limiter.take("a")
    limiter.take("b")
    limiter.take("a")  # "a" used again: "b" is now the least recent
    limiter.take("c")  # one key too many: "b" is forgotten, and starts afresh
    assert limiter.take("b") == 0.0
    assert limiter.take("c") > 0  # still remembered


def test_a_rate_must_refill() -> None:
    with pytest.raises(ValueError):
        Rate(burst=5, per_s=0)
    with pytest.raises(ValueError):
        Rate(burst=0.5, per_s=1)


def test_a_lockout_follows_failures_in_a_row_and_ends_after_its_time() -> None:
    clock = SecondsClock()
    lockout = Lockout(failures=3, lock_s=900, clock=clock)
    assert [lockout.fail("ip") for _ in range(3)] == [False, False, True]  # True once: the lock starts
    assert lockout.locked_for("ip") == pytest.approx(900)
    assert lockout.locked_for("other") == 0.0
    clock.advance(600)
    assert lockout.locked_for("ip") == pytest.approx(300)
    assert lockout.fail("ip") is False  # failing while locked neither extends nor re-announces it
    clock.advance(300)
    assert lockout.locked_for("ip") == 0.0
    assert [lockout.fail("ip") for _ in range(2)] == [False, False]  # a fresh count after the lock
    lockout.succeed("ip")
    assert [lockout.fail("ip") for _ in range(2)] == [False, False]  # success forgave the failures
    clock.advance(901)  # failures far apart do not add up
    assert lockout.fail("ip") is False and lockout.locked_for("ip") == 0.0


def test_clients_are_keyed_by_address_and_ipv6_by_its_64_bit_network() -> None:
    assert client_key("203.0.113.7") == "203.0.113.7"
    # One IPv6 subscriber gets a whole /64: every address in it is the same client.
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert client_key("::ffff:203.0.113.7") == "203.0.113.7"  # IPv4 on a dual-stack socket
    assert client_key(None) == "unknown"  # a Unix socket: no address at all


@async_test
async def test_admin_reload_locks_out_an_address_after_repeated_wrong_tokens(
    tmp_path: Path, tiny_kb: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = ManualClock()
    config = Config(
        data_dir=tmp_path / "data",
        knowledge=KnowledgeSettings(paths=(str(tiny_kb),), national=False),
        http=HttpSettings(port=0),
        secrets=Secrets(admin_token="admin-token"),
    )
    app = Application(
        config,
        channels=[CollectingChannel()],
        embedder=HashingEmbedder(),
        apology=Reply("Xin lỗi."),
        clock=clock,
        progress=False,
    )

    async def reload(http: aiohttp.ClientSession, token: str) -> tuple[int, str | None]:
        async with http.post("/admin/reload", headers={"Authorization": f"Bearer {token}"}) as response:
            await response.read()
            return response.status, response.headers.get("Retry-After")

    with caplog.at_level(logging.WARNING, logger="bot._app"):
        await app.start()
        try:
            async with aiohttp.ClientSession(app.http.url) as http:
                seen = [await reload(http, f"guess-{n}") for n in range(ADMIN_FAILURES)]
                seen.append(await reload(http, "admin-token"))  # locked: even the right token waits
                seen.append(await reload(http, "guess"))
                clock.advance(ADMIN_LOCK_S)
                seen.append(await reload(http, "admin-token"))
        finally:
            await app.stop()
    assert seen[:ADMIN_FAILURES] == [(401, None)] * ADMIN_FAILURES
    assert seen[ADMIN_FAILURES:-1] == [(429, str(ADMIN_LOCK_S))] * 2
    assert seen[-1] == (200, None)
    locked = [record for record in caplog.records if "locked out" in record.getMessage()]
    assert len(locked) == 1 and "127.0.0.1" in locked[0].getMessage()
