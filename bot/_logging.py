"""The log of ``wardbot run`` and ``wardbot chat``: one handler on stderr, text or JSON lines,
that writes no secret and no raw chat or user id.

Every record passes :class:`RedactingFilter` on the way out: its final message (arguments
filled in), its traceback and its stack are rewritten by :class:`Redactor`, which removes the
configured secrets by value and, whatever the configuration, anything shaped like a Telegram bot
token or a ``token=`` / ``session=`` / ``"secret": ...`` assignment. Chat and user ids are
written as :func:`chat_ref`, a keyed hash. Libraries whose own lines carry request URLs or whole
Bot API payloads (httpx, httpcore, python-telegram-bot) are held above their chatty levels.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import secrets
import sys
from collections.abc import Iterable
from dataclasses import fields
from typing import TYPE_CHECKING, TextIO

from .storage import keyed_pseudonym, load_pseudonym_key

if TYPE_CHECKING:
    from ._config import Config

REDACTED = "«redacted»"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# The quietest level each library may log at: httpx and httpcore write every request's URL at
# INFO (a Telegram one holds the bot token), python-telegram-bot at DEBUG every Bot API call
# with its parameters and answer (citizens' messages, names and ids). Redaction would catch the
# tokens, but not what citizens wrote.
LIBRARY_LEVELS = {"httpx": logging.WARNING, "httpcore": logging.WARNING, "telegram": logging.INFO}

# A Telegram bot token (``<bot id>:<35 characters>``), alone or in a Bot API address
# (``…/bot123456:ABC…/sendMessage``); a few characters short still counts, to be safe.
_BOT_TOKEN = re.compile(r"(?:(?<=bot)|(?<![\w-]))\d{5,}:[A-Za-z0-9_-]{30,}")
# A name that says its value is a credential: access_token, secret_key, session,
# X-Telegram-Bot-Api-Secret-Token, signature...
_NAME = r"[\w-]*(?:token|secret|session|password|signature)[\w-]*"
_ASSIGNMENT = re.compile(
    rf"""
    (?P<name>
        (?P<quote>["']){_NAME}(?P=quote)\s*:\s*     # "access_token": … and 'session': … (JSON, reprs)
      | (?<![\w-]){_NAME}\s*=\s*                    # session=…, access_token=… (queries, forms, reprs)
      | (?<![\w-])(?=[\w-]*[_-]){_NAME}:\s*         # access_token: … (a header; an underscore or a
                                                    # hyphen, so that English "token: x" is left)
      | \bBearer\s+                                 # Authorization: Bearer …
    )
    (?P<open>["']?)
    [^\s"'&,;)}}\]>]+
    """,
    re.IGNORECASE | re.VERBOSE,
)

# What chat_ref hashes with until configure_logging loads the pseudonym key: a key of this
# process alone, so that ids are never written raw, even in tests and one-off commands.
_ref_key = secrets.token_bytes(32)


def chat_ref(channel: str, chat_id: str | int) -> str:
    """A chat or user id as log lines show it: ``telegram:3fa94c0e1b2d``. Keyed with the
    pseudonym key, it is stable across restarts and is the start of the compliance log's
    pseudonym for the same id; without the key it cannot be turned back into the id."""
    return f"{channel}:{keyed_pseudonym(_ref_key, channel, str(chat_id))[:12]}"


class Redactor:
    """Rewrites text without the given secret values and anything credential-shaped."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._values: set[str] = set()
        self._exact: re.Pattern[str] | None = None
        self.add(*values)

    def add(self, *values: str) -> None:
        self._values.update(value for value in values if value)
        # Longest first, so that a secret containing another is removed whole.
        ordered = sorted(self._values, key=len, reverse=True)
        self._exact = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def __call__(self, text: str) -> str:
        if self._exact is not None:
            text = self._exact.sub(REDACTED, text)
        text = _BOT_TOKEN.sub(REDACTED, text)
        return _ASSIGNMENT.sub(lambda match: f"{match['name']}{match['open']}{REDACTED}", text)


class RedactingFilter(logging.Filter):
    """Redacts a record in place: message with its arguments, traceback and stack. The record is
    rewritten rather than the output, so that every formatter (text, JSON) gets it clean."""

    _exceptions = logging.Formatter()

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self._redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - arguments that do not fit the format must not raise here
            # Handler.handleError would print the raw arguments; they are left out instead.
            message = f"{record.msg} (its arguments did not fit this format)"
        record.msg, record.args = self._redact(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = self._exceptions.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self._redact(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``, and
    ``exception`` (the traceback) or ``stack`` when the record has one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(config: Config, *, at_least: int = logging.NOTSET, stream: TextIO | None = None) -> None:
    """Send every log record to ``stream`` (stderr) as ``[logging]`` says, redacted.
    ``at_least`` raises the configured level (``wardbot chat`` shows only problems).

    Replaces every handler the root logger had: one installed earlier, by a library calling
    ``logging.warning()`` before this for instance, would write records unredacted.
    """
    global _ref_key
    level = max(logging.getLevelName(config.logging.level), at_least)
    handler = logging.StreamHandler(sys.stderr if stream is None else stream)
    handler.setFormatter(JsonFormatter() if config.logging.format == "json" else logging.Formatter(TEXT_FORMAT))
    # On the handler too, not only the root logger: a library that sets its own logger's level
    # (bm25s sets DEBUG when imported) would otherwise reach this handler below the level.
    handler.setLevel(level)
    secret_values = (getattr(config.secrets, f.name) for f in fields(config.secrets))
    redact = Redactor(secret_values)
    handler.addFilter(RedactingFilter(redact))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name, quietest in LIBRARY_LEVELS.items():
        logging.getLogger(name).setLevel(max(level, quietest))
    # After the handler is in place: loading may generate the key, and says so in the log.
    key = load_pseudonym_key(config)
    redact.add(key.decode(errors="replace"))  # a key generated into the data directory is a secret too
    _ref_key = key
