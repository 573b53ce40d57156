"""The web chat: a page citizens open in a browser (or in a widget on the ward's website), and the
small JSON API behind it.

The browser posts a message and gets 202 once the message is recorded; replies are produced
later and kept in the application's durable mailbox (numbered, per session): the pipeline posts
its replies there itself (``fetches_replies``), other senders (an official's answer) call
:meth:`WebChannel.send`. The browser fetches them by long polling
(``GET /api/messages?session=…&after=N``). A poll's ``after`` acknowledges every reply up to N:
the browser has them. Replies survive a restart, and a browser that lost a response asks again
from the last number it saw. Long polling rather than WebSockets or Server-Sent Events: plain
request/response passes every proxy, and a lost connection costs nothing but the next poll.

A session is a random id the page keeps in localStorage; it is both the chat id and the user id.

The page can also send a photo (``POST /api/photos``, the file as the body) and the browser's
location (``"location": [latitude, longitude]`` in a message). A photo is checked by its content,
never its name or type: it must decode as JPEG, PNG, WebP or GIF within the size and pixel limits,
and it is re-encoded as a JPEG without its metadata (EXIF, GPS) before it is stored in the uploads
folder, named by its SHA-256. The message carries ``web-photo:<sha256>.jpg`` as its attachment;
:func:`stored_photo` turns that back into the file for the officials' tools.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import html
import importlib.resources
import json
import logging
import re
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from handlers import IncomingMessage, Reply, catalogue, plain_text, text_spans

from ._base import Channel, DeliveryError, Dispatch, Mailbox
from ._payloads import MAX_TEXT_CHARS, has_lone_surrogate, load_json
from ._photos import MAX_PHOTO_PIXELS, PhotoRejected, reencode_photo, store_photo
from ._web_guard import MESSAGE, PHOTO, POLL, Refusal, WebGuard, WebLimits

log = logging.getLogger(__name__)

SESSION_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
MESSAGE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_BODY_BYTES = 32 * 1024
# Telegram's limit for callback data; our handlers stay within it on every channel.
MAX_CALLBACK_BYTES = 64

# Photo uploads (the photos themselves: _photos.py): the largest body, how many at once.
MAX_PHOTO_BYTES = 10 * 1024 * 1024  # a phone camera's JPEG is 2-8 MB
PHOTO_DECODES = 2  # photos decoded at once: each may take a few hundred MB for a moment
MAX_PHOTO_UPLOADS = 16  # uploads received at once (each held in memory, up to the size limit)

STATIC_FILES = {
    # URL path: (file in web_static, content type)
    "/static/index.css": ("index.css", "text/css; charset=utf-8"),
    "/static/index.js": ("index.js", "text/javascript; charset=utf-8"),
    "/widget.js": ("widget.js", "text/javascript; charset=utf-8"),
}


@dataclass(eq=False)
class _Session:
    last_active: float
    in_flight: int = 0
    # Set (and replaced) whenever a reply arrives, waking this session's long polls.
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def wake(self) -> None:
        """Release the polls waiting now; later polls wait for the next reply."""
        self.arrived.set()
        self.arrived = asyncio.Event()


@dataclass(frozen=True, slots=True)
class _Asset:
    body: bytes
    content_type: str
    etag: str


def _asset(body: bytes, content_type: str) -> _Asset:
    return _Asset(body, content_type, '"' + hashlib.sha256(body).hexdigest()[:16] + '"')


class WebChannel(Channel):
    """Serves the chat page, the widget script and the message API; see :meth:`routes`.

    ``title`` names the chat on the page (the ward's name, say). ``frame_ancestors`` is the CSP
    list of sites allowed to embed the page as a widget ("*" for any, "'none'" for none).
    ``uploads`` is the folder photos are stored in; without it the page offers no photo button.
    ``allowed_origins`` are the sites besides the bot's own whose pages may post to the API, and
    ``limits`` how often one address or session may ask (:mod:`bot.channels._web_guard`), on
    ``clock``.
    """

    name = "web"
    fetches_replies = True

    def __init__(
        self,
        *,
        title: str = catalogue.WEB_TITLE,
        max_text_chars: int = MAX_TEXT_CHARS,
        replies_per_poll: int = 50,
        session_ttl_s: float = 3600.0,
        max_sessions: int = 10_000,
        max_in_flight: int = 3,
        poll_timeout_s: float = 25.0,
        frame_ancestors: str = "*",
        uploads: Path | None = None,
        max_photo_bytes: int = MAX_PHOTO_BYTES,
        max_photo_pixels: int = MAX_PHOTO_PIXELS,
        allowed_origins: Collection[str] = (),
        limits: WebLimits = WebLimits(),  # noqa: B008 - frozen, so one shared instance is safe
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._guard = WebGuard(allowed_origins=allowed_origins, limits=limits, clock=clock)
        self._uploads = uploads
        self._max_photo_bytes = max_photo_bytes
        self._max_photo_pixels = max_photo_pixels
        self._decoding = asyncio.Semaphore(PHOTO_DECODES)
        self._receiving = 0  # photo uploads being received or checked now
        self._max_text_chars = max_text_chars
        self._replies_per_poll = replies_per_poll
        self._session_ttl_s = session_ttl_s
        self._max_sessions = max_sessions
        self._max_in_flight = max_in_flight
        self._poll_timeout_s = poll_timeout_s
        self._page_headers = {
            "Content-Security-Policy": (
                "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
                f"frame-ancestors {frame_ancestors}"
            ),
            "Referrer-Policy": "no-referrer",
        }
        static = importlib.resources.files(__package__) / "web_static"
        page = _fill_page(
            (static / "index.html").read_text(encoding="utf-8"),
            title,
            max_text_chars,
            max_photo_bytes=max_photo_bytes if uploads is not None else 0,
        )
        self._assets = {"/": _asset(page.encode("utf-8"), "text/html; charset=utf-8")}
        for path, (filename, content_type) in STATIC_FILES.items():
            body = _fill_static((static / filename).read_text(encoding="utf-8"))
            self._assets[path] = _asset(body.encode("utf-8"), content_type)
        self._sessions: OrderedDict[str, _Session] = OrderedDict()
        self._dispatch: Dispatch | None = None
        self._mailbox: Mailbox | None = None

    def routes(self) -> list[web.RouteDef]:
        """The routes to add to the bot's :class:`~bot._http.HttpServer` before it starts."""
        photos = [web.post("/api/photos", self._post_photo)] if self._uploads is not None else []
        return [
            *(web.get(path, self._serve_asset) for path in self._assets),
            web.post("/api/messages", self._post_message),
            web.get("/api/messages", self._poll_replies),
            *photos,
        ]

    async def start(self, dispatch: Dispatch) -> None:
        """Serve the API; ``dispatch`` must carry the durable ``mailbox`` replies wait in (the
        application's pipeline does)."""
        mailbox = getattr(dispatch, "mailbox", None)
        if not isinstance(mailbox, Mailbox):
            raise TypeError("the web chat needs a dispatch with a durable mailbox (the application's Pipeline)")
        self._dispatch, self._mailbox = dispatch, mailbox

    async def stop(self) -> None:
        """Refuse new messages and release every waiting poll; replies stay in the mailbox."""
        self._dispatch = self._mailbox = None
        for session in self._sessions.values():
            session.wake()

    async def send(self, chat_id: str, reply: Reply) -> None:
        """Keep a reply in the mailbox for the browser: a closed browser gets it on its next
        poll, after a restart too."""
        if self._mailbox is None:
            raise DeliveryError("the web chat is stopped", retryable=True)
        await self._mailbox.post(chat_id, reply)
        self.posted(chat_id)

    def posted(self, chat_id: str) -> None:
        """Wake the session's waiting polls: replies are in the mailbox."""
        if (session := self._sessions.get(chat_id)) is not None:
            session.wake()

    # --- HTTP handlers -------------------------------------------------------------------------

    async def _serve_asset(self, request: web.Request) -> web.Response:
        asset = self._assets[request.path]
        headers = {"ETag": asset.etag, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
        if request.path == "/":
            headers |= self._page_headers
        else:
            # The widget script is loaded by the ward's website, a different origin.
            headers["Cross-Origin-Resource-Policy"] = "cross-origin"
        if request.headers.get("If-None-Match") == asset.etag:
            return web.Response(status=304, headers=headers)
        return web.Response(body=asset.body, headers=headers | {"Content-Type": asset.content_type})

    async def _post_message(self, request: web.Request) -> web.Response:
        if self._dispatch is None:
            return _error(503, "unavailable")
        if refusal := self._guard.admit(request, MESSAGE):
            return _refused(refusal)
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return _error(413, "bad_request")
        raw = await request.read()
        if len(raw) > MAX_BODY_BYTES:  # a chunked body has no Content-Length to check first
            return _error(413, "bad_request")
        try:
            body = load_json(raw)
        except ValueError:
            return _error(400, "bad_request")
        if not isinstance(body, dict):
            return _error(400, "bad_request")
        session_id, text = body.get("session"), body.get("text", "")
        callback_data, message_id = body.get("callback_data", ""), body.get("message_id") or uuid.uuid4().hex
        if not isinstance(session_id, str) or not SESSION_ID.fullmatch(session_id):
            return _error(400, "bad_session")
        if refusal := self._guard.admit_session(request, MESSAGE, session_id):
            return _refused(refusal)
        if not (
            isinstance(text, str)
            and isinstance(callback_data, str)
            # Half an emoji cannot be stored: refused here rather than lost after the 202.
            and not has_lone_surrogate(text)
            and not has_lone_surrogate(callback_data)
            and len(callback_data.encode("utf-8")) <= MAX_CALLBACK_BYTES
            and isinstance(message_id, str)
            and MESSAGE_ID.fullmatch(message_id)
        ):
            return _error(400, "bad_request")
        location = body.get("location")
        if location is not None and (location := _location(location)) is None:
            return _error(400, "bad_request")
        text = text.strip()
        if not text and not callback_data and location is None:
            return _error(400, "empty_text")
        if len(text) > self._max_text_chars:
            return _error(400, "text_too_long", limit=self._max_text_chars)
        session = self._session(session_id)
        if session.in_flight >= self._max_in_flight:
            return _error(429, "too_many")
        message = IncomingMessage(
            channel=self.name,
            chat_id=session_id,
            user_id=session_id,
            text=text,
            message_id=message_id,
            callback_data=callback_data,
            location=location,
        )
        return await self._accept(self._dispatch, message, session)

    async def _post_photo(self, request: web.Request) -> web.Response:
        """``POST /api/photos?session=…&message_id=…`` with the file as the body: checked,
        re-encoded, stored, then dispatched as a message whose attachment names it."""
        if self._dispatch is None or self._uploads is None:
            return _error(503, "unavailable")
        session_id = request.query.get("session", "")
        message_id = request.query.get("message_id") or uuid.uuid4().hex
        if not SESSION_ID.fullmatch(session_id):
            return _error(400, "bad_session")
        if not MESSAGE_ID.fullmatch(message_id):
            return _error(400, "bad_request")
        if refusal := self._guard.admit(request, PHOTO) or self._guard.admit_session(request, PHOTO, session_id):
            return _refused(refusal)
        limit_mb = _megabytes(self._max_photo_bytes)
        if (request.content_length or 0) > self._max_photo_bytes:
            return _error(413, "photo_too_big", limit=limit_mb)
        session = self._session(session_id)
        # Uploads held in memory at once: a few per session, a bounded number in all.
        if session.in_flight >= self._max_in_flight or self._receiving >= MAX_PHOTO_UPLOADS:
            return _error(429, "too_many")
        session.in_flight += 1
        self._receiving += 1
        try:
            raw = bytearray()
            async for chunk in request.content.iter_chunked(64 * 1024):
                raw += chunk
                if len(raw) > self._max_photo_bytes:  # a chunked body has no Content-Length to check first
                    return _error(413, "photo_too_big", limit=limit_mb)
            async with self._decoding:
                photo = await asyncio.to_thread(reencode_photo, bytes(raw), max_pixels=self._max_photo_pixels)
            attachment = await asyncio.to_thread(store_photo, self._uploads, photo)
        except PhotoRejected as rejected:
            return _error(413 if rejected.code == "photo_too_large" else 415, rejected.code)
        finally:
            session.in_flight -= 1
            self._receiving -= 1
        if self._dispatch is None:  # stopped while the photo was being checked
            return _error(503, "unavailable")
        message = IncomingMessage(
            channel=self.name, chat_id=session_id, user_id=session_id, message_id=message_id, attachment=attachment
        )
        return await self._accept(self._dispatch, message, self._session(session_id))

    async def _poll_replies(self, request: web.Request) -> web.Response:
        session_id = request.query.get("session", "")
        if not SESSION_ID.fullmatch(session_id):
            return _error(400, "bad_session")
        if refusal := self._guard.admit(request, POLL) or self._guard.admit_session(request, POLL, session_id):
            return _refused(refusal)
        try:
            after = int(request.query.get("after", "0"))
        except ValueError:
            return _error(400, "bad_request")
        mailbox = self._mailbox
        if mailbox is None:
            # Not running: tell the page to back off rather than let it poll in a tight loop.
            return _error(503, "unavailable")
        session = self._session(session_id)
        arrived = session.arrived  # taken before reading: a reply posted meanwhile wakes it
        if after > 0:
            await mailbox.acknowledge(session_id, after)  # the browser has every reply up to it
        replies = await mailbox.replies_after(session_id, after, limit=self._replies_per_poll)
        if not replies:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(arrived.wait(), self._poll_timeout_s)
            if self._mailbox is not None:
                replies = await mailbox.replies_after(session_id, after, limit=self._replies_per_poll)
        return web.json_response({"replies": [{"seq": seq, **_render(reply)} for seq, reply in replies]})

    # --- internals -----------------------------------------------------------------------------

    async def _accept(self, dispatch: Dispatch, message: IncomingMessage, session: _Session) -> web.Response:
        """Record ``message`` through the pipeline and answer 202 once it is recorded; the
        session's slot is taken until its turn is over."""
        session.in_flight += 1
        try:
            turn = await dispatch(message)
        except Exception:
            session.in_flight -= 1
            # Not recorded: the page keeps the message and sends it again (same message id).
            log.exception("could not record web message %s", message.message_id)
            return _error(503, "unavailable")
        turn.add_done_callback(lambda _: self._release(session))
        return web.json_response({"accepted": True, "message_id": message.message_id}, status=202)

    @staticmethod
    def _release(session: _Session) -> None:
        session.in_flight -= 1

    def _session(self, session_id: str) -> _Session:
        """The session, created if new, marked as active; idle and excess sessions are dropped."""
        now = time.monotonic()
        session = self._sessions.get(session_id)
        if session is None:
            session = _Session(last_active=now)
            self._sessions[session_id] = session
        session.last_active = now
        self._sessions.move_to_end(session_id)
        # The dict is ordered by activity, so the stale ones are at the front.
        while self._sessions:
            oldest = next(iter(self._sessions.values()))
            if len(self._sessions) <= self._max_sessions and now - oldest.last_active <= self._session_ttl_s:
                break
            self._sessions.popitem(last=False)
        return session


def _fill_page(template: str, title: str, max_text_chars: int, *, max_photo_bytes: int = 0) -> str:
    """index.html with each ``{{field}}`` filled: the title, the length limit and the catalogue's
    words for the page (HTML-escaped), and, as ``page_text``, those words again as the JSON that
    index.js reads; the photo size limit and its message (no photos: a limit of 0 and the photo
    button hidden). An unknown field fails here, at start-up."""
    words = json.dumps(catalogue.WEB_PAGE, ensure_ascii=False).replace("<", "\\u003c")  # no "</script>"
    fields = {key: html.escape(value) for key, value in catalogue.WEB_PAGE.items()}
    fields |= {"title": html.escape(title), "max_text_chars": str(max_text_chars), "page_text": words}
    too_big = catalogue.WEB_ERRORS["photo_too_big"].format(limit=_megabytes(max_photo_bytes))
    fields |= {
        "max_photo_bytes": str(max_photo_bytes),
        "photo_too_big": html.escape(too_big),
        "photo_hidden": "" if max_photo_bytes else " hidden",
    }
    return re.sub(r"\{\{(\w+)\}\}", lambda match: fields[match[1]], template)


def _fill_static(source: str) -> str:
    """A static file with each ``"{{field}}"`` string literal (in widget.js: the default title)
    replaced by the catalogue's text, written as JSON."""
    fields = {"default_title": catalogue.WEB_TITLE}
    return re.sub(r'"\{\{(\w+)\}\}"', lambda match: json.dumps(fields[match[1]]), source)


def _render(reply: Reply) -> dict[str, object]:
    rows = [
        [{"label": b.label, "data": b.data} if b.data else {"label": b.label, "url": b.url} for b in row]
        for row in reply.buttons
    ]
    # "text" is plain; "spans" carry the bold parts, which the page draws as elements, never as HTML.
    spans = [{"text": words, "bold": bold} for words, bold in text_spans(reply.text)]
    return {"text": plain_text(reply.text), "spans": spans, "buttons": rows}


def _megabytes(size: int) -> str:
    """A size in MB as Vietnamese write it: "10", "1,5"."""
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0").replace(".", ",")


def _location(value: object) -> tuple[float, float] | None:
    """``[latitude, longitude]`` from the page as a pair of floats, or None when it is not one."""
    if not (isinstance(value, list) and len(value) == 2):
        return None
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        return None
    latitude, longitude = value
    # Compared before float(): an integer too large for a float compares exactly, and NaN never does.
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return float(latitude), float(longitude)


def _refused(refusal: Refusal) -> web.Response:
    response = _error(refusal.status, refusal.code, seconds=refusal.retry_after)
    if refusal.retry_after:
        response.headers["Retry-After"] = str(refusal.retry_after)
    return response


def _error(status: int, code: str, **values: object) -> web.Response:
    return web.json_response({"error": code, "message": catalogue.WEB_ERRORS[code].format(**values)}, status=status)
