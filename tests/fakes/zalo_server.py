"""The fake Zalo OA API server for tests.

It lives in the package (``bot.testing.zalo``) beside the fake Telegram server; tests import it
from here.
"""

from bot.testing.zalo import APP_ID, APP_SECRET, OA_SECRET, Delivery, FakeZaloServer, SentZaloMessage

__all__ = ("APP_ID", "APP_SECRET", "OA_SECRET", "Delivery", "FakeZaloServer", "SentZaloMessage")
