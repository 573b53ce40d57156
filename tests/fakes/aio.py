"""Running ``async def`` tests without a pytest plugin, and waiting for a condition in them."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable

# A ceiling per test, so that a hang fails with a timeout instead of stalling the whole run.
TEST_TIMEOUT_S = 60
# How long wait_until waits by default: a ceiling for a hang, never a speed requirement.
WAIT_TIMEOUT_S = 10.0
_CHECK_EVERY_S = 0.005


def async_test(test: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    """Run an ``async def`` test on a fresh event loop; fixtures pass through unchanged."""

    @functools.wraps(test)
    def run(*args, **kwargs) -> None:
        asyncio.run(asyncio.wait_for(test(*args, **kwargs), timeout=TEST_TIMEOUT_S))

    return run


async def wait_until(
    condition: Callable[[], object],
    *,
    timeout: float = WAIT_TIMEOUT_S,
    what: str | Callable[[], object] = "",
) -> None:
    """Return as soon as ``condition()`` is true, checking it every few milliseconds while the
    event loop runs everything else. For conditions nothing signals (a log line, another
    process's state); when the code under test sets an event, wait on the event instead.

    Fails with an AssertionError after ``timeout`` seconds; ``what`` (text, or a callable for the
    state at that moment) says what was awaited."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() >= deadline:
            detail = what() if callable(what) else what
            raise AssertionError(f"condition still false after {timeout} s" + (f": {detail}" if detail else ""))
        await asyncio.sleep(_CHECK_EVERY_S)
