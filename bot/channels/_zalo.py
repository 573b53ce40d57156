"""The Zalo Official Account channel, on Zalo's OA Open API over aiohttp.

Receiving: Zalo POSTs each event to ``POST /webhooks/zalo`` on the bot's aiohttp server
(:meth:`ZaloChannel.routes`). The ``X-ZEvent-Signature`` is checked on the raw bytes, stale
events are refused, and the event is queued and answered 200 at once: Zalo wants its answer
within 2 s and re-sends otherwise (Zalo's OA webhook docs, developers.zalo.me). Re-sent events are
dropped on ``msg_id`` here, and again by the pipeline on the platform message id.

Sending: the consultation-message API ``POST /v3.0/oa/message/cs``. Errors come with HTTP 200
and a non-zero ``error`` (Zalo OA API docs). Each send is one attempt: a rate limit or a transient failure is
a retryable :class:`DeliveryError` (a rate limit with ``retry_after``), and the application's
delivery layer (``bot.delivery.RetryPolicy``) decides when to send again. An invalid or expired
token is refreshed and the send made once more with the new one: a re-authentication, not a
retry of a failure. A citizen outside the 7-day interaction window cannot be reached until they
write again, which is a :class:`DeliveryError` with ``until_contact=True``: the pipeline holds
the reply, and the rest of its turn, in the outbox and sends them first when the citizen next
writes (an official's answer, sent by the officials' desk, is flagged to the group instead).

Rendering: text split at Zalo's 2,000-character limit. Up to five buttons go with the last piece
as Zalo's button template: a link as ``oa.open.url``; a choice as ``oa.query.hide``, whose tap
Zalo sends back as a ``user_send_text`` carrying the payload, ``#wb:`` + the button's data, which
becomes a button press (``callback_data``) as on Telegram. Hidden rather than ``oa.query.show``:
a shown query would put the cryptic payload in the citizen's chat as if they had typed it; hidden,
the chat shows only the bot's answer to the tap. More buttons, or data too long for a payload,
fall back to numbered lines (``Reply.as_plain_text``); typed numbers are understood either way.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
import unicodedata
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web

from handlers import IncomingMessage, Reply, plain_text, split_text

from .._config import ZALO_SIGNATURE_PREFIXES
from .._logging import chat_ref
from ._base import Channel, DeliveryError, Dispatch
from ._payloads import PayloadError, clip_text, parse_zalo_event
from ._zalo_tokens import TokenRefreshError, ZaloTokens

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://openapi.zalo.me"
WEBHOOK_PATH = "/webhooks/zalo"
SEND_PATH = "/v3.0/oa/message/cs"
SIGNATURE_HEADER = "X-ZEvent-Signature"
TEXT_LIMIT = 2000  # characters of a consultation text message (Zalo's OA docs, "Gửi tin Tư vấn")
# The button template's limits, from third-party integrations (eSMS's developer docs, open-source
# Zalo clients), not Zalo's own docs: verify against a real OA.
BUTTON_LIMIT = 5  # buttons on one message
BUTTON_TITLE_LIMIT = 100  # characters of a title
QUERY_PAYLOAD_LIMIT = 1000  # characters of an oa.query.* payload
# Starts the payload of a choice button, so that its tap is told from typed text.
QUERY_PREFIX = "#wb:"

# What a citizen sends that the bot handles (a follow is greeted apart); any other event is logged and ignored.
MESSAGE_EVENTS = ("user_send_text", "user_send_image", "user_send_location", "user_send_sticker")

# Error codes of the send API (Zalo's OA docs, appendix "Mã lỗi"; Chatwoot's Zalo integration).
TOKEN_ERRORS = frozenset({-216, -220})  # invalid, expired: refresh once and send again
RATE_LIMIT_ERRORS = frozenset({-32})  # the OA's calls per minute: retryable after RATE_LIMIT_RETRY_AFTER_S
RETRYABLE_ERRORS = RATE_LIMIT_ERRORS | {-100}  # rate limit, transient: the delivery layer retries
WINDOW_ERRORS = frozenset({-213, -217, -227, -230, -232, -244})  # the citizen cannot be reached now
RATE_LIMIT_RETRY_AFTER_S = 60.0  # the limit is per minute: the delivery layer's next try waits it out

SEND_TIMEOUT_S = 15.0
# Events older than this are refused. Zalo re-sends a failed event for about 2 h
# (30 s, 5 min, 15 min, 30 min, 1 h, per its OA webhook docs) with its original timestamp, so older ones are replays.
MAX_EVENT_AGE_S = 2.5 * 3600
MAX_CLOCK_SKEW_S = 300.0


def event_signature(raw_body: bytes, *, first: str, timestamp: str, secret: str) -> str:
    """The ``X-ZEvent-Signature`` value: ``mac=`` + hex SHA-256 of first term + exact body
    bytes + the body's timestamp + secret. Plain SHA-256, not HMAC, as Zalo's webhook docs and
    Chatwoot's Zalo integration compute it."""
    digest = hashlib.sha256(first.encode() + raw_body + timestamp.encode() + secret.encode()).hexdigest()
    return f"mac={digest}"


class ZaloChannel(Channel):
    """A Zalo Official Account: webhook in, consultation messages out.

    ``signature_secret`` is the key of the webhook signature (the OA Secret Key by default,
    configurable because sources disagree); ``signature_prefix`` names the body field that
    starts the signed string. ``tokens`` hands out the access token and refreshes it.
    """

    name = "zalo"

    def __init__(
        self,
        *,
        app_id: str,
        signature_secret: str,
        tokens: ZaloTokens,
        api_url: str = DEFAULT_API_URL,
        signature_prefix: str = "app_id",
        max_event_age: float = MAX_EVENT_AGE_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not signature_secret:
            raise ValueError("signature_secret: the Zalo webhook signature key is empty")
        if signature_prefix not in ZALO_SIGNATURE_PREFIXES:
            raise ValueError(f"signature_prefix: expected one of {', '.join(ZALO_SIGNATURE_PREFIXES)}")
        self._app_id = app_id
        self._secret = signature_secret
        self._prefix = signature_prefix
        self._tokens = tokens
        self._send_url = api_url.rstrip("/") + SEND_PATH
        self._max_event_age = max_event_age
        self._clock = clock
        self._session: aiohttp.ClientSession | None = None
        self._dispatch: Dispatch | None = None

    # ----------------------------------------------------------------------------- lifecycle

    def routes(self) -> list[web.RouteDef]:
        """The webhook route to add to the bot's aiohttp server."""
        return [web.post(WEBHOOK_PATH, self.handle_webhook)]

    async def start(self, dispatch: Dispatch) -> None:
        if self._dispatch is not None:
            raise RuntimeError("the Zalo channel is already started")
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=SEND_TIMEOUT_S))
        self._dispatch = dispatch
        log.info("Zalo channel up: register POST %s in the Zalo developer console (Webhook page)", WEBHOOK_PATH)

    async def stop(self) -> None:
        """Stop accepting events, then close (replies being sent finish first: the
        application drains its pipeline before it stops the channels' sessions)."""
        self._dispatch = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    # ----------------------------------------------------------------------------- receiving

    async def handle_webhook(self, request: web.Request) -> web.Response:
        """``POST /webhooks/zalo``: verify, record, answer 200 without waiting for the handlers."""
        raw = await request.read()
        try:
            # Bounded before it is parsed: the signature covers the body's own app_id and
            # timestamp, so the body must be read first, and it must cost nothing to refuse.
            payload = parse_zalo_event(raw)
        except PayloadError as error:
            log.warning("Zalo webhook call refused (%s) from %s", error, request.remote)
            return web.Response(status=400, text="not a Zalo event")
        event = payload.data
        problem = self._refusal(raw, event, request.headers.get(SIGNATURE_HEADER, ""))
        if problem:
            log.warning("Zalo webhook call refused (%s) from %s", problem, request.remote)
            return web.Response(status=401, text="unauthorized")
        if self._dispatch is None:
            return web.Response(status=503, text="not ready")  # Zalo re-sends later
        name = str(event.get("event_name", ""))
        if payload.problem:
            # Signed, so from Zalo: a 200, or Zalo would re-send it for two hours.
            log.warning("ignoring a Zalo %.40s event of unexpected shape: %s", name, payload.problem)
            return web.Response(text="ok")
        message = self._to_incoming(event)
        if message is None:
            log.info("ignoring Zalo event %s", name)
            return web.Response(text="ok")
        try:
            # Recorded before the 200: Zalo never re-sends an event it got a 200 for. A re-sent
            # event is dropped there, by its message id.
            await self._dispatch(message)
        except Exception:
            log.exception("could not record Zalo message %s; Zalo re-sends it", message.message_id)
            return web.Response(status=500, text="not recorded")
        return web.Response(text="ok")

    def _refusal(self, raw: bytes, event: dict[str, Any], header: str) -> str:
        """Why the event must be refused, or "" when it is authentic and fresh."""
        timestamp = str(event.get("timestamp", ""))
        expected = event_signature(
            raw, first=str(event.get(self._prefix, "")), timestamp=timestamp, secret=self._secret
        )
        # surrogateescape: aiohttp keeps a header's undecodable bytes that way; they must compare
        # unequal, not fail to encode.
        if not hmac.compare_digest(header.encode("utf-8", "surrogateescape"), expected.encode()):
            return "missing or wrong signature"
        if self._app_id and str(event.get("app_id", "")) != self._app_id:
            return "an event for another app"
        age = self._clock() - int(timestamp) / 1000  # digits only: parse_zalo_event checked
        if age > self._max_event_age or age < -MAX_CLOCK_SKEW_S:
            return f"stale event ({age:.0f} s old)"
        return ""

    def _to_incoming(self, event: dict[str, Any]) -> IncomingMessage | None:
        """The :class:`IncomingMessage` for an event the bot answers, or None."""
        name = event.get("event_name")
        if name == "follow":
            user = str((event.get("follower") or {}).get("id", ""))
            # A new follower gets the greeting, as /start does on Telegram.
            return IncomingMessage(
                channel=self.name,
                chat_id=user,
                user_id=user,
                text="/start",
                message_id=f"follow:{user}:{event['timestamp']}",
            )
        if name not in MESSAGE_EVENTS:
            return None  # unfollow (nothing can be sent any more), echoes, receipts, ...
        user = str((event.get("sender") or {}).get("id", ""))
        body = event.get("message") or {}
        msg_id = str(body.get("msg_id", ""))
        if not user or not msg_id:
            return None
        text, truncated = clip_text(str(body.get("text") or ""))
        payload = _first_payload(body)
        location = None
        attachment = ""
        callback_data = ""
        if name == "user_send_text" and text.startswith(QUERY_PREFIX):
            # A tapped oa.query.hide button: its payload arrives as if typed.
            callback_data, text = text.removeprefix(QUERY_PREFIX), ""
        elif name == "user_send_location":
            coordinates = payload.get("coordinates") or {}
            try:
                location = (float(coordinates["latitude"]), float(coordinates["longitude"]))
            except (KeyError, TypeError, ValueError):
                return None
        elif name == "user_send_image":
            attachment = str(payload.get("url", ""))
        elif name == "user_send_sticker":
            # Counts as an interaction for Zalo's window; there is nothing to answer.
            return None
        if not (text or location or attachment or callback_data):
            return None
        return IncomingMessage(
            channel=self.name,
            chat_id=user,
            user_id=user,
            text=text,
            message_id=msg_id,
            callback_data=callback_data,
            location=location,
            attachment=attachment,
            truncated=truncated,
        )

    # ------------------------------------------------------------------------------- sending

    async def send(self, chat_id: str, reply: Reply) -> None:
        """Send ``reply`` as text messages within Zalo's limit, its buttons as a button template
        on the last one, or as numbered lines when they do not fit one.
        Raises :class:`DeliveryError`; pieces already sent stay sent."""
        buttons = _template_buttons(reply)
        text = plain_text(reply.text) if buttons else reply.as_plain_text()
        *pieces, last = split_text(unicodedata.normalize("NFC", text), TEXT_LIMIT)  # Zalo counts NFC
        for piece in pieces:
            await self._send_message(chat_id, {"text": piece})
        message: dict[str, Any] = {"text": last}
        if buttons:
            message["attachment"] = {"type": "template", "payload": {"buttons": buttons}}
        await self._send_message(chat_id, message)

    async def _send_message(self, chat_id: str, message: dict[str, Any]) -> None:
        """One attempt to send ``message``; a failure raises :class:`DeliveryError`.

        An invalid or expired access token is refreshed and the same send made once more with the
        new token. That is a re-authentication, not a retry of a failure (the delivery layer
        retries those): it happens at most once, and a second token error is final."""
        if self._session is None:
            raise DeliveryError("the Zalo channel is not started", retryable=True)
        body = {"recipient": {"user_id": chat_id}, "message": message}
        ref = chat_ref(self.name, chat_id)  # errors are logged and stored: never the raw id
        refreshed = False
        while True:
            try:
                token = await self._tokens.current(self._session)
            except TokenRefreshError as error:
                raise DeliveryError(str(error), retryable=False) from error
            try:
                async with self._session.post(self._send_url, json=body, headers={"access_token": token}) as response:
                    status = response.status
                    answer = await response.json(content_type=None) if status == 200 else None
            except (aiohttp.ClientError, TimeoutError, ValueError) as error:
                code, text = None, f"network: {error!r}"
            else:
                if status != 200 or not isinstance(answer, dict):
                    code, text = None, f"HTTP {status}"
                else:
                    code, text = int(answer.get("error", 0)), str(answer.get("message", ""))
                    if code == 0:
                        return
            if code in TOKEN_ERRORS and not refreshed:
                refreshed = True
                try:
                    await self._tokens.refresh(self._session, stale=token)
                except TokenRefreshError as error:
                    raise DeliveryError(str(error), retryable=False) from error
                continue
            if code in WINDOW_ERRORS:
                raise DeliveryError(
                    f"Zalo user {ref} is outside the OA's interaction window ({code}: {text}); "
                    "the reply waits until the citizen writes to the OA again",
                    retryable=False,
                    until_contact=True,
                )
            if code is None or code in RETRYABLE_ERRORS:
                retry_after = RATE_LIMIT_RETRY_AFTER_S if code in RATE_LIMIT_ERRORS else None
                raise DeliveryError(
                    f"Zalo send to {ref} failed ({code}: {text})", retryable=True, retry_after=retry_after
                )
            raise DeliveryError(f"Zalo refused a message to {ref} ({code}: {text})", retryable=False)


def _template_buttons(reply: Reply) -> list[dict[str, Any]]:
    """The buttons of ``reply`` for Zalo's button template; none when there are none, or when
    they do not fit one."""
    buttons = [button for row in reply.buttons for button in row]
    if len(buttons) > BUTTON_LIMIT:
        return []
    template = []
    for button in buttons:
        title = unicodedata.normalize("NFC", button.label)
        if len(title) > BUTTON_TITLE_LIMIT:
            title = title[: BUTTON_TITLE_LIMIT - 1] + "…"
        if button.url:
            template.append({"title": title, "type": "oa.open.url", "payload": {"url": button.url}})
            continue
        query = QUERY_PREFIX + button.data
        if len(query) > QUERY_PAYLOAD_LIMIT:
            return []
        template.append({"title": title, "type": "oa.query.hide", "payload": query})
    return template


def _first_payload(message: dict[str, Any]) -> dict[str, Any]:
    attachments = message.get("attachments") or []
    if attachments and isinstance(attachments[0], dict):
        payload = attachments[0].get("payload")
        return payload if isinstance(payload, dict) else {}
    return {}
