"""Reading what the platforms POST to the bot, before any of it is trusted: JSON within a nesting
bound, Zalo events and Telegram updates checked against their documented shapes, and a citizen's
text made fit to store.

Pure functions over bytes, so they can be fuzzed on their own: each returns a value or raises
:class:`PayloadError`, never anything else.

- :func:`load_json` refuses JSON nested deeper than :data:`MAX_DEPTH` before parsing it
  (:func:`nesting_depth`): Python's parser recurses, and a body of 5,000 brackets would raise
  ``RecursionError`` (a 500 with a long traceback, for a request anyone can send), as would
  python-telegram-bot reading an update nested a few hundred levels. Real bodies nest a handful.
- :func:`parse_zalo_event` and :func:`parse_telegram_update` raise :class:`PayloadError` for a body
  that is no JSON object at all (the webhook answers 400), and otherwise return a
  :class:`Payload` whose ``problem`` says what in it does not have the documented shape. A
  platform re-sends what it gets an error for, so a genuine (signed) event of an unexpected shape
  is answered 200 and ignored: a poison event must not come back every few minutes.

The shapes are those of the platforms' public documentation. Zalo OA webhook events
(https://developers.zalo.me/docs/official-account/webhook/tong-quan and, for a citizen's
messages, .../webhook/tin-nhan/su-kien-nguoi-dung-gui-tin-nhan): ``event_name``, ``app_id``,
``timestamp`` in milliseconds as a string; ``sender.id``, ``recipient.id`` and ``message`` with
``msg_id``, ``text``, ``attachments[]`` of ``{type, payload}`` on every ``user_send_*`` event;
``follower.id`` on ``follow``/``unfollow``. Telegram's ``Update``, ``Message`` and
``CallbackQuery`` (https://core.telegram.org/bots/api#update). Only the fields the bot reads are
checked; the rest passes untouched.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any, TypeGuard

import numpy as np

from wardbot_errors import WardbotError

# What a citizen's message is cut to on every channel: the web chat refuses longer text (its page
# counts as the citizen types); Zalo and Telegram cut it and the dialogue says so.
MAX_TEXT_CHARS = 2000
# Nesting a body may have: Telegram's deepest (an update, a message it replies to, that one's
# quoted message, their entities, users, chats) is about a dozen.
MAX_DEPTH = 32
# The largest id the bot keeps (Zalo's msg_id is 32 hex digits; Telegram's are 64-bit integers).
MAX_ID_CHARS = 128
# Zalo's timestamps are milliseconds since 1970 (13 digits until the year 2286).
_ZALO_TIMESTAMP = re.compile(r"[0-9]{1,16}")
# The latest Unix time a Telegram ``date`` may be: the end of year 9999, the last a datetime holds.
MAX_UNIX_TIME = 253_402_300_799

# What the nesting scan keeps of a body (quotes and brackets), and each byte's step in depth.
_NOT_MARKS = bytes(byte for byte in range(256) if byte not in b'"[]{}')
_DEPTH_STEP = np.zeros(256, dtype=np.int32)
_DEPTH_STEP[list(b"[{")] = 1
_DEPTH_STEP[list(b"]}")] = -1
# In a Python string every surrogate is a lone one: JSON's escaped pairs are joined when parsed.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class PayloadError(WardbotError, ValueError):
    """A body that is not a JSON object of the expected kind; the message says why."""


@dataclass(frozen=True, slots=True)
class Payload:
    """A webhook body read as a JSON object, and what is wrong with its shape ("" when nothing)."""

    data: dict[str, Any]
    problem: str = ""


def load_json(raw: bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """``raw`` parsed as JSON (UTF-8), refused when it nests deeper than ``max_depth`` or holds
    NaN or Infinity, which JSON does not have. Raises :class:`PayloadError`."""
    if nesting_depth(raw) > max_depth:
        raise PayloadError(f"nested deeper than {max_depth} levels")
    try:
        return json.loads(raw, parse_constant=_no_constant)
    except ValueError as error:  # UnicodeDecodeError is one too
        raise PayloadError(f"not JSON: {error}") from None


def nesting_depth(raw: bytes) -> int:
    """How deep the arrays and objects of the JSON in ``raw`` nest, found without parsing it, in
    a few linear passes in C (numpy), however deep or wide the body. Escaped backslashes and
    quotes are dropped first, so that every quote left opens or closes a string, and brackets
    inside strings do not count. Exact for JSON; for anything else the parser has the last word."""
    unescaped = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    marks = np.frombuffer(unescaped.translate(None, _NOT_MARKS), dtype=np.uint8)
    in_string = np.cumsum(marks == ord('"'), dtype=np.int32) & 1
    steps = np.where(in_string == 1, 0, _DEPTH_STEP[marks])
    return int(np.cumsum(steps).max(initial=0))


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _object(raw: bytes) -> dict[str, Any]:
    value = load_json(raw)
    if not isinstance(value, dict):
        raise PayloadError(f"a JSON {type(value).__name__}, not an object")
    return value


# --------------------------------------------------------------------------------------- Zalo


def parse_zalo_event(raw: bytes) -> Payload:
    """A Zalo OA webhook body. Raises :class:`PayloadError` unless it is a JSON object with a
    ``timestamp`` of milliseconds: without one its signature cannot be checked. The payload's
    ``problem`` names the first field of a ``user_send_*`` or ``follow``/``unfollow`` event that
    does not have the documented shape; other events are not read, so not checked."""
    event = _object(raw)
    timestamp = event.get("timestamp")
    if isinstance(timestamp, int) and not isinstance(timestamp, bool):
        timestamp = str(timestamp)
    if not (isinstance(timestamp, str) and _ZALO_TIMESTAMP.fullmatch(timestamp)):
        raise PayloadError("no timestamp in milliseconds")
    return Payload(event, _zalo_problem(event))


def _zalo_problem(event: dict[str, Any]) -> str:
    name = event.get("event_name")
    if not isinstance(name, str) or not name:
        return "event_name is not a name"
    if name in ("follow", "unfollow"):
        return _id_problem(event, "follower")
    if not name.startswith("user_send_"):
        return ""
    for key in ("sender", "recipient"):
        if problem := _id_problem(event, key):
            return problem
    message = event.get("message")
    if not isinstance(message, dict):
        return "message is not an object"
    if not _is_id(message.get("msg_id")):
        return "message.msg_id is not an id"
    if not isinstance(message.get("text") or "", str):
        return "message.text is not a string"
    attachments = message.get("attachments") or []
    if not (isinstance(attachments, list) and all(isinstance(item, dict) for item in attachments)):
        return "message.attachments is not a list of objects"
    for attachment in attachments:
        payload = attachment.get("payload") or {}
        if not isinstance(payload, dict):
            return "an attachment's payload is not an object"
        if not isinstance(payload.get("url") or "", str):
            return "an attachment's url is not a string"
    if name == "user_send_location":
        coordinates = (attachments[0].get("payload") or {}).get("coordinates") if attachments else None
        if (
            not isinstance(coordinates, dict)
            or _place(coordinates.get("latitude"), coordinates.get("longitude")) is None
        ):
            return "the location's coordinates are not a place on earth"
    return ""


def _id_problem(event: dict[str, Any], key: str) -> str:
    holder = event.get(key)
    if not (isinstance(holder, dict) and _is_id(holder.get("id"))):
        return f"{key} is not an object with an id"
    return ""


def _is_id(value: object) -> bool:
    """A platform's id: a non-empty string of reasonable length, or a whole number."""
    if isinstance(value, str):
        return 0 < len(value) <= MAX_ID_CHARS
    return isinstance(value, int) and not isinstance(value, bool)


def _place(latitude: object, longitude: object) -> tuple[float, float] | None:
    """(latitude, longitude) from numbers or numeric strings (Zalo sends strings), or None."""
    try:
        point = (float(latitude), float(longitude))  # type: ignore[arg-type]  # any object: TypeError below
    except (TypeError, ValueError):
        return None
    if isinstance(latitude, bool) or isinstance(longitude, bool) or not all(map(math.isfinite, point)):
        return None
    return point if -90 <= point[0] <= 90 and -180 <= point[1] <= 180 else None


# ----------------------------------------------------------------------------------- Telegram


def parse_telegram_update(raw: bytes) -> Payload:
    """A Telegram webhook body. Raises :class:`PayloadError` unless it is a JSON object; the
    payload's ``problem`` names the first field of the update, its ``message`` or its
    ``callback_query`` that the bot reads and that does not have the Bot API's shape. A ``date``
    out of range is one (python-telegram-bot would raise ``OverflowError`` turning it into a
    datetime)."""
    update = _object(raw)
    return Payload(update, _telegram_problem(update))


def _telegram_problem(update: dict[str, Any]) -> str:
    if not _is_int(update.get("update_id")):
        return "update_id is not an integer"
    if "message" in update and (problem := _message_problem(update["message"], "message")):
        return problem
    query = update.get("callback_query")
    if query is None:
        return ""
    if not (isinstance(query, dict) and isinstance(query.get("id"), str) and _user_problem(query.get("from")) == ""):
        return "callback_query is not an object with an id and a user"
    if not isinstance(query.get("data") or "", str):
        return "callback_query.data is not a string"
    if "message" in query:
        return _message_problem(query["message"], "callback_query.message")
    return ""


def _message_problem(message: object, where: str) -> str:
    if not isinstance(message, dict):
        return f"{where} is not an object"
    if not _is_int(message.get("message_id")):
        return f"{where}.message_id is not an integer"
    date = message.get("date")
    if not (_is_int(date) and 0 <= date <= MAX_UNIX_TIME):
        return f"{where}.date is not a Unix time"
    chat = message.get("chat")
    if not (isinstance(chat, dict) and _is_int(chat.get("id")) and isinstance(chat.get("type"), str)):
        return f"{where}.chat is not an object with an id and a type"
    if "from" in message and _user_problem(message["from"]):
        return f"{where}.from is not a user"
    for key in ("text", "caption"):
        if not isinstance(message.get(key) or "", str):
            return f"{where}.{key} is not a string"
    photo = message.get("photo") or []
    if not (
        isinstance(photo, list)
        and all(isinstance(size, dict) and isinstance(size.get("file_id"), str) for size in photo)
    ):
        return f"{where}.photo is not a list of photo sizes"
    location = message.get("location")
    if location is not None and not (
        isinstance(location, dict) and _place(location.get("latitude"), location.get("longitude")) is not None
    ):
        return f"{where}.location is not a place on earth"
    return ""


def _user_problem(user: object) -> str:
    return "" if isinstance(user, dict) and _is_int(user.get("id")) else "not a user"


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


# --------------------------------------------------------------------------------------- text


def has_lone_surrogate(text: str) -> bool:
    """Whether ``text`` holds half an emoji (a lone UTF-16 surrogate, which JSON can escape but
    UTF-8 cannot encode): such text would fail when stored."""
    return _LONE_SURROGATE.search(text) is not None


def clip_text(text: str, limit: int = MAX_TEXT_CHARS) -> tuple[str, bool]:
    """A citizen's ``text`` fit to store and answer: lone surrogates replaced by U+FFFD, cut to
    ``limit`` characters; and whether it was cut."""
    text = _LONE_SURROGATE.sub("\ufffd", text)
    return (text[:limit], True) if len(text) > limit else (text, False)
