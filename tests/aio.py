"""Running ``async def`` tests without a pytest plugin."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable

# A ceiling per test, so that a hang fails with a timeout instead of stalling the whole run.
TEST_TIMEOUT_S = 60


def async_test(test: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    """Run an ``async def`` test on a fresh event loop; fixtures pass through unchanged."""

    @functools.wraps(test)
    def run(*args, **kwargs) -> None:
        asyncio.run(asyncio.wait_for(test(*args, **kwargs), timeout=TEST_TIMEOUT_S))

    return run
