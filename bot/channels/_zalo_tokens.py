"""Zalo OA access tokens: refreshed with the rotating refresh token, never lost.

Zalo's OAuth v4 for Official Accounts (developers.zalo.me; zaloplatform/zalo-java-sdk's
GetAccessTokenByRefreshToken): an access token lives 25 h (``expires_in`` "90000"); a refresh token
lives 3 months and is single-use, and each refresh returns a new pair and kills the old refresh
token. Losing the new refresh token means an OA admin must consent again in a browser, so the new
pair is written to the data directory atomically (temporary file, fsync, ``os.replace``) *before* it
is used. Only one refresh runs at a time: concurrent senders wait for it and share its result.

The first start takes the tokens from the environment; afterwards the stored pair wins.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from wardbot_errors import WardbotError

log = logging.getLogger(__name__)

TOKEN_PATH = "/v4/oa/access_token"
# Refresh this long before the access token expires: at about 20 h of its 25 h, as integrators of
# the OA API advise, so that a slow or failed refresh still has hours to spare.
REFRESH_MARGIN_S = 5 * 3600.0
REFRESH_TIMEOUT_S = 30.0


class TokenRefreshError(WardbotError):
    """Zalo refused to refresh (a reused or expired refresh token, a wrong app secret): a person
    must mint a new pair in the Zalo developer console."""


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_at: float | None  # time.time(); None when unknown (a token from the environment)


class ZaloTokens:
    """Hands out a valid access token and refreshes it, one refresh at a time.

    ``store_path`` is the JSON file in the data directory that keeps the latest pair.
    """

    def __init__(
        self,
        *,
        app_id: str,
        app_secret: str,
        access_token: str,
        refresh_token: str,
        oauth_url: str,
        store_path: Path,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._app_id = app_id
        self._app_secret = app_secret
        self._url = oauth_url.rstrip("/") + TOKEN_PATH
        self._store_path = store_path
        self._clock = clock
        self._lock = asyncio.Lock()
        stored = self._load()
        self._pair = stored or TokenPair(access_token, refresh_token, None)

    @property
    def pair(self) -> TokenPair:
        return self._pair

    def _load(self) -> TokenPair | None:
        try:
            data = json.loads(self._store_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        log.info("using the Zalo tokens stored in %s", self._store_path)
        return TokenPair(data["access_token"], data["refresh_token"], data.get("expires_at"))

    async def current(self, session: aiohttp.ClientSession) -> str:
        """A usable access token: the current one, or a fresh one when it expires soon."""
        pair = self._pair
        due = pair.expires_at is not None and pair.expires_at - REFRESH_MARGIN_S <= self._clock()
        if due or not pair.access_token:
            return await self.refresh(session, stale=pair.access_token)
        return pair.access_token

    async def refresh(self, session: aiohttp.ClientSession, *, stale: str) -> str:
        """Refresh unless another caller already replaced ``stale`` (the token that failed or
        expired) while this one waited for the lock; the access token to use either way."""
        async with self._lock:
            if self._pair.access_token != stale:
                return self._pair.access_token
            if not (self._pair.refresh_token and self._app_secret):
                raise TokenRefreshError("no Zalo refresh token or app secret to refresh the access token with")
            pair = await self._request(session, self._pair.refresh_token)
            # Persisted before anything uses it: the old refresh token is already dead.
            await asyncio.to_thread(self._persist, pair)
            self._pair = pair
            log.info("Zalo access token refreshed; valid for %.0f h", ((pair.expires_at or 0) - self._clock()) / 3600)
            return pair.access_token

    async def _request(self, session: aiohttp.ClientSession, refresh_token: str) -> TokenPair:
        form = {"refresh_token": refresh_token, "app_id": self._app_id, "grant_type": "refresh_token"}
        try:
            async with session.post(
                self._url,
                data=form,
                headers={"secret_key": self._app_secret},  # OAuth v4: the app secret travels in a header
                timeout=aiohttp.ClientTimeout(total=REFRESH_TIMEOUT_S),
            ) as response:
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise TokenRefreshError(f"Zalo token refresh failed: {error!r}") from error
        if not isinstance(body, dict) or not body.get("access_token") or not body.get("refresh_token"):
            # OAuth errors are a -14xxx family; none is documented for a reused refresh token.
            raise TokenRefreshError(f"Zalo refused the token refresh: {body!r}")
        expires_in = float(body.get("expires_in") or 0)  # a string of seconds, e.g. "90000"
        return TokenPair(body["access_token"], body["refresh_token"], self._clock() + expires_in)

    def _persist(self, pair: TokenPair) -> None:
        """Write the pair atomically: a crash leaves either the old file or the new one."""
        path = self._store_path
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        data = {"access_token": pair.access_token, "refresh_token": pair.refresh_token, "expires_at": pair.expires_at}
        with open(temporary, "w", encoding="utf-8") as file:
            json.dump(data, file)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o600)  # secrets
        os.replace(temporary, path)
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)  # makes the rename itself durable
        finally:
            os.close(directory)
