"""Running ``async def`` tests without a pytest plugin."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable


def async_test(test: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    """Run an ``async def`` test on a fresh event loop; fixtures pass through unchanged."""

    @functools.wraps(test)
    def run(*args, **kwargs) -> None:
        asyncio.run(test(*args, **kwargs))

    return run
