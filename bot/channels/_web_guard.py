"""What the web chat's API refuses before it does any work for a request: posts from other sites,
messages not sent as JSON, and clients that ask too often.

Other sites: a page elsewhere can make a visitor's browser POST to the API without asking
(a form, or ``fetch`` with a "simple" content type such as ``text/plain``), so a message must come
as ``application/json``, which a browser sends cross-site only after a CORS preflight the bot never
grants (415 otherwise), and a browser's ``Origin``, when it sends one, must be the bot's own (its
``Host``) or one of ``allowed_origins`` (403 otherwise). ``Sec-Fetch-Site: same-origin``, which
only the browser can set, also vouches for the page when a reverse proxy rewrote ``Host``. See
https://developer.mozilla.org/docs/Web/HTTP/CORS#simple_requests and
https://developer.mozilla.org/docs/Web/HTTP/Headers/Sec-Fetch-Site.

Too often: token buckets (:mod:`bot._limits`) per client address for messages, photos, polls and
new sessions, and per session for messages and photos (:class:`WebLimits`). A refusal is 429 with
``Retry-After``. Every request counts for its address, refused ones too: they cost the server as
much. Many citizens may share an address (a mobile carrier's NAT, the ward's own Wi-Fi), so the
address limits are generous and the session limits strict.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import web

from .._limits import MAX_KEYS, Rate, RateLimiter, client_key, remember_recent, retry_after


@dataclass(frozen=True)
class WebLimits:
    """Each kind of request's token bucket: ``burst`` at once, then ``per_s`` a second."""

    # Messages (typed or a button) from one address, and from one session: a citizen sends one
    # every few seconds at most.
    messages_per_ip: Rate = Rate(burst=60, per_s=1.0)
    messages_per_session: Rate = Rate(burst=10, per_s=1 / 3)
    # Photos: each is received, decoded and re-encoded; a report has one.
    photos_per_ip: Rate = Rate(burst=10, per_s=1 / 30)
    photos_per_session: Rate = Rate(burst=3, per_s=1 / 60)
    # Polls: an open page polls again at once after each reply, else every poll timeout (25 s).
    polls_per_ip: Rate = Rate(burst=120, per_s=4.0)
    # Sessions an address has not used before: each page opened by a new visitor is one.
    sessions_per_ip: Rate = Rate(burst=30, per_s=1 / 30)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request is refused: its HTTP status, the ``WEB_ERRORS`` code of its message, and for
    429 the seconds to wait."""

    status: int
    code: str
    retry_after: int = 0


# The kinds of request the guard knows; photos and messages are POSTs.
MESSAGE, PHOTO, POLL = "message", "photo", "poll"


class WebGuard:
    """Checks each API request before its handler does any work: :meth:`admit` with the request
    alone, then :meth:`admit_session` once the session id is known and valid."""

    def __init__(
        self,
        *,
        allowed_origins: Collection[str] = (),
        limits: WebLimits = WebLimits(),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._allowed_origins = frozenset(_origin(origin) for origin in allowed_origins)
        self._per_ip = {
            MESSAGE: RateLimiter(limits.messages_per_ip, clock=clock),
            PHOTO: RateLimiter(limits.photos_per_ip, clock=clock),
            POLL: RateLimiter(limits.polls_per_ip, clock=clock),
        }
        self._per_session = {
            MESSAGE: RateLimiter(limits.messages_per_session, clock=clock),
            PHOTO: RateLimiter(limits.photos_per_session, clock=clock),
        }
        self._new_sessions = RateLimiter(limits.sessions_per_ip, clock=clock)
        # Sessions seen, the least recent first; one forgotten is new again if it comes back.
        self._known: dict[str, None] = {}

    def admit(self, request: web.Request, kind: str) -> Refusal | None:
        """A POST from another site, a message not sent as JSON, or an address over its limit for
        ``kind`` is refused; else None."""
        if kind != POLL and not self._same_site(request):
            return Refusal(403, "bad_origin")
        if kind == MESSAGE and request.content_type != "application/json":
            return Refusal(415, "bad_request")
        return _over(self._per_ip[kind].take(client_key(request.remote)))

    def admit_session(self, request: web.Request, kind: str, session_id: str) -> Refusal | None:
        """A session new to the bot from an address that opened too many, or a session over its
        own limit for ``kind``, is refused; else None."""
        if session_id not in self._known and (refusal := _over(self._new_sessions.take(client_key(request.remote)))):
            return refusal
        remember_recent(self._known, session_id, None, MAX_KEYS)
        limiter = self._per_session.get(kind)
        return _over(limiter.take(session_id)) if limiter is not None else None

    def _same_site(self, request: web.Request) -> bool:
        origin = request.headers.get("Origin")
        if origin is None or request.headers.get("Sec-Fetch-Site") == "same-origin":
            return True
        origin = _origin(origin)
        return origin in self._allowed_origins or urlsplit(origin).netloc == request.host.lower()


def _origin(origin: str) -> str:
    """An origin as browsers compare them: scheme and host in lower case, no trailing slash."""
    return origin.strip().rstrip("/").lower()


def _over(wait: float) -> Refusal | None:
    return Refusal(429, "slow_down", retry_after(wait)) if wait else None
