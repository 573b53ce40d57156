"""A fake Zalo OA Open API (aiohttp on 127.0.0.1) for tests and the benchmark.

It behaves like the real API as Zalo's OA Open API docs (developers.zalo.me) and Zalo's own SDKs
(zaloplatform/zalo-java-sdk) describe it:

* ``POST /v3.0/oa/message/cs`` with the ``access_token`` header; every application error comes
  with HTTP 200 and a non-zero ``error``: ``-216`` unknown token, ``-220`` expired token,
  ``-201`` unknown user, text over 2,000 characters or a malformed button template, ``-213`` not
  a follower, ``-230``/``-232`` no interaction for 7 days, ``-32`` past the per-minute limit;
  ``X-RateLimit-*`` headers;
* a text may carry a button template (``attachment`` of type ``template``, 1 to 5 buttons, titles
  of 1 to 100 characters, ``oa.query.*`` payloads of 1 to 1,000 characters), with the limits
  third-party integrations use; a tapped query button comes back as a ``user_send_text``
  carrying its payload;
* ``POST /v4/oa/access_token`` (form body, app secret in the ``secret_key`` header): a refresh
  returns a new pair at the top level with ``expires_in`` as a string and kills the old refresh
  token and the old access token; a reused refresh token fails;
* ``POST /v2.0/oa/message``: ``-240``, the v2 message API is shut down;
* events POSTed to the bot's webhook, signed ``mac=sha256(app_id + body + timestamp + secret)``
  over the exact bytes sent, with duplicates, forged signatures and old timestamps on demand.

Tests drive it through plain methods: :meth:`FakeZaloServer.send_text` and the other event
builders, :meth:`~FakeZaloServer.press` (tap a button), :meth:`~FakeZaloServer.outbox`,
:meth:`~FakeZaloServer.fail_next`, :meth:`~FakeZaloServer.fail_next_http` (a proxy's 502 and the
like), :meth:`~FakeZaloServer.fast_forward` (the token clock),
:meth:`~FakeZaloServer.set_last_interaction`.

Not modelled: uploads, other attachments (images, list templates...: refused with ``-201``), user
profiles, transaction/promotion messages, Zalo's own retry ladder.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

__all__ = ("APP_ID", "APP_SECRET", "OA_SECRET", "Delivery", "FakeZaloServer", "SentZaloMessage")

APP_ID = "4321987654321"
OA_ID = "1122334455667788990"
OA_SECRET = "fake-oa-secret-key"
APP_SECRET = "fake-app-secret"
TEXT_LIMIT = 2000
ACCESS_TOKEN_LIFETIME_S = 90_000  # 25 h
INTERACTION_WINDOW_S = 7 * 24 * 3600
DEFAULT_RATE_LIMIT = 4000  # requests a minute
REUSED_REFRESH_TOKEN_ERROR = -14014  # Zalo documents no code for it: one of its -14xxx OAuth family
# The button template, as third-party integrations describe it (not in Zalo's own docs).
BUTTON_LIMIT = 5
BUTTON_TITLE_LIMIT = 100
QUERY_PAYLOAD_LIMIT = 1000
QUERY_BUTTONS = ("oa.query.show", "oa.query.hide")  # a tap sends the payload to the OA
OBJECT_PAYLOAD_KEYS = {"oa.open.url": ("url",), "oa.open.phone": ("phone_code",), "oa.open.sms": ("phone_code",)}


@dataclass(frozen=True)
class SentZaloMessage:
    user_id: str
    message: dict[str, Any]
    message_id: str

    @property
    def text(self) -> str:
        return self.message.get("text", "")

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """The button template's buttons, as sent."""
        return self.message.get("attachment", {}).get("payload", {}).get("buttons", [])


@dataclass(frozen=True)
class Delivery:
    """One POST of an event to the webhook: the HTTP status and the seconds until the answer."""

    status: int
    seconds: float


@dataclass
class _User:
    follower: bool = True
    last_interaction: float = field(default_factory=time.time)


class FakeZaloServer:
    """The fake API; ``webhook_url`` is where events go (set it before sending events)."""

    def __init__(
        self,
        *,
        app_id: str = APP_ID,
        oa_secret: str = OA_SECRET,
        app_secret: str = APP_SECRET,
        rate_limit: int = DEFAULT_RATE_LIMIT,
        webhook_url: str = "",
    ) -> None:
        self.app_id, self.oa_secret, self.app_secret = app_id, oa_secret, app_secret
        self.rate_limit = rate_limit
        self.webhook_url = webhook_url
        self.access_token = secrets.token_hex(8)
        self.refresh_token = secrets.token_hex(8)
        self.sent: list[SentZaloMessage] = []
        self.refreshes = 0  # successful refreshes
        self.send_calls = 0
        self._tokens: dict[str, float] = {self.access_token: time.time() + ACCESS_TOKEN_LIFETIME_S}
        self._users: dict[str, _User] = {}
        self._faults: list[int] = []
        self._http_faults: list[int] = []
        self._offset = 0.0  # fast_forward
        self._minute: tuple[int, int] = (0, 0)  # (minute, requests in it)
        self._msg_ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.url = ""

    # ----------------------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        app = web.Application()
        app.add_routes(
            [
                web.post("/v3.0/oa/message/cs", self._send),
                web.post("/v4/oa/access_token", self._oauth),
                web.post("/v2.0/oa/message", self._legacy),
            ]
        )
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]  # the bound one: port 0 lets the OS choose
        self.url = f"http://127.0.0.1:{port}"
        self._session = aiohttp.ClientSession()

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeZaloServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ---------------------------------------------------------------------------- control API

    def now(self) -> float:
        return time.time() + self._offset

    def fast_forward(self, seconds: float) -> None:
        """Move the server's clock on (token expiry, interaction windows)."""
        self._offset += seconds

    def fail_next(self, *codes: int) -> None:
        """Answer the next sends with these error codes, one each."""
        self._faults.extend(codes)

    def fail_next_http(self, status: int, *, times: int = 1) -> None:
        """Answer the next ``times`` sends with HTTP ``status`` and no JSON body, as a proxy in
        front of the API would (e.g. 502)."""
        self._http_faults.extend([status] * times)

    def set_last_interaction(self, user_id: str, seconds_ago: float) -> None:
        self._users.setdefault(user_id, _User()).last_interaction = self.now() - seconds_ago

    def outbox(self, user_id: str) -> list[str]:
        return [message.text for message in self.sent if message.user_id == user_id]

    async def wait_for_outbox(self, user_id: str, count: int, timeout: float = 5.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while len(self.outbox(user_id)) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{user_id} got {self.outbox(user_id)}, expected {count} messages")
            await asyncio.sleep(0.01)
        return self.outbox(user_id)

    # -------------------------------------------------------------------------- event driver

    def user_event(self, event_name: str, user_id: str, message: dict[str, Any]) -> dict[str, Any]:
        """A user→OA event; every value a string, as Zalo sends them."""
        message = {"msg_id": f"{next(self._msg_ids):08x}" + secrets.token_hex(4), **message}
        return {
            "app_id": self.app_id,
            "user_id_by_app": "9" + user_id,
            "event_name": event_name,
            "sender": {"id": user_id},
            "recipient": {"id": OA_ID},
            "message": message,
            "timestamp": str(int(self.now() * 1000)),
        }

    def text_event(self, user_id: str, text: str) -> dict[str, Any]:
        return self.user_event("user_send_text", user_id, {"text": text})

    def image_event(self, user_id: str, caption: str = "") -> dict[str, Any]:
        url = f"https://photo-stal.zadn.vn/{secrets.token_hex(6)}.jpg"
        attachment = {"type": "image", "payload": {"url": url, "thumbnail": url}}
        return self.user_event("user_send_image", user_id, {"text": caption, "attachments": [attachment]})

    def location_event(self, user_id: str, latitude: float, longitude: float) -> dict[str, Any]:
        coordinates = {"latitude": str(latitude), "longitude": str(longitude)}
        attachment = {"type": "location", "payload": {"coordinates": coordinates}}
        return self.user_event("user_send_location", user_id, {"attachments": [attachment]})

    def sticker_event(self, user_id: str) -> dict[str, Any]:
        attachment = {"type": "sticker", "payload": {"id": "bfe458bf64fa8da4d4eb", "url": "https://zalo-api.zadn.vn/s"}}
        return self.user_event("user_send_sticker", user_id, {"attachments": [attachment]})

    def follow_event(self, user_id: str, event_name: str = "follow") -> dict[str, Any]:
        return {
            "app_id": self.app_id,
            "oa_id": OA_ID,
            "event_name": event_name,
            "follower": {"id": user_id},
            "source": "oa_profile",
            "user_id_by_app": "9" + user_id,
            "timestamp": str(int(self.now() * 1000)),
        }

    def sign(self, raw: bytes, event: dict[str, Any], *, secret: str | None = None) -> str:
        material = self.app_id.encode() + raw + event["timestamp"].encode() + (secret or self.oa_secret).encode()
        return "mac=" + hashlib.sha256(material).hexdigest()

    async def deliver(self, event: dict[str, Any], *, copies: int = 1, signature: str | None = None) -> list[Delivery]:
        """POST ``event`` to the webhook ``copies`` times (Zalo re-sends), signed unless
        ``signature`` is given; a user event counts as an interaction."""
        assert self._session is not None and self.webhook_url, "start the server and set webhook_url"
        raw = json.dumps(event, ensure_ascii=False).encode()  # serialised once, signed as sent
        headers = {"Content-Type": "application/json", "X-ZEvent-Signature": signature or self.sign(raw, event)}
        user = (event.get("sender") or event.get("follower") or {}).get("id")
        if user and event["event_name"] != "unfollow":
            record = self._users.setdefault(user, _User())
            record.last_interaction, record.follower = self.now(), True
        deliveries = []
        for retry in range(copies):
            if retry:
                headers["num_retry"] = str(retry)
            started = time.monotonic()
            async with self._session.post(self.webhook_url, data=raw, headers=headers) as response:
                await response.read()
                deliveries.append(Delivery(response.status, time.monotonic() - started))
        return deliveries

    async def send_text(self, user_id: str, text: str, *, copies: int = 1) -> list[Delivery]:
        return await self.deliver(self.text_event(user_id, text), copies=copies)

    async def press(self, user_id: str, title: str) -> list[Delivery]:
        """The user taps the query button titled ``title`` under the last message with buttons
        they got: Zalo sends its payload as a ``user_send_text``, shown or hidden in the chat."""
        message = next((m for m in reversed(self.sent) if m.user_id == user_id and m.buttons), None)
        if message is None:
            raise ValueError(f"{user_id} got no message with buttons")
        button = next((b for b in message.buttons if b["title"] == title), None)
        if button is None or button["type"] not in QUERY_BUTTONS:
            raise ValueError(f"no query button {title!r} in {message.buttons}")
        return await self.send_text(user_id, button["payload"])

    # ------------------------------------------------------------------------------- the API

    def _answer(self, error: int, message: str, data: dict[str, Any] | None = None) -> web.Response:
        body: dict[str, Any] = {"error": error, "message": message}
        if data is not None:
            body["data"] = data
        count = self._minute[1]
        headers = {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remain": str(max(0, self.rate_limit - count)),
        }
        return web.json_response(body, headers=headers)  # always HTTP 200

    def _over_rate_limit(self) -> bool:
        minute = int(self.now() // 60)
        count = self._minute[1] + 1 if self._minute[0] == minute else 1
        self._minute = (minute, count)
        return count > self.rate_limit

    async def _send(self, request: web.Request) -> web.Response:
        self.send_calls += 1
        if self._http_faults:
            status = self._http_faults.pop(0)
            return web.Response(status=status, text=f"HTTP error {status}")
        if self._over_rate_limit():
            return self._answer(-32, "Your application/OA reached limit call api")
        token = request.headers.get("access_token", "")
        if token not in self._tokens:
            return self._answer(-216, "Access token is invalid")
        if self._tokens[token] <= self.now():
            return self._answer(-220, "Access token is expired or removed")
        if self._faults:
            code = self._faults.pop(0)
            return self._answer(code, f"simulated error {code}")
        try:
            body = await request.json()
            user_id = str(body["recipient"]["user_id"])
            message = dict(body["message"])
        except (ValueError, KeyError, TypeError):
            return self._answer(-201, "Parameter body is invalid")
        user = self._users.get(user_id)
        if user is None:
            return self._answer(-201, "Parameter user_id is invalid")
        if not user.follower:
            return self._answer(-213, "User has not followed OA")
        if self.now() - user.last_interaction > INTERACTION_WINDOW_S:
            return self._answer(-230, "User has not interacted with the OA in the past 7 days")
        if "text" in message and not 0 < len(message["text"]) <= TEXT_LIMIT:
            return self._answer(-201, "Parameter text is invalid")
        if "attachment" in message and not _valid_button_template(message):
            return self._answer(-201, "Parameter attachment is invalid")
        message_id = secrets.token_hex(10)
        self.sent.append(SentZaloMessage(user_id, message, message_id))
        quota = {"quota_type": "reply", "remain": "8", "total": "8"}
        data = {"message_id": message_id, "user_id": user_id, "sent_time": str(int(self.now() * 1000)), "quota": quota}
        return self._answer(0, "Success", data)

    async def _oauth(self, request: web.Request) -> web.Response:
        form = await request.post()
        if request.headers.get("secret_key") != self.app_secret or form.get("app_id") != self.app_id:
            body = {"error": -14002, "error_name": "Invalid appId", "error_description": "app id or secret is invalid"}
            return web.json_response(body)
        if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != self.refresh_token:
            body = {
                "error": REUSED_REFRESH_TOKEN_ERROR,
                "error_name": "Invalid refresh token",
                "error_description": "refresh token is invalid or already used",
            }
            return web.json_response(body)
        # Rotation: the old pair dies with the refresh.
        self._tokens.pop(self.access_token, None)
        self.access_token, self.refresh_token = secrets.token_hex(8), secrets.token_hex(8)
        self._tokens[self.access_token] = self.now() + ACCESS_TOKEN_LIFETIME_S
        self.refreshes += 1
        return web.json_response(
            {
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
                "expires_in": str(ACCESS_TOKEN_LIFETIME_S),
            }
        )

    async def _legacy(self, request: web.Request) -> web.Response:
        return self._answer(-240, "MessageV2 API has been shut down, please switch to MessageV3")


def _valid_button_template(message: dict[str, Any]) -> bool:
    """Whether ``message`` is a text with a well-formed button template."""
    attachment = message["attachment"]
    if "text" not in message or not isinstance(attachment, dict) or attachment.get("type") != "template":
        return False
    payload = attachment.get("payload")
    buttons = payload.get("buttons") if isinstance(payload, dict) else None
    if not isinstance(buttons, list) or not 0 < len(buttons) <= BUTTON_LIMIT:
        return False
    return all(isinstance(button, dict) and _valid_button(button) for button in buttons)


def _valid_button(button: dict[str, Any]) -> bool:
    title, kind, payload = button.get("title"), button.get("type"), button.get("payload")
    if not isinstance(title, str) or not 0 < len(title) <= BUTTON_TITLE_LIMIT:
        return False
    if kind in QUERY_BUTTONS:
        return isinstance(payload, str) and 0 < len(payload) <= QUERY_PAYLOAD_LIMIT
    keys = OBJECT_PAYLOAD_KEYS.get(str(kind))
    return (
        keys is not None
        and isinstance(payload, dict)
        and all(isinstance(payload.get(k), str) and payload[k] for k in keys)
    )
