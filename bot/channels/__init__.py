"""Channels: each turns one platform's events into IncomingMessage values and renders Reply values.

The implementations are imported from their modules where they are used, since each pulls in its
platform's client: ``_telegram`` (python-telegram-bot), ``_zalo`` with its rotating tokens
(``_zalo_tokens``), ``_web`` (the web chat, with ``_web_guard`` and ``_photos``) and ``_console``."""

from ._base import Channel, DeliveryError, Dispatch, Mailbox
from ._photos import PHOTO_PREFIX, UPLOADS_DIR, store_photo, stored_photo

__all__ = ("PHOTO_PREFIX", "UPLOADS_DIR", "Channel", "DeliveryError", "Dispatch", "Mailbox", "store_photo", "stored_photo")
