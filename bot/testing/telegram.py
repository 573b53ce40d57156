"""A fake Telegram Bot API server (aiohttp on 127.0.0.1) for tests and the end-to-end benchmark.

It answers the way python-telegram-bot expects the real API to (https://core.telegram.org/bots/api):
``/bot<token>/<method>`` over POST or GET with form, JSON or multipart bodies; the
``{"ok": ..., "result": ...}`` envelope; errors with their real HTTP status and no ``result``
(PTB picks the exception class by status); long-polling ``getUpdates`` with offsets; webhooks that
receive updates with the ``X-Telegram-Bot-Api-Secret-Token`` header.

Tests drive it through a control API of plain methods: inject what a user does
(:meth:`FakeTelegramServer.send_text`, :meth:`~FakeTelegramServer.press_button`, ...), read back
what the bot sent (:meth:`~FakeTelegramServer.outbox`, :meth:`~FakeTelegramServer.calls`), inject
faults (:meth:`~FakeTelegramServer.fail_next`) and :meth:`~FakeTelegramServer.reset`.

It lives in the package rather than under ``tests/`` because ``wardbot bench`` and ``wardbot soak``
drive the Telegram channel through it; tests import it from here.

``sendPhoto`` takes an uploaded image (checked by decoding it, as Telegram does), a file id the
fake gave out earlier, or an http(s) address (not fetched); the message carries a ``photo`` size.

The methods themselves are in ``_telegram_methods.py``, the API's limits, errors, records and
parameter parsing in ``_telegram_wire.py``.

Not modelled: groups and channels (every chat is a private chat with one user), ``getFile`` and
other files, captions, inline mode, payments.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import re
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from ._telegram_methods import _BotApiMethods
from ._telegram_wire import MAX_LONG_POLL_S, SECRET_HEADER, BotApiError, SentMessage, _Poll, _utf16_length

__all__ = ("DEFAULT_TOKEN", "MAX_LONG_POLL_S", "ApiCall", "BotApiError", "FakeTelegramServer", "SentMessage")

log = logging.getLogger(__name__)

DEFAULT_TOKEN = "123456789:FAKE-telegram-token_for-tests"
# Failed webhook deliveries are retried after these pauses, then the update is dropped, as
# Telegram "gives up after a reasonable amount of attempts".
WEBHOOK_RETRY_DELAYS_S = (0.1, 0.3, 1.0, 3.0)

@dataclass(frozen=True)
class ApiCall:
    """One request the bot made: the method as spelt in the URL, its decoded parameters, when."""

    method: str
    params: dict[str, Any]
    at: float  # time.monotonic() when the request arrived
    status: int = 200  # the HTTP status it was answered with


@dataclass
class _Fault:
    status: int
    description: str
    retry_after: float | None


@dataclass
class _Chat:
    user: dict[str, Any]
    message_ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    blocked: bool = False

    @property
    def as_chat(self) -> dict[str, Any]:
        chat = {"id": self.user["id"], "type": "private", "first_name": self.user["first_name"]}
        if "username" in self.user:
            chat["username"] = self.user["username"]
        return chat


class FakeTelegramServer(_BotApiMethods):
    """One fake bot, identified by ``token``, with private chats created as users appear.

    ``per_chat_min_interval`` switches on flood control for one chat: a ``sendMessage`` sooner
    than that after the previous one to the same chat is answered 429 with ``retry_after``.
    The server binds a free port on 127.0.0.1 and keeps it across :meth:`stop` and
    :meth:`start`, so a test can take the "network" away and bring it back.

    ``webhook_retry_delays`` are the pauses between failed webhook deliveries of one update
    before it is dropped: ``wardbot soak`` gives a long ladder, since Telegram keeps an update
    for a day while a restarting bot is away. ``webhook_proxy`` (``http://host:port``) receives
    the webhook calls instead of the https address given to setWebhook, path kept, as the
    TLS-terminating proxy in front of a bot does: the bot refuses a webhook URL that is not https.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "wardbot_test_bot",
        per_chat_min_interval: float | None = None,
        webhook_retry_delays: Sequence[float] = WEBHOOK_RETRY_DELAYS_S,
        webhook_proxy: str = "",
    ) -> None:
        self.token = token
        self.bot_user = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": "Wardbot",
            "username": bot_username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self._per_chat_min_interval = per_chat_min_interval
        self._webhook_retry_delays = tuple(webhook_retry_delays)
        self._webhook_proxy = webhook_proxy
        self._port = 0
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._methods = {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "sendmessage": self._send_message,
            "sendphoto": self._send_photo,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "deletemessage": self._delete_message,
            "answercallbackquery": self._answer_callback_query,
            "sendchataction": self._send_chat_action,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
        }
        # Everything below is state that reset() clears.
        self._changed = asyncio.Event()
        self._init_state()

    def _init_state(self) -> None:
        self._chats: dict[int, _Chat] = {}
        self._photo_ids: set[str] = set()  # file ids of photos the bot uploaded
        self._updates: list[dict[str, Any]] = []  # not yet confirmed by an offset or a webhook
        self._update_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._open_callbacks: set[str] = set()
        self._outbox: dict[int, list[SentMessage]] = defaultdict(list)
        self._calls: list[ApiCall] = []
        self._faults: dict[str, list[_Fault]] = defaultdict(list)
        self._last_send: dict[int, float] = {}
        self._allowed_updates: list[str] = []
        self._poll: _Poll | None = None
        self._webhook: dict[str, Any] = {}
        self._webhook_error: tuple[int, str] | None = None
        self._commands: list[dict[str, Any]] = []
        self.webhook_deliveries: list[tuple[int, int]] = []  # (update_id, HTTP status or 0)

    # ----------------------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Listen on 127.0.0.1 (the port of the previous start, if any)."""
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        # Cancelling handlers whose client went away ends long polls that nobody waits for.
        runner = web.AppRunner(app, handle_signals=False, handler_cancellation=True, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", self._port)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        self._port = runner.addresses[0][1]
        self._client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        self._webhook_task = asyncio.create_task(self._deliver_to_webhook(), name="fake-telegram-webhook")

    async def stop(self) -> None:
        """Stop listening; the state (chats, updates, outbox) is kept for a later :meth:`start`."""
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self._client is not None:
            await self._client.close()
            self._client = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegramServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_url(self) -> str:
        """What to give the bot as its API base URL; the token is appended to it."""
        return f"{self.url}/bot"

    # --------------------------------------------------------------------------- control API

    def add_user(self, user_id: int, first_name: str = "Công dân", *, last_name: str = "", username: str = "") -> None:
        """Create a user and their private chat (whose id is the user's id), if new."""
        if user_id in self._chats:
            return
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "vi"}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        self._chats[user_id] = _Chat(user)

    def block_bot(self, user_id: int) -> None:
        """The user blocks the bot: sending to them answers 403 from now on."""
        self._chat_of_user(user_id).blocked = True

    def send_text(self, user_id: int, text: str) -> int:
        """The user sends ``text``; a leading ``/word`` is marked as a bot command. Returns the update id."""
        message = self._user_message(user_id, text=text)
        command = re.match(r"/\S+", text)
        if command:
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": _utf16_length(command.group())}]
        return self._add_update("message", message)

    def send_command(self, user_id: int, command: str, args: str = "") -> int:
        """The user sends ``/command args`` (give ``command`` without the slash)."""
        return self.send_text(user_id, f"/{command} {args}".rstrip())

    def send_location(self, user_id: int, latitude: float, longitude: float) -> int:
        message = self._user_message(user_id, location={"latitude": latitude, "longitude": longitude})
        return self._add_update("message", message)

    def send_photo(self, user_id: int, caption: str = "") -> int:
        """The user sends a photo; Telegram lists its sizes smallest first, each with a file id."""
        update_id = next(self._update_ids)
        sizes = [
            {
                "file_id": f"photo-{update_id}-{width}",
                "file_unique_id": f"u{update_id}-{width}",
                "width": width,
                "height": width * 3 // 4,
                "file_size": width * 60,
            }
            for width in (90, 320, 1280)
        ]
        message = self._user_message(user_id, photo=sizes, **({"caption": caption} if caption else {}))
        return self._add_update("message", message, update_id=update_id)

    def press_button(self, user_id: int, message_id: int, callback_data: str) -> str:
        """The user taps the inline button carrying ``callback_data`` under the bot's message
        ``message_id``. Returns the callback query id the bot must answer."""
        sent = self._find_sent(user_id, message_id)
        buttons = [b for row in sent.inline_keyboard for b in row if b.get("callback_data") == callback_data]
        if not buttons:
            raise ValueError(f"message {message_id} in chat {user_id} has no button with data {callback_data!r}")
        query_id = str(next(self._callback_ids))
        self._open_callbacks.add(query_id)
        query = {
            "id": query_id,
            "from": self._chats[user_id].user,
            "chat_instance": f"instance-{user_id}",
            "message": sent.message,
            "data": callback_data,
        }
        self._add_update("callback_query", query)
        return query_id

    def fail_next(
        self,
        method: str,
        status: int,
        *,
        description: str = "",
        retry_after: float | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with an error: e.g. 429 with
        ``retry_after`` (seconds; fractions allowed here to keep tests fast) or 502."""
        if not description:
            description = {
                429: f"Too Many Requests: retry after {retry_after}",
                502: "Bad Gateway",
            }.get(status, f"Error {status}")
        for _ in range(times):
            self._faults[method.lower()].append(_Fault(status, description, retry_after))

    def outbox(self, chat_id: int) -> list[SentMessage]:
        """The messages the bot sent to ``chat_id``, oldest first (deleted ones included, marked)."""
        return list(self._outbox.get(chat_id, ()))

    def calls(self, method: str | None = None) -> list[ApiCall]:
        """The requests the bot made, oldest first; only those of ``method`` if given."""
        if method is None:
            return list(self._calls)
        return [call for call in self._calls if call.method.lower() == method.lower()]

    @property
    def webhook_url(self) -> str:
        return self._webhook.get("url", "")

    def is_pending(self, update_id: int) -> bool:
        """Whether update ``update_id`` is still kept for the bot: not yet confirmed by a later
        ``getUpdates`` offset, nor answered 2xx by the webhook (nor dropped after its retries)."""
        return any(update["update_id"] == update_id for update in self._updates)

    @property
    def long_poll_waiting(self) -> bool:
        """Whether a ``getUpdates`` request is being held open, waiting for an update."""
        return self._poll is not None

    async def wait_for_outbox(self, chat_id: int, count: int, timeout: float = 5.0) -> list[SentMessage]:
        """Wait until the bot has sent at least ``count`` messages to ``chat_id``; return them all."""
        async with asyncio.timeout(timeout):
            while len(self._outbox.get(chat_id, ())) < count:
                await self._changed.wait()
        return self.outbox(chat_id)

    async def wait_for_call(self, method: str, count: int = 1, timeout: float = 5.0) -> list[ApiCall]:
        """Wait until the bot has called ``method`` at least ``count`` times; return those calls."""
        async with asyncio.timeout(timeout):
            while len(self.calls(method)) < count:
                await self._changed.wait()
        return self.calls(method)

    def reset(self) -> None:
        """Forget users, updates, messages, calls, faults, the webhook and the commands."""
        if self._poll is not None:
            self._poll.terminated = True
        self._init_state()
        self._notify()

    # ----------------------------------------------------------------------- request plumbing

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return BotApiError(401, "Unauthorized").response()
        method = request.match_info["method"]
        handler = self._methods.get(method.lower())
        if handler is None:
            return BotApiError(404, "Not Found").response()
        arrived = time.monotonic()
        params: dict[str, Any] = {}
        status = 200
        try:
            params = await self._read_params(request)
            fault = self._take_fault(method)
            if fault is not None:
                raise BotApiError(
                    fault.status,
                    fault.description,
                    {"retry_after": fault.retry_after} if fault.retry_after is not None else None,
                )
            result = await handler(params)
        except BotApiError as error:
            status = error.status
            return error.response()
        finally:
            self._calls.append(ApiCall(method, params, arrived, status))
            self._notify()
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    async def _read_params(request: web.Request) -> dict[str, Any]:
        """Query string plus body. Form and multipart values stay text (each method decodes the
        ones that are numbers or JSON, as Telegram does); JSON bodies give values as they are."""
        params: dict[str, Any] = dict(request.query)
        if request.method != "POST" or not request.can_read_body:
            return params
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise BotApiError(400, "Bad Request: can't parse JSON body") from None
            if isinstance(body, dict):
                params.update(body)
        else:
            form = await request.post()
            params.update({name: value for name, value in form.items()})
        return params

    def _take_fault(self, method: str) -> _Fault | None:
        faults = self._faults.get(method.lower())
        return faults.pop(0) if faults else None

    def _notify(self) -> None:
        """Wake everyone waiting for a change (long polls, the webhook sender, test waits)."""
        self._changed.set()
        self._changed = asyncio.Event()

    # -------------------------------------------------------------------------- users, chats

    def _chat_of_user(self, user_id: int) -> _Chat:
        self.add_user(user_id)
        return self._chats[user_id]

    def _user_message(self, user_id: int, **content: Any) -> dict[str, Any]:
        chat = self._chat_of_user(user_id)
        return {
            "message_id": next(chat.message_ids),
            "date": int(time.time()),
            "chat": chat.as_chat,
            "from": chat.user,
            **content,
        }

    def _add_update(self, kind: str, payload: dict[str, Any], *, update_id: int | None = None) -> int:
        update_id = update_id if update_id is not None else next(self._update_ids)
        self._updates.append({"update_id": update_id, kind: payload})
        self._notify()
        return update_id

    def _chat_for_sending(self, params: dict[str, Any]) -> tuple[int, _Chat]:
        """The chat a send or edit targets, or the error Telegram gives for it."""
        try:
            chat_id = int(params.get("chat_id"))  # type: ignore[arg-type]  # None: the TypeError below
        except (TypeError, ValueError):
            raise BotApiError(400, "Bad Request: chat not found") from None
        chat = self._chats.get(chat_id)
        if chat is None:
            raise BotApiError(400, "Bad Request: chat not found")
        if chat.blocked:
            raise BotApiError(403, "Forbidden: bot was blocked by the user")
        return chat_id, chat

    def _find_sent(self, chat_id: int, message_id: int) -> SentMessage:
        for sent in self._outbox.get(chat_id, ()):
            if sent.message["message_id"] == message_id and not sent.deleted:
                return sent
        raise BotApiError(400, "Bad Request: message to edit not found")

    # ------------------------------------------------------------------------------ webhook

    async def _deliver_to_webhook(self) -> None:
        """While a webhook is set, POST pending updates to it one at a time, in order, with the
        secret header; a 2xx answer confirms an update, anything else is retried a few times."""
        failures = 0
        while True:
            changed = self._changed
            pending = [u for u in self._updates if self._is_allowed(u)]
            if not self.webhook_url or not pending:
                await changed.wait()
                continue
            update = pending[0]
            status = await self._post_update(update)
            self.webhook_deliveries.append((update["update_id"], status))
            if 200 <= status < 300 or failures >= len(self._webhook_retry_delays):
                if not 200 <= status < 300:
                    log.warning(
                        "fake Telegram: dropped update %s, webhook failed %d times", update["update_id"], failures + 1
                    )
                self._updates = [u for u in self._updates if u is not update]
                failures = 0
                self._notify()
                continue
            self._webhook_error = (int(time.time()), f"Wrong response from the webhook: {status}")
            await asyncio.sleep(self._webhook_retry_delays[failures])
            failures += 1

    async def _post_update(self, update: dict[str, Any]) -> int:
        """The webhook's HTTP status for ``update``, or 0 if it could not be reached."""
        assert self._client is not None
        headers = {SECRET_HEADER: self._webhook["secret_token"]} if self._webhook.get("secret_token") else {}
        url = self.webhook_url
        if self._webhook_proxy:
            url = self._webhook_proxy + urlsplit(url)._replace(scheme="", netloc="").geturl()
        try:
            async with self._client.post(url, json=update, headers=headers) as response:
                await response.read()
                return response.status
        except (aiohttp.ClientError, TimeoutError):
            return 0
