"""Channels: each turns one platform's events into IncomingMessage values and renders Reply values."""

from ._base import Channel, DeliveryError, Dispatch, Mailbox

__all__ = ("Channel", "DeliveryError", "Dispatch", "Mailbox")
