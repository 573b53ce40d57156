"""Sessions, CSRF tokens and login throttling of the console.

A session is a cookie holding the username, the user's generation (:class:`~bot.console.User`)
and when it expires, signed with HMAC-SHA256: the server keeps no session table, and a cookie
changed by hand (another name, a later expiry) fails the signature. The key is
``WARDBOT_CONSOLE_SECRET`` or one generated once into the data directory
(:func:`bot.storage.key_file`), so sessions survive a restart; changing it logs everyone out.

A CSRF token is the HMAC of a random nonce kept in a cookie of its own (HttpOnly, SameSite=Strict),
given to every visitor, the login page included: a form posted from another site carries neither
the cookie nor a token that matches it. The nonce is replaced at login and logout.

Logins are throttled per username and per client address with :class:`bot._limits.Lockout`:
after ``USER_FAILURES`` (or ``CLIENT_FAILURES``) wrong passwords a few minutes apart, the name (or
address) is refused for ``LOCK_S`` seconds, even with the right password.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import secrets

from .._limits import Lockout, client_key
from ..storage import Clock

SESSION_COOKIE = "wardbot_console"
CSRF_COOKIE = "wardbot_console_csrf"
CSRF_FIELD = "csrf_token"  # the hidden input of every form
CSRF_HEADER = "X-CSRF-Token"  # the same token from a script (htmx sends it as a header)

# Five wrong passwords for one name, a few minutes apart at most, lock it for 15 minutes; an
# address gets more, since a ward office's officials share one, and a typo is not an attack.
USER_FAILURES = 5
CLIENT_FAILURES = 10
LOCK_S = 15 * 60


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclasses.dataclass(frozen=True, slots=True)
class Session:
    username: str
    generation: int
    expires: dt.datetime


class Signer:
    """Signs sessions and derives CSRF tokens with one secret, a separate key for each use."""

    def __init__(self, secret: bytes) -> None:
        if not secret:
            raise ValueError("the console needs a secret")
        self._session_key = hmac.new(secret, b"wardbot console session", hashlib.sha256).digest()
        self._csrf_key = hmac.new(secret, b"wardbot console csrf", hashlib.sha256).digest()

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._session_key, payload, hashlib.sha256).digest()

    def sign(self, session: Session) -> str:
        """The cookie value: the session as JSON and its signature."""
        fields = {"u": session.username, "g": session.generation, "e": int(session.expires.timestamp())}
        payload = json.dumps(fields, separators=(",", ":")).encode()
        return f"{_b64(payload)}.{_b64(self._mac(payload))}"

    def read(self, value: str, now: dt.datetime) -> Session | None:
        """The session a cookie holds if its signature is right and it has not expired, else None."""
        try:
            payload_text, mac_text = value.split(".")
            payload, mac = _unb64(payload_text), _unb64(mac_text)
        except (ValueError, binascii.Error):
            return None
        if not hmac.compare_digest(mac, self._mac(payload)):
            return None
        try:
            fields = json.loads(payload)
            session = Session(str(fields["u"]), int(fields["g"]), dt.datetime.fromtimestamp(int(fields["e"]), dt.UTC))
        except (ValueError, KeyError, TypeError):
            return None
        return session if session.expires > now else None

    def csrf_token(self, nonce: str) -> str:
        return _b64(hmac.new(self._csrf_key, nonce.encode(), hashlib.sha256).digest())

    def csrf_valid(self, nonce: str, token: str) -> bool:
        return bool(nonce) and hmac.compare_digest(token.encode(), self.csrf_token(nonce).encode())


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


class LoginThrottle:
    """Wrong passwords counted per username and per client address."""

    def __init__(self, clock: Clock) -> None:
        seconds = lambda: clock().timestamp()  # noqa: E731 - the lockouts count on the console's clock
        self._users = Lockout(USER_FAILURES, LOCK_S, clock=seconds)
        self._clients = Lockout(CLIENT_FAILURES, LOCK_S, clock=seconds)

    @staticmethod
    def _keys(username: str, address: str | None) -> tuple[str, str]:
        return username.strip().lower(), client_key(address)

    def locked_for(self, username: str, address: str | None) -> float:
        """Seconds until this name from this address may try again; 0.0 when it may now."""
        user, client = self._keys(username, address)
        return max(self._users.locked_for(user), self._clients.locked_for(client))

    def fail(self, username: str, address: str | None) -> bool:
        """Count a wrong password; True when it locks the name or the address out."""
        user, client = self._keys(username, address)
        return self._users.fail(user) | self._clients.fail(client)

    def succeed(self, username: str, address: str | None) -> None:
        user, client = self._keys(username, address)
        self._users.succeed(user)
        self._clients.succeed(client)
