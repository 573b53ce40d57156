"""The Bot API methods the fake Telegram server answers (``getUpdates``, ``sendMessage``, ...): the
part of :class:`~bot.testing.telegram.FakeTelegramServer` that plays Telegram's side of each call."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import math
import re
import time
from typing import TYPE_CHECKING, Any

import PIL.Image
from aiohttp import web

from ._telegram_wire import (
    _SECRET_TOKEN,
    CONFLICT_OTHER_POLL,
    CONFLICT_WEBHOOK,
    MAX_CALLBACK_DATA_BYTES,
    MAX_LONG_POLL_S,
    MAX_TEXT_LENGTH,
    BotApiError,
    SentMessage,
    _flag,
    _formatted,
    _integer,
    _number,
    _Poll,
    _structured,
    _utf16_length,
)

if TYPE_CHECKING:
    from .telegram import _Chat


class _BotApiMethods:
    """Telegram's side of the API over :class:`~bot.testing.telegram.FakeTelegramServer`'s state."""

    # The server's state and helpers these methods use, declared for the type checker; the server
    # sets and defines them.
    bot_user: dict[str, Any]
    _per_chat_min_interval: float | None
    _webhook: dict[str, Any]
    _webhook_error: tuple[int, str] | None
    _changed: asyncio.Event
    _photo_ids: set[str]
    _updates: list[dict[str, Any]]
    _open_callbacks: set[str]
    _outbox: dict[int, list[SentMessage]]
    _last_send: dict[int, float]
    _poll: _Poll | None

    if TYPE_CHECKING:

        @property
        def webhook_url(self) -> str: ...

        def _notify(self) -> None: ...

        def _chat_for_sending(self, params: dict[str, Any]) -> tuple[int, _Chat]: ...

        def _find_sent(self, chat_id: int, message_id: int) -> SentMessage: ...

    # ------------------------------------------------------------------------------- methods

    async def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.bot_user

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise BotApiError(409, CONFLICT_WEBHOOK)
        offset = _integer(params, "offset", 0)
        limit = min(max(_integer(params, "limit", 100), 1), 100)
        timeout = min(max(_number(params, "timeout", 0), 0.0), MAX_LONG_POLL_S)
        if "allowed_updates" in params:
            # As on Telegram, the setting sticks until a later call changes it; [] means "all".
            self._allowed_updates = _structured(params, "allowed_updates") or []
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]

        # Telegram serves one poll at a time: a newer request terminates the older one.
        if self._poll is not None:
            self._poll.terminated = True
            self._notify()
        poll = self._poll = _Poll()
        deadline = time.monotonic() + timeout
        try:
            while True:
                if poll.terminated:
                    raise BotApiError(409, CONFLICT_WEBHOOK if self.webhook_url else CONFLICT_OTHER_POLL)
                ready = [u for u in self._updates if self._is_allowed(u)][:limit]
                remaining = deadline - time.monotonic()
                if ready or remaining <= 0:
                    return ready
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(remaining):
                        await self._changed.wait()
        finally:
            if self._poll is poll:
                self._poll = None

    def _is_allowed(self, update: dict[str, Any]) -> bool:
        return not self._allowed_updates or any(kind in update for kind in self._allowed_updates)

    async def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = str(params.get("url", ""))
        if not url:
            return await self._delete_webhook(params)
        secret = str(params.get("secret_token", ""))
        if secret and not _SECRET_TOKEN.fullmatch(secret):
            raise BotApiError(400, "Bad Request: secret token contains unallowed characters")
        if _flag(params, "drop_pending_updates"):
            self._updates.clear()
        if "allowed_updates" in params:
            self._allowed_updates = _structured(params, "allowed_updates") or []
        self._webhook = {
            "url": url,
            "secret_token": secret,
            "max_connections": _integer(params, "max_connections", 40),
        }
        self._webhook_error = None
        if self._poll is not None:
            self._poll.terminated = True
        self._notify()
        return True

    async def _delete_webhook(self, params: dict[str, Any]) -> bool:
        if _flag(params, "drop_pending_updates"):
            self._updates.clear()
        self._webhook = {}
        return True

    async def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook_url:
            info["max_connections"] = self._webhook["max_connections"]
            if self._allowed_updates:
                info["allowed_updates"] = self._allowed_updates
        if self._webhook_error is not None:
            info["last_error_date"], info["last_error_message"] = self._webhook_error
        return info

    def _check_text(self, text: str) -> None:
        if not text.strip():
            raise BotApiError(400, "Bad Request: message text is empty")
        if _utf16_length(text) > MAX_TEXT_LENGTH:
            raise BotApiError(400, "Bad Request: message is too long")

    def _inline_markup(self, params: dict[str, Any]) -> dict[str, Any] | None:
        """The inline keyboard to attach, validated as Telegram does; other markups are accepted
        but, as on Telegram, not echoed in the returned Message."""
        markup = _structured(params, "reply_markup")
        if not isinstance(markup, dict) or "inline_keyboard" not in markup:
            return None
        for row in markup["inline_keyboard"]:
            for button in row:
                if not str(button.get("text", "")).strip():
                    raise BotApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
                if "callback_data" in button:
                    size = len(str(button["callback_data"]).encode("utf-8"))
                    if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                        raise BotApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                elif "url" in button:
                    if not re.match(r"(https?|tg)://", str(button["url"])):
                        raise BotApiError(
                            400, f"Bad Request: inline keyboard button URL '{button['url']}' is invalid: Wrong HTTP URL"
                        )
                else:
                    raise BotApiError(400, 'Bad Request: can\'t find field "callback_data"')
        return {"inline_keyboard": markup["inline_keyboard"]}

    def _check_flood(self, chat_id: int) -> None:
        if self._per_chat_min_interval is None:
            return
        now = time.monotonic()
        last = self._last_send.get(chat_id)
        if last is not None and now - last < self._per_chat_min_interval:
            wait = max(1, math.ceil(self._per_chat_min_interval - (now - last)))
            raise BotApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})
        self._last_send[chat_id] = now

    async def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id, chat = self._chat_for_sending(params)
        text, entities = _formatted(params)
        self._check_text(text)
        markup = self._inline_markup(params)
        self._check_flood(chat_id)
        content: dict[str, Any] = {"text": text}
        if entities:
            content["entities"] = entities
        if markup is not None:
            content["reply_markup"] = markup
        return self._sent(chat_id, chat, content)

    def _sent(self, chat_id: int, chat: _Chat, content: dict[str, Any]) -> dict[str, Any]:
        """The Message the bot sent, as the API returns it, kept in the chat's outbox."""
        message = {
            "message_id": next(chat.message_ids),
            "date": int(time.time()),
            "chat": chat.as_chat,
            "from": self.bot_user,
            **content,
        }
        self._outbox[chat_id].append(SentMessage(chat_id, message, time.monotonic()))
        return message

    async def _send_photo(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id, chat = self._chat_for_sending(params)
        photo = params.get("photo")
        if isinstance(photo, web.FileField):
            data = photo.file.read()
            try:
                with PIL.Image.open(io.BytesIO(data)) as image:
                    width, height = image.size
                    image.verify()
            except (OSError, PIL.UnidentifiedImageError, ValueError):
                raise BotApiError(400, "Bad Request: IMAGE_PROCESS_FAILED") from None
            file_id = f"AgAC{hashlib.sha256(data).hexdigest()[:40]}"
            self._photo_ids.add(file_id)
            size = {"file_id": file_id, "file_unique_id": file_id[-16:], "width": width, "height": height,
                    "file_size": len(data)}  # fmt: skip
        elif isinstance(photo, str) and (photo in self._photo_ids or photo.startswith(("https://", "http://"))):
            size = {"file_id": photo if photo in self._photo_ids else f"AgAC{hashlib.sha256(photo.encode()).hexdigest()[:40]}",
                    "file_unique_id": "url", "width": 0, "height": 0}  # fmt: skip
        elif photo in (None, ""):
            raise BotApiError(400, "Bad Request: there is no photo in the request")
        else:
            raise BotApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        self._check_flood(chat_id)
        return self._sent(chat_id, chat, {"photo": [size]})

    async def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id, _ = self._chat_for_sending(params)
        sent = self._find_sent(chat_id, _integer(params, "message_id"))
        text, _ = _formatted(params)
        self._check_text(text)
        markup = self._inline_markup(params)
        if text == sent.text and markup == sent.message.get("reply_markup"):
            raise BotApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply markup "
                "are exactly the same as a current content and reply markup of the message",
            )
        return self._apply_edit(sent, text=text, reply_markup=markup)

    async def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id, _ = self._chat_for_sending(params)
        sent = self._find_sent(chat_id, _integer(params, "message_id"))
        markup = self._inline_markup(params)
        if markup == sent.message.get("reply_markup"):
            raise BotApiError(400, "Bad Request: message is not modified")
        return self._apply_edit(sent, text=sent.text, reply_markup=markup)

    @staticmethod
    def _apply_edit(sent: SentMessage, *, text: str, reply_markup: dict[str, Any] | None) -> dict[str, Any]:
        sent.message["text"] = text
        sent.message["edit_date"] = int(time.time())
        if reply_markup is None:
            sent.message.pop("reply_markup", None)
        else:
            sent.message["reply_markup"] = reply_markup
        return sent.message

    async def _delete_message(self, params: dict[str, Any]) -> bool:
        chat_id, _ = self._chat_for_sending(params)
        try:
            self._find_sent(chat_id, _integer(params, "message_id")).deleted = True
        except BotApiError:
            raise BotApiError(400, "Bad Request: message to delete not found") from None
        return True

    async def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        if query_id not in self._open_callbacks:
            raise BotApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        self._open_callbacks.discard(query_id)
        return True

    async def _send_chat_action(self, params: dict[str, Any]) -> bool:
        self._chat_for_sending(params)
        return True

    async def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = _structured(params, "commands")
        if not isinstance(commands, list):
            raise BotApiError(400, 'Bad Request: parameter "commands" is required')
        self._commands = commands
        return True

    async def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self._commands
