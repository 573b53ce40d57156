"""The bot's one HTTP server: every channel that needs HTTP (web chat, Telegram and Zalo webhooks)
adds its routes here, so the whole bot listens on one port and runs on one asyncio loop.

Two routes are built in: ``GET /healthz`` for load balancers and ``GET /metrics`` for Prometheus.
A whole aiohttp application with its own middlewares (the web console) is mounted under a prefix.

Every answer gets the security headers an API needs (:data:`SECURITY_HEADERS`: no type sniffing,
no caching, no referrer) unless its handler set its own, as the web chat's page does, and every
answer but an HTML page a content policy that runs and frames nothing (:data:`API_CONTENT_POLICY`):
a page states its own policy, which only it knows. Behind a reverse proxy, ``trusted_proxies`` names it:
a request from it is attributed to the client its ``X-Forwarded-For`` names, so that limits per
client address (:mod:`bot._limits`) do not lump every citizen together as the proxy.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping

from aiohttp import web
from aiohttp.typedefs import Middleware

log = logging.getLogger(__name__)

# What /healthz adds to its answer (knowledge-base entries and fingerprint, say).
HealthInfo = Callable[[], Mapping[str, object]]
# The Prometheus exposition text /metrics serves.
MetricsText = Callable[[], str]

PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Long-polling requests are woken by their channel's stop(); anything still running after this
# is cancelled, so that stopping the bot never waits for a poll to time out.
SHUTDOWN_TIMEOUT_S = 5.0

# Set on every answer whose handler did not set them: JSON is never sniffed as HTML or cached by
# a shared computer's browser.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}
# The content policy of every answer that is not an HTML page: even opened as a page, it runs no
# script and sits in no frame.
API_CONTENT_POLICY = "default-src 'none'; frame-ancestors 'none'"


class HttpServer:
    """An aiohttp server whose routes are collected before :meth:`start`.

    ``health`` is called on every ``GET /healthz`` and its items are merged into the JSON answer;
    if it raises, the answer is 503 so that a load balancer takes the bot out of rotation.
    ``metrics`` is called on every ``GET /metrics``; without it the answer is empty.
    ``trusted_proxies`` are the addresses of reverse proxies in front of the bot.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        health: HealthInfo | None = None,
        metrics: MetricsText | None = None,
        trusted_proxies: Collection[str] = (),
    ) -> None:
        self._host = host
        self._port = port
        self._health = health
        self._metrics = metrics
        proxies = frozenset(trusted_proxies)
        self._app = web.Application(middlewares=[_client_behind(proxies)] if proxies else [])
        # A signal rather than a middleware: it sees every answer, the router's 404s and 405s too.
        self._app.on_response_prepare.append(_security_headers)
        self._app.add_routes([web.get("/healthz", self._healthz), web.get("/metrics", self._serve_metrics)])
        self._runner: web.AppRunner | None = None
        self._url = ""
        self._started_at = 0.0

    def add_routes(self, routes: Iterable[web.AbstractRouteDef]) -> None:
        """Add routes (``web.get(...)``, ``web.post(...)``); only before :meth:`start`."""
        if self._runner is not None:
            raise RuntimeError("routes must be added before the HTTP server starts")
        self._app.add_routes(list(routes))

    def mount(self, prefix: str, app: web.Application) -> None:
        """Serve ``app`` under ``prefix`` (the web console at ``/console``): its own routes,
        middlewares and 404s, behind this server's proxy handling and security headers; only
        before :meth:`start`."""
        if self._runner is not None:
            raise RuntimeError("applications must be mounted before the HTTP server starts")
        self._app.add_subapp(prefix, app)

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("the HTTP server is already started")
        runner = web.AppRunner(self._app, handle_signals=False, shutdown_timeout=SHUTDOWN_TIMEOUT_S)
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        # The bound port, not the asked one: port 0 lets the OS choose (tests, parallel runs).
        bound_host, bound_port = runner.addresses[0][:2]
        host = f"[{bound_host}]" if ":" in bound_host else bound_host
        self._url = f"http://{host}:{bound_port}"
        self._started_at = time.monotonic()
        log.info("HTTP server listening on %s", self._url)

    async def stop(self) -> None:
        if self._runner is None:
            return
        runner, self._runner = self._runner, None
        await runner.cleanup()
        log.info("HTTP server on %s stopped", self._url)

    @property
    def url(self) -> str:
        """The base URL actually listened on, e.g. ``http://127.0.0.1:8080``; empty before start."""
        return self._url

    async def _healthz(self, request: web.Request) -> web.Response:
        body: dict[str, object] = {"status": "ok", "uptime_s": round(time.monotonic() - self._started_at, 1)}
        if self._health is not None:
            try:
                body.update(self._health())
            except Exception as error:  # noqa: BLE001 - any failure means "not healthy", with a reason
                log.exception("health check failed")
                return web.json_response({"status": "error", "error": str(error)}, status=503)
        return web.json_response(body)

    async def _serve_metrics(self, request: web.Request) -> web.Response:
        text = self._metrics() if self._metrics is not None else ""
        return web.Response(body=text.encode("utf-8"), headers={"Content-Type": PROMETHEUS_CONTENT_TYPE})


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if response.content_type != "text/html":
        response.headers.setdefault("Content-Security-Policy", API_CONTENT_POLICY)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _client_behind(proxies: frozenset[str]) -> Middleware:
    """A middleware that gives a request from one of ``proxies`` the address of the client the
    proxies forwarded it for: the last address of ``X-Forwarded-For`` that is not one of them
    (each proxy appends the address it saw, so those before could be written by anyone)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.remote in proxies:
            forwarded = ",".join(request.headers.getall("X-Forwarded-For", [])).split(",")
            for address in reversed([part.strip() for part in forwarded]):
                if address not in proxies:
                    with contextlib.suppress(ValueError):  # not an address: the proxy's own stands
                        request = request.clone(remote=str(ipaddress.ip_address(address)))
                    break
        return await handler(request)

    return middleware
