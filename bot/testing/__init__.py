"""Test doubles that ship with wardbot, for its tests and for ``wardbot bench`` and ``wardbot soak``
(as ``haystack.testing`` or errbot's test backend ship theirs).

- :mod:`bot.testing.telegram`: :class:`FakeTelegramServer`, a fake Telegram Bot API server;
- :mod:`bot.testing.zalo`: :class:`FakeZaloServer`, a fake Zalo OA Open API;
- :mod:`bot.testing.dialogue`: :class:`MemoryDialogueStore` (``wardbot eval`` answers with it
  too) and :class:`DialogueTester`, a dialogue driven without any channel.

Test doubles that only tests need (clocks, a collecting channel, a hashing embedder, dispatches)
are in ``tests/fakes/``. Nothing in the bot that answers citizens imports this package."""

from .dialogue import DialogueTester, MemoryDialogueStore
from .telegram import FakeTelegramServer
from .zalo import FakeZaloServer

__all__ = ("DialogueTester", "FakeTelegramServer", "FakeZaloServer", "MemoryDialogueStore")
