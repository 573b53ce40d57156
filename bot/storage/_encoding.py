"""How the store writes what it keeps: moments as fixed-width UTC text (so that they compare
correctly as text in SQL), replies and messages as JSON."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from handlers import Button, IncomingMessage, Reply
from tickets import timestamp_text

Clock = Callable[[], dt.datetime]

# UTC, fixed width, so that timestamps compare correctly as text in SQL: as the ticket store writes them.
_timestamp = timestamp_text


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _parse_timestamp(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def reply_to_json(reply: Reply) -> str:
    rows = [[{"label": b.label, "data": b.data, "url": b.url} for b in row] for row in reply.buttons]
    value: dict[str, Any] = {"text": reply.text, "buttons": rows}
    if reply.photo:
        value["photo"] = reply.photo
    return json.dumps(value, ensure_ascii=False)


def reply_from_json(text: str) -> Reply:
    value = json.loads(text)
    buttons = tuple(tuple(Button(**b) for b in row) for row in value["buttons"])
    return Reply(value["text"], buttons, value.get("photo", ""))


def _message_to_json(message: IncomingMessage) -> str:
    return json.dumps(
        {
            "channel": message.channel,
            "chat_id": message.chat_id,
            "user_id": message.user_id,
            "text": message.text,
            "message_id": message.message_id,
            "callback_data": message.callback_data,
            "received_at": message.received_at.isoformat(),
            "location": list(message.location) if message.location else None,
            "attachment": message.attachment,
            "display_name": message.display_name,
            # Kept so that a turn recovered after a crash still says the text was cut; rows
            # written before it existed read as not cut.
            "truncated": message.truncated,
        },
        ensure_ascii=False,
    )


def _message_from_json(text: str) -> IncomingMessage:
    value = json.loads(text)
    value["received_at"] = _parse_timestamp(value["received_at"])
    value["location"] = tuple(value["location"]) if value["location"] else None
    return IncomingMessage(**value)
