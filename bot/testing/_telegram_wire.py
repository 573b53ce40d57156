"""The Bot API as the fake Telegram server speaks it: its limits, its error answers, what a sent
message and a long poll are, how parameters and Telegram's HTML parse mode are read."""

from __future__ import annotations

import html.parser
import json
import re
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from wardbot_errors import WardbotError

MAX_TEXT_LENGTH = 4096  # in UTF-16 code units, as Telegram counts
MAX_CALLBACK_DATA_BYTES = 64
MAX_LONG_POLL_S = 50.0
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")

CONFLICT_OTHER_POLL = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
)


class BotApiError(WardbotError):
    """An error answer: the HTTP status, Telegram's description and optional ``parameters``."""

    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def response(self) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return web.json_response(body, status=self.status)


@dataclass
class SentMessage:
    """A message the bot sent, as the API returned it (edits update ``message`` in place)."""

    chat_id: int
    message: dict[str, Any]
    sent_at: float  # time.monotonic() when sendMessage was answered
    deleted: bool = False

    @property
    def text(self) -> str:
        return self.message.get("text", "")

    @property
    def inline_keyboard(self) -> list[list[dict[str, Any]]]:
        return self.message.get("reply_markup", {}).get("inline_keyboard", [])


@dataclass
class _Poll:
    """The getUpdates request being answered; a newer one terminates it with 409."""

    terminated: bool = False


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# The tags of Telegram's HTML parse mode (https://core.telegram.org/bots/api#html-style) and the
# entity type each one makes; anything else is refused, as Telegram refuses it.
_HTML_ENTITIES = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough", "a": "text_link", "code": "code",
    "pre": "pre", "tg-spoiler": "spoiler", "blockquote": "blockquote",
}  # fmt: skip


class _TelegramHtml(html.parser.HTMLParser):
    """Telegram's HTML parse mode: the plain text and its entities, or the error Telegram gives."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text = ""
        self.entities: list[dict[str, Any]] = []
        self._open: list[tuple[str, int, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HTML_ENTITIES:
            raise BotApiError(400, f'Bad Request: can\'t parse entities: Unsupported start tag "{tag}"')
        self._open.append((tag, _utf16_length(self.text), {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        if not self._open or self._open[-1][0] != tag:
            raise BotApiError(400, f'Bad Request: can\'t parse entities: Unmatched end tag "{tag}"')
        _, start, attrs = self._open.pop()
        entity: dict[str, Any] = {"type": _HTML_ENTITIES[tag], "offset": start, "length": _utf16_length(self.text) - start}
        if tag == "a":
            entity["url"] = attrs.get("href", "")
        if entity["length"]:
            self.entities.append(entity)

    def handle_data(self, data: str) -> None:
        self.text += data

    def parse(self, source: str) -> tuple[str, list[dict[str, Any]]]:
        self.feed(source)
        self.close()
        if self._open:
            raise BotApiError(400, f'Bad Request: can\'t parse entities: Can\'t find end tag corresponding to start tag "{self._open[-1][0]}"')
        return self.text, sorted(self.entities, key=lambda e: e["offset"])


def _formatted(params: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The message text and entities as Telegram stores them, given its ``parse_mode``."""
    text = str(params.get("text", ""))
    mode = params.get("parse_mode")
    if mode in (None, ""):
        return text, []
    if mode != "HTML":  # the fake speaks the one mode wardbot uses
        raise BotApiError(400, f"Bad Request: unsupported parse_mode {mode!r} in this fake")
    return _TelegramHtml().parse(text)


def _integer(params: dict[str, Any], name: str, default: int | None = None) -> int:
    value = params.get(name, default)
    if value is None:
        raise BotApiError(400, f'Bad Request: parameter "{name}" is required')
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BotApiError(400, f'Bad Request: parameter "{name}" must be an integer') from None


def _number(params: dict[str, Any], name: str, default: float) -> float:
    try:
        return float(params.get(name, default))
    except (TypeError, ValueError):
        raise BotApiError(400, f'Bad Request: parameter "{name}" must be a number') from None


def _structured(params: dict[str, Any], name: str) -> Any:
    """A parameter that is an object or array: JSON text in form bodies, a value in JSON bodies."""
    value = params.get(name)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise BotApiError(400, f"Bad Request: can't parse {name} JSON object") from None
    return value


def _flag(params: dict[str, Any], name: str) -> bool:
    return params.get(name) in (True, "true", "True", "1", 1)
