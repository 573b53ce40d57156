"""The fake Telegram Bot API server for tests.

It lives in the package (``bot.testing.telegram``) because ``wardbot bench`` needs it too; tests
import it from here.
"""

from bot.testing.telegram import DEFAULT_TOKEN, MAX_LONG_POLL_S, ApiCall, BotApiError, FakeTelegramServer, SentMessage

__all__ = ("DEFAULT_TOKEN", "MAX_LONG_POLL_S", "ApiCall", "BotApiError", "FakeTelegramServer", "SentMessage")
