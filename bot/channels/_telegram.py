"""The Telegram channel, on python-telegram-bot 22 used as it ships.

Receiving: long polling by default, or a webhook at ``POST /webhooks/telegram`` served by the
bot's own aiohttp server (:meth:`TelegramChannel.routes`). Either way a message is recorded by the
application before Telegram learns it arrived: the webhook answers 200 after that, and polling
confirms an update (by asking with a higher ``offset``, as the Bot API's getUpdates defines) only
after that. Telegram keeps an unconfirmed update and sends it again; it never re-sends a confirmed
one. PTB's own ``Updater`` is not used because it confirms updates as soon as it has fetched them.
Everything runs on the caller's asyncio loop: no threads and no ``run_polling()``.

Sending: ``AIORateLimiter`` keeps the bot under Telegram's overall and group limits; on top of
it each chat gets about one message a second, which Telegram also asks for and AIORateLimiter
does not enforce. Each message is one attempt: a failure becomes :class:`DeliveryError`,
retryable or not, with Telegram's ``retry_after`` from a 429, and the application's delivery
layer (``bot.delivery.RetryPolicy``) decides when to send again.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hmac
import logging
import warnings
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web
from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MaybeInaccessibleMessage,
    Message,
    Update,
)
from telegram.constants import ChatType, MessageLimit, ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
)
from telegram.warnings import PTBDeprecationWarning

from handlers import Button, IncomingMessage, Reply, split_text, telegram_html

from .._config import TELEGRAM_MODES, TELEGRAM_WEBHOOK_SECRET
from .._logging import chat_ref
from ._base import Channel, DeliveryError, Dispatch
from ._payloads import MAX_TEXT_CHARS, PayloadError, clip_text, parse_telegram_update
from ._telegram_limits import _CallbackDataTable, _ChatPacer

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.telegram.org/bot"
WEBHOOK_PATH = "/webhooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Only what the bot handles, so Telegram does not send (and we do not poll for) the rest.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]

TEXT_LIMIT = int(MessageLimit.MAX_TEXT_LENGTH)

# AIORateLimiter stays as the pacer of Telegram's overall (30 a second) and per-group (20 a
# minute) limits, which nothing else enforces, but waits out no 429 itself: retrying is the
# delivery layer's alone (bot.delivery.RetryPolicy), which honours the 429's retry_after that
# DeliveryError carries, so a reply's HTTP requests stay within the bound RetryPolicy states.
# Replacing it with the per-chat pacer alone would lose the overall and group pacing.
RATE_LIMIT_RETRIES = 0
# Connecting at start-up when Telegram is unreachable: retried in the background.
RECONNECT_FIRST_S = 1.0
RECONNECT_MAX_S = 60.0
# Long polling: how long Telegram holds a getUpdates request open, and the backoff when polling
# (or recording what it fetched) fails.
POLL_TIMEOUT_S = 25
POLL_RETRY_FIRST_S = 1.0
POLL_RETRY_MAX_S = 30.0


class TelegramChannel(Channel):
    """Telegram through python-telegram-bot: ``mode="polling"`` (default) or ``"webhook"``.

    ``api_url`` is the Bot API base URL with the token left off (``WARDBOT_TELEGRAM_API_URL``).
    Webhook mode needs ``webhook_url`` (the public HTTPS address of ``POST /webhooks/telegram``)
    and ``webhook_secret`` (1–256 of ``A-Z a-z 0-9 _ -``), and the routes from :meth:`routes`
    added to the bot's HTTP server before it starts. ``per_chat_interval`` is the least time
    between two messages to one chat, in seconds.
    """

    name = "telegram"

    def __init__(
        self,
        token: str,
        *,
        api_url: str = DEFAULT_API_URL,
        mode: str = "polling",
        webhook_url: str = "",
        webhook_secret: str = "",
        per_chat_interval: float = 1.0,
    ) -> None:
        if not token:
            raise ValueError("token: the Telegram bot token is empty")
        if mode not in TELEGRAM_MODES:
            raise ValueError(f"mode: expected one of {', '.join(TELEGRAM_MODES)}, got {mode!r}")
        if mode == "webhook":
            if not webhook_url:
                raise ValueError("webhook_url: required in webhook mode")
            if not TELEGRAM_WEBHOOK_SECRET.fullmatch(webhook_secret):
                raise ValueError("webhook_secret: required in webhook mode, 1-256 of A-Z a-z 0-9 _ -")
        if per_chat_interval < 0:
            raise ValueError("per_chat_interval: must not be negative")
        self._mode = mode
        self._webhook_url = webhook_url
        self._webhook_secret = webhook_secret
        builder = (
            ApplicationBuilder()
            .token(token)
            .base_url(api_url)
            .rate_limiter(AIORateLimiter(max_retries=RATE_LIMIT_RETRIES))
        )
        if api_url.endswith("/bot"):
            # Files live beside the API (".../file/bot<token>/<path>"), on a test server too.
            builder = builder.base_file_url(api_url.removesuffix("/bot") + "/file/bot")
        self._application: Application = builder.updater(None).build()
        self._pacer = _ChatPacer(per_chat_interval)
        self._callback_data = _CallbackDataTable()
        self._dispatch: Dispatch | None = None
        self._reconnect_task: asyncio.Task[None] | None = None
        self._polling: asyncio.Task[None] | None = None

    # ----------------------------------------------------------------------------- lifecycle

    def routes(self) -> list[web.RouteDef]:
        """The HTTP routes to add to the bot's aiohttp server: the webhook in webhook mode, none
        when polling."""
        if self._mode != "webhook":
            return []
        return [web.post(WEBHOOK_PATH, self.handle_webhook)]

    async def start(self, dispatch: Dispatch) -> None:
        """Connect (getMe; then deleteWebhook and polling, or setWebhook) and hand every message
        to ``dispatch``. A rejected token or webhook URL raises; an unreachable Telegram is
        logged and retried in the background, so the rest of the bot still starts."""
        if self._dispatch is not None:
            raise RuntimeError("the Telegram channel is already started")
        self._dispatch = dispatch
        try:
            await self._connect()
        except (InvalidToken, BadRequest, Forbidden) as error:
            await self.stop()
            if isinstance(error, InvalidToken):
                # PTB's message quotes the token, which must not end up in logs.
                raise InvalidToken("the Telegram bot token was rejected by the server") from None
            raise
        except TelegramError as error:
            log.warning("Telegram is unreachable (%s); connecting in the background", error)
            self._reconnect_task = asyncio.create_task(self._keep_connecting(), name="telegram-connect")

    async def stop(self) -> None:
        """Stop receiving, then close connections."""
        for task in (self._reconnect_task, self._polling):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._reconnect_task = self._polling = None
        application = self._application
        if application.running:
            await application.stop()  # waits for the answers to button presses
        await application.shutdown()
        await application.bot.shutdown()  # closes connections even if start-up never completed
        self._dispatch = None

    async def _connect(self) -> None:
        """Bring the application up; each step is skipped if done, so a failed try can resume."""
        application = self._application
        await application.initialize()
        if not application.running:
            await application.start()
        if self._mode == "polling":
            if self._polling is None:
                await application.bot.delete_webhook()  # getUpdates is refused while one is set
                self._polling = asyncio.create_task(self._poll(), name="telegram-polling")
        else:
            await application.bot.set_webhook(
                url=self._webhook_url, secret_token=self._webhook_secret, allowed_updates=ALLOWED_UPDATES
            )
        log.info("Telegram channel up as @%s (%s)", application.bot.username, self._mode)

    async def _keep_connecting(self) -> None:
        delay = RECONNECT_FIRST_S
        while True:
            await asyncio.sleep(delay)
            try:
                await self._connect()
                return
            except InvalidToken:
                log.error("the Telegram bot token was rejected by the server; Telegram stays off")
                return
            except (BadRequest, Forbidden) as error:
                log.error("Telegram refused the bot's set-up, Telegram stays off: %s", error)
                return
            except TelegramError as error:
                delay = min(delay * 2, RECONNECT_MAX_S)
                log.warning("Telegram still unreachable (%s); next try in %.0f s", error, delay)

    async def _poll(self) -> None:
        """Long polling: fetch updates, record each, then confirm them with the next request."""
        offset: int | None = None
        delay = POLL_RETRY_FIRST_S
        while True:
            try:
                updates = await self._application.bot.get_updates(
                    offset=offset, timeout=POLL_TIMEOUT_S, allowed_updates=ALLOWED_UPDATES
                )
                for update in updates:
                    await self._receive(update)
                    offset = update.update_id + 1
            except Exception as error:  # Telegram, the network, or the database: try again later
                log.warning("Telegram polling failed, retrying in %.0f s: %s", delay, error)
                await asyncio.sleep(delay)
                delay = min(delay * 2, POLL_RETRY_MAX_S)
            else:
                delay = POLL_RETRY_FIRST_S

    # ----------------------------------------------------------------------------- receiving

    async def handle_webhook(self, request: web.Request) -> web.Response:
        """``POST /webhooks/telegram``: check the secret header, then process the update."""
        if self._mode != "webhook":
            return web.Response(status=404)
        # surrogateescape: aiohttp keeps a header's undecodable bytes that way; they must compare
        # unequal, not fail to encode.
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, self._webhook_secret.encode()):
            log.warning("Telegram webhook call with a missing or wrong secret from %s", request.remote)
            return web.Response(status=403, text="forbidden")
        if not self._application.running:
            # Telegram retries a failed delivery later, when the channel is up again.
            return web.Response(status=503, text="not ready")
        try:
            payload = parse_telegram_update(await request.read())
        except PayloadError as error:
            log.warning("Telegram webhook call refused, not an update (%s)", error)
            return web.Response(status=400, text="not a Telegram update")
        # From Telegram (the secret says so), yet unreadable: a 200, or Telegram would send the
        # poison update again and again.
        if payload.problem:
            log.warning("ignoring a Telegram update of unexpected shape: %s", payload.problem)
            return web.Response(text="ok")
        try:
            update = Update.de_json(payload.data, self._application.bot)
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as error:
            log.warning("ignoring a Telegram update python-telegram-bot cannot read: %r", error)
            return web.Response(text="ok")
        try:
            await self._receive(update)
        except Exception:
            log.exception("could not record Telegram update %d; Telegram sends it again", update.update_id)
            return web.Response(status=500, text="not recorded")
        return web.Response(text="ok")

    async def _receive(self, update: Update) -> None:
        """Record the update's message (fast: the handlers run later); raises if it could not."""
        if update.callback_query is not None:
            # Stops the spinner on the citizen's button; tracked by the application until stop.
            self._application.create_task(self._answer_callback(update.callback_query))
        message = self._to_incoming(update)
        if message is None:
            return
        if self._dispatch is None:
            raise RuntimeError("the Telegram channel has stopped")  # not confirmed: sent again
        await self._dispatch(message)

    @staticmethod
    async def _answer_callback(query: CallbackQuery) -> None:
        try:
            await query.answer()
        except TelegramError as error:
            # Only cosmetic: the press itself is still handled.
            log.info("could not answer a Telegram callback query: %s", error)

    def _to_incoming(self, update: Update) -> IncomingMessage | None:
        """The :class:`IncomingMessage` for a message or button press, or None for anything the
        bot does not handle (edited messages, stickers, voice, commands for other bots...)."""
        if (query := update.callback_query) is not None:
            chat_id = query.message.chat.id if query.message is not None else query.from_user.id
            data = self._callback_data.decode(query.data or "")
            text = ""
            if data is None:
                # A long button's data was forgotten (the bot restarted): pass on its label
                # as if typed, which the handlers understand as a choice.
                data, text = "", _button_label(query.message, query.data or "")
            return IncomingMessage(
                channel=self.name,
                chat_id=str(chat_id),
                user_id=str(query.from_user.id),
                text=text,
                message_id=f"callback:{query.id}",
                callback_data=data,
                display_name=query.from_user.full_name,
            )
        message = update.message
        if message is None or message.from_user is None:
            return None
        # Citizens write in private chats; officials work in their group, where a /reply may use
        # Telegram's whole message.
        limit = MAX_TEXT_CHARS if message.chat.type == ChatType.PRIVATE else TEXT_LIMIT
        text, truncated = clip_text(message.text or message.caption or "", limit)
        if text.startswith("/"):
            command = self._without_bot_mention(text)
            if command is None:
                return None
            text = command
        location = (message.location.latitude, message.location.longitude) if message.location else None
        attachment = message.photo[-1].file_id if message.photo else ""  # the largest size
        if not (text or location or attachment):
            log.debug("ignoring a Telegram message with no text, location or photo")
            return None
        return IncomingMessage(
            channel=self.name,
            chat_id=str(message.chat.id),
            user_id=str(message.from_user.id),
            text=text,
            message_id=str(message.message_id),
            location=location,
            attachment=attachment,
            display_name=message.from_user.full_name,
            truncated=truncated,
        )

    def _without_bot_mention(self, command_text: str) -> str | None:
        """``/start@ourbot args`` → ``/start args``; None when the command names another bot."""
        command, _, rest = command_text.partition(" ")
        name, _, mentioned = command.partition("@")
        if mentioned and mentioned.lower() != (self._application.bot.username or "").lower():
            return None
        return f"{name} {rest}" if rest else name

    # ------------------------------------------------------------------------------- sending

    async def send(self, chat_id: str, reply: Reply) -> None:
        """Send ``reply``: its photo first, if any, then the text split at Telegram's limit and
        sent in its HTML parse mode (escaped, bold kept), buttons as an inline keyboard under the
        last piece. Raises
        :class:`DeliveryError` when a piece cannot be delivered; pieces already sent stay sent."""
        markup = self._keyboard(reply.buttons)
        pieces = _split_for_telegram(reply.text)
        async with self._pacer.turn(chat_id) as chat:
            if reply.photo:
                async with chat.next_message():
                    await self._send_piece(chat_id, "", None, photo=reply.photo)
            for index, piece in enumerate(pieces):
                async with chat.next_message():
                    await self._send_piece(chat_id, piece, markup if index == len(pieces) - 1 else None)

    async def _send_piece(
        self, chat_id: str, text: str, markup: InlineKeyboardMarkup | None, *, photo: str = ""
    ) -> None:
        """One message: ``text``, or ``photo`` (a file on this machine, a file id or an address)."""
        ref = chat_ref(self.name, chat_id)  # errors are logged and stored: never the raw id
        try:
            if photo:
                local = Path(photo)
                upload = await asyncio.to_thread(local.read_bytes) if local.is_file() else photo
                await self._application.bot.send_photo(chat_id=chat_id, photo=upload)
            else:
                await self._application.bot.send_message(
                    chat_id=chat_id, text=telegram_html(text), parse_mode=ParseMode.HTML, reply_markup=markup
                )
        except RetryAfter as error:
            # AIORateLimiter waits out none of these (RATE_LIMIT_RETRIES): the delivery layer does.
            raise DeliveryError(
                f"Telegram flood control for chat {ref}: {error}",
                retryable=True,
                retry_after=_retry_after_seconds(error),
            ) from error
        except (BadRequest, Forbidden) as error:
            # Checked before NetworkError, which BadRequest subclasses: the chat is gone, the
            # bot is blocked, or the message is malformed; sending again cannot help.
            raise DeliveryError(f"Telegram refused a message to chat {ref}: {error}", retryable=False) from error
        except NetworkError as error:  # TimedOut and a 502 included: the delivery layer tries again
            raise DeliveryError(f"Telegram unreachable for chat {ref}: {error}", retryable=True) from error
        except TelegramError as error:
            # InvalidToken, ChatMigrated, Conflict...: not something a retry fixes.
            raise DeliveryError(f"Telegram error for chat {ref}: {error}", retryable=False) from error

    def _keyboard(self, rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup | None:
        keyboard = [[self._inline_button(button) for button in row] for row in rows if row]
        return InlineKeyboardMarkup(keyboard) if keyboard else None

    def _inline_button(self, button: Button) -> InlineKeyboardButton:
        if button.url:
            return InlineKeyboardButton(button.label, url=button.url)
        return InlineKeyboardButton(button.label, callback_data=self._callback_data.encode(button.data))


def _split_for_telegram(text: str) -> list[str]:
    """Pieces within Telegram's 4,096-character limit. Telegram counts UTF-16 code units, so a
    piece holding emoji beyond the Basic Multilingual Plane may need cutting again."""
    pieces: list[str] = []
    for piece in split_text(text, TEXT_LIMIT):
        if len(piece.encode("utf-16-le")) // 2 > TEXT_LIMIT:
            pieces.extend(split_text(piece, TEXT_LIMIT // 2))
        else:
            pieces.append(piece)
    return pieces


def _retry_after_seconds(error: RetryAfter) -> float:
    # PTB 22 returns an int or a timedelta depending on PTB_TIMEDELTA and warns about the int;
    # either way we only need seconds.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def _button_label(message: MaybeInaccessibleMessage | None, callback_data: str) -> str:
    """The label of the button carrying ``callback_data`` under ``message``, if still visible."""
    if isinstance(message, Message) and message.reply_markup is not None:
        for row in message.reply_markup.inline_keyboard:
            for button in row:
                if button.callback_data == callback_data:
                    return button.text
    return ""
