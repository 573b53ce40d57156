"""The web chat: a page citizens open in a browser (or in a widget on the ward's website), and the
small JSON API behind it.

The browser posts a message and gets 202 at once; replies are produced later by the pipeline
calling :meth:`WebChannel.send`, which queues them per session, and the browser fetches them by
long polling (``GET /api/messages?session=…&after=N``). Long polling rather than WebSockets or
Server-Sent Events: plain request/response passes every proxy, and a lost connection costs
nothing but the next poll, which resumes from the last sequence number the browser saw.

A session is a random id the page keeps in localStorage; it is both the chat id and the user id.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import importlib.resources
import json
import logging
import re
import time
import uuid
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from handlers import IncomingMessage, Reply, catalogue, plain_text, text_spans

from ._base import Channel, Dispatch, finish_dispatches

log = logging.getLogger(__name__)

SESSION_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
MESSAGE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_BODY_BYTES = 32 * 1024
# Telegram's limit for callback data; our handlers stay within it on every channel.
MAX_CALLBACK_BYTES = 64

STATIC_FILES = {
    # URL path: (file in web_static, content type)
    "/static/index.css": ("index.css", "text/css; charset=utf-8"),
    "/static/index.js": ("index.js", "text/javascript; charset=utf-8"),
    "/widget.js": ("widget.js", "text/javascript; charset=utf-8"),
}


@dataclass(eq=False)
class _Session:
    replies: deque[dict[str, Any]]  # rendered replies, each with its "seq"
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
    """

    name = "web"

    def __init__(
        self,
        *,
        title: str = catalogue.WEB_TITLE,
        max_text_chars: int = 2000,
        queue_size: int = 50,
        session_ttl_s: float = 3600.0,
        max_sessions: int = 10_000,
        max_in_flight: int = 3,
        poll_timeout_s: float = 25.0,
        frame_ancestors: str = "*",
    ) -> None:
        self._max_text_chars = max_text_chars
        self._queue_size = queue_size
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
        page = _fill_page((static / "index.html").read_text(encoding="utf-8"), title, max_text_chars)
        self._assets = {"/": _asset(page.encode("utf-8"), "text/html; charset=utf-8")}
        for path, (filename, content_type) in STATIC_FILES.items():
            body = _fill_static((static / filename).read_text(encoding="utf-8"))
            self._assets[path] = _asset(body.encode("utf-8"), content_type)
        self._sessions: OrderedDict[str, _Session] = OrderedDict()
        self._dispatch: Dispatch | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._last_seq = 0

    def routes(self) -> list[web.RouteDef]:
        """The routes to add to the bot's :class:`~bot._http.HttpServer` before it starts."""
        return [
            *(web.get(path, self._serve_asset) for path in self._assets),
            web.post("/api/messages", self._post_message),
            web.get("/api/messages", self._poll_replies),
        ]

    async def start(self, dispatch: Dispatch) -> None:
        self._dispatch = dispatch

    async def stop(self) -> None:
        """Refuse new messages, release every waiting poll, let running turns finish briefly."""
        self._dispatch = None
        for session in self._sessions.values():
            session.wake()
        await finish_dispatches(self._tasks, self.name, grace_s=5.0)

    async def send(self, chat_id: str, reply: Reply) -> None:
        """Queue a reply for the browser. Never fails: a closed browser gets it on its next poll,
        as long as the session is kept (``session_ttl_s``, ``queue_size`` newest replies)."""
        session = self._session(chat_id)
        # Sequence numbers grow with the clock, so they keep growing across a restart and a
        # browser polling with an old cursor still gets the replies of the new process.
        self._last_seq = max(self._last_seq + 1, time.time_ns() // 1000)
        session.replies.append({"seq": self._last_seq, **_render(reply)})
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
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return _error(413, "bad_request")
        raw = await request.read()
        if len(raw) > MAX_BODY_BYTES:  # a chunked body has no Content-Length to check first
            return _error(413, "bad_request")
        try:
            body = json.loads(raw)
        except ValueError:
            return _error(400, "bad_request")
        if not isinstance(body, dict):
            return _error(400, "bad_request")
        session_id, text = body.get("session"), body.get("text", "")
        callback_data, message_id = body.get("callback_data", ""), body.get("message_id") or uuid.uuid4().hex
        if not isinstance(session_id, str) or not SESSION_ID.fullmatch(session_id):
            return _error(400, "bad_session")
        if not (
            isinstance(text, str)
            and isinstance(callback_data, str)
            and len(callback_data.encode("utf-8")) <= MAX_CALLBACK_BYTES
            and isinstance(message_id, str)
            and MESSAGE_ID.fullmatch(message_id)
        ):
            return _error(400, "bad_request")
        text = text.strip()
        if not text and not callback_data:
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
        )
        session.in_flight += 1
        task = asyncio.create_task(self._run_dispatch(self._dispatch, message, session))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return web.json_response({"accepted": True, "message_id": message_id}, status=202)

    async def _poll_replies(self, request: web.Request) -> web.Response:
        session_id = request.query.get("session", "")
        if not SESSION_ID.fullmatch(session_id):
            return _error(400, "bad_session")
        try:
            after = int(request.query.get("after", "0"))
        except ValueError:
            return _error(400, "bad_request")
        if self._dispatch is None:
            # Not running: tell the page to back off rather than let it poll in a tight loop.
            return _error(503, "unavailable")
        session = self._session(session_id)
        replies = _newer(session, after)
        if not replies:
            try:
                await asyncio.wait_for(session.arrived.wait(), self._poll_timeout_s)
            except TimeoutError:
                pass
            replies = _newer(session, after)
        return web.json_response({"replies": replies})

    # --- internals -----------------------------------------------------------------------------

    async def _run_dispatch(self, dispatch: Dispatch, message: IncomingMessage, session: _Session) -> None:
        try:
            await dispatch(message)
        except Exception:
            # The pipeline records messages before handling them, so a failed turn is retried
            # from its log; here it must only not take the server down.
            log.exception("dispatch failed for web message %s", message.message_id)
        finally:
            session.in_flight -= 1

    def _session(self, session_id: str) -> _Session:
        """The session, created if new, marked as active; idle and excess sessions are dropped."""
        now = time.monotonic()
        session = self._sessions.get(session_id)
        if session is None:
            session = _Session(replies=deque(maxlen=self._queue_size), last_active=now)
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


def _fill_page(template: str, title: str, max_text_chars: int) -> str:
    """index.html with each ``{{field}}`` filled: the title, the length limit and the catalogue's
    words for the page (HTML-escaped), and, as ``page_text``, those words again as the JSON that
    index.js reads. An unknown field fails here, at start-up."""
    words = json.dumps(catalogue.WEB_PAGE, ensure_ascii=False).replace("<", "\\u003c")  # no "</script>"
    fields = {key: html.escape(value) for key, value in catalogue.WEB_PAGE.items()}
    fields |= {"title": html.escape(title), "max_text_chars": str(max_text_chars), "page_text": words}
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


def _newer(session: _Session, after: int) -> list[dict[str, Any]]:
    return [reply for reply in session.replies if reply["seq"] > after]


def _error(status: int, code: str, **values: object) -> web.Response:
    return web.json_response({"error": code, "message": catalogue.WEB_ERRORS[code].format(**values)}, status=status)
