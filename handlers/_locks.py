"""One asyncio lock per key: the lock map of the dialogue and of the pipeline, written once."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class KeyedLocks(Generic[K]):
    """Calling it with a key gives that key's :class:`asyncio.Lock`, the same one for as long as
    anyone holds it or waits for it; then the garbage collector drops it, so that the map does
    not grow with every conversation ever seen."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[K, asyncio.Lock] = weakref.WeakValueDictionary()

    def __call__(self, key: K) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return lock

    def __len__(self) -> int:
        """How many keys have a lock now."""
        return len(self._locks)
