"""The one message type that comes in and the one reply type that goes out, on every channel.

A channel turns a platform event into an :class:`IncomingMessage` and renders a :class:`Reply`;
handlers see nothing else. Rich parts degrade: a channel without buttons shows them as numbered
lines (:meth:`Reply.as_plain_text`), and the citizen answers with the number.

A reply's text may carry the little Markdown that FAQ answers are written in: paragraphs, lines
starting with "- " (a list) and ``**bold**``. Each channel renders it its own way: safe HTML
elements in the web page (:func:`text_spans`), Telegram's HTML with everything escaped
(:func:`telegram_html`), plain text with "•" bullets in the console and on Zalo
(:func:`plain_text`). No citizen sees a literal ``**``.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass, field
from enum import Enum


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """A citizen's message or button press, whatever the channel it came from."""

    channel: str  # "telegram", "zalo", "web", "console", ...
    chat_id: str  # where replies go, as the platform names it
    user_id: str  # the platform's id of the sender; pseudonymised before it is logged
    text: str = ""
    message_id: str = ""  # the platform's id, used to drop duplicate deliveries
    callback_data: str = ""  # set when a button was pressed instead of text typed
    received_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    location: tuple[float, float] | None = None  # (latitude, longitude) of a shared location
    attachment: str = ""  # a platform file id or URL of a photo the citizen sent
    display_name: str = ""
    # The channel cut ``text`` to its length limit; the dialogue tells the citizen so.
    truncated: bool = False

    @property
    def conversation(self) -> tuple[str, str]:
        """The key of this chat's dialogue state: channel ids are not global."""
        return (self.channel, self.chat_id)


@dataclass(frozen=True, slots=True)
class Button:
    """A choice the citizen can tap; ``data`` comes back as ``callback_data``, or ``url`` opens."""

    label: str
    data: str = ""
    url: str = ""

    def __post_init__(self) -> None:
        if bool(self.data) == bool(self.url):
            raise ValueError("a button has exactly one of data or url")


@dataclass(frozen=True, slots=True)
class Reply:
    """What the bot says: text, then optional rows of buttons; and optionally a photo to show
    first (a file on this machine, a platform's file id or a web address), for the channels that
    show photos: the officials' Telegram group sees a citizen's photo this way."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    photo: str = ""

    @property
    def choice_buttons(self) -> tuple[Button, ...]:
        return tuple(b for row in self.buttons for b in row if b.data)

    def as_plain_text(self) -> str:
        """The text, its markup made plain, with every button as a line: choices numbered, links
        spelt out."""
        lines = [plain_text(self.text)]
        number = 0
        for row in self.buttons:
            for button in row:
                if button.data:
                    number += 1
                    lines.append(f"{number}. {button.label}")
                else:
                    lines.append(f"🔗 {button.label}: {button.url}")
        return "\n".join(lines)


_BULLET = re.compile(r"^([ \t]*)[-*][ \t]+(?=\S)", re.MULTILINE)
_BOLD = re.compile(r"\*\*(?=\S)([^\n]*?\S)\*\*")


def text_spans(text: str) -> list[tuple[str, bool]]:
    """The text as (words, bold) spans: list markers made "• ", ``**`` pairs made bold, a stray
    ``**`` dropped. Line breaks stay in the words."""
    text = _BULLET.sub(r"\1• ", text)
    spans: list[tuple[str, bool]] = []
    at = 0
    for match in _BOLD.finditer(text):
        spans.append((text[at : match.start()].replace("**", ""), False))
        spans.append((match.group(1), True))
        at = match.end()
    spans.append((text[at:].replace("**", ""), False))
    return [(words, bold) for words, bold in spans if words]


def plain_text(text: str) -> str:
    """The text without markup, for channels that show plain text."""
    return "".join(words for words, _ in text_spans(text))


def telegram_html(text: str) -> str:
    """The text in Telegram's HTML parse mode: everything escaped, bold as ``<b>``."""
    return "".join(f"<b>{html.escape(words, quote=False)}</b>" if bold else html.escape(words, quote=False)
                   for words, bold in text_spans(text))  # fmt: skip


def split_text(text: str, limit: int) -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` characters, at paragraph, line or word
    boundaries where possible, so that a long answer survives a platform's message limit."""
    if limit <= 0:
        raise ValueError("limit must be positive")
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"))
        if cut <= limit // 2:
            cut = window.rfind(" ")
        if cut <= 0:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not pieces:
        pieces.append(rest)
    return pieces


class Outcome(str, Enum):
    """How a turn ended, as the compliance log counts it."""

    ANSWERED = "answered"  # answered from the knowledge base
    CLARIFIED = "clarified"  # asked the citizen to choose among close answers
    ABSTAINED = "abstained"  # had no answer; said so and offered an official
    ESCALATED = "escalated"  # handed to officials (feedback, a question sent on)
    CONVERSATION = "conversation"  # greetings, help, menus, votes, resets


@dataclass(frozen=True, slots=True)
class Turn:
    """The handlers' answer to one message: the replies, in order, and what happened."""

    replies: tuple[Reply, ...]
    outcome: Outcome
    entry_id: str = ""  # the KB entry answered with, if any
    score: float | None = None  # its calibrated confidence
