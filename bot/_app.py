"""The application: every part of the bot on one asyncio loop.

:class:`Application` opens the store, builds the search engine and the dialogue, serves HTTP
(web chat, webhooks, ``/healthz``, ``/metrics``, ``POST /admin/reload``, the web console at
``/console/``, or on a site of its own with ``[console] host``/``port``), starts the channels,
finishes what a previous run left undone, and stops cleanly on SIGINT/SIGTERM. SIGHUP (or the
admin route) rebuilds the knowledge base in the background and swaps it in only if it is valid.

The :class:`~bot.officials.TicketService` always runs in the background: it delivers every
answer an official records (from any front end, the CLI included) within seconds and watches the
deadlines. With ``[officials] group_chat_id`` set, new tickets are also announced to the officials'
Telegram group, the group's messages go to :class:`~bot.officials.OfficialsDesk` instead of the
dialogue, and the deadline watch warns the group.

The retention purge (:class:`~bot.privacy.Privacy`) runs at start and every ``[privacy]
purge_every_hours``; the same object erases a citizen's data when they ask in the chat.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import signal
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from aiohttp import web

from handlers import Reply, SearchEngine, catalogue
from knowledge import KnowledgeBaseError
from retrieval import Embedder
from tickets import TicketDesk, TicketStore

from ._config import Config
from ._http import HttpServer
from ._limits import Lockout, Rate, RateLimiter, client_key, retry_after
from ._metrics import Metrics
from ._search import load_snapshot, open_search_engine, save_snapshot
from .channels import UPLOADS_DIR, Channel
from .console import PREFIX as CONSOLE_PREFIX
from .console import Console
from .delivery import Pipeline, RetryPolicy, TurnHandler
from .kbadmin import FeedbackQueue, KbAdmin
from .officials import CitizenPrompts, OfficialActions, OfficialsDesk, TicketService
from .privacy import Privacy
from .storage import Clock, Storage, load_pseudonym_key, utc_now

log = logging.getLogger(__name__)

# Seconds that stopping waits for messages being processed; the rest is recovered at next start.
DRAIN_TIMEOUT_S = 10.0
REDELIVERY_INTERVAL_S = 15.0
ANSWER_CHECK_INTERVAL_S = 2.0  # how soon an answer recorded by another process reaches the citizen
DEADLINE_CHECK_INTERVAL_S = 300.0
# Wrong admin tokens from one address before it is locked out, and for how long: enough for a
# typo or two, far too few to guess a token.
ADMIN_FAILURES = 5
ADMIN_LOCK_S = 900
# Lookup-code guesses of one conversation ("tra cứu PA-2026-000123 ABCD2345" for a ticket it did
# not file): a citizen with the code needs one, a guesser gets one a minute after the first five.
LOOKUP_GUESSES = Rate(burst=5, per_s=1 / 60)


class SwappableDialogue(TurnHandler, CitizenPrompts, Protocol):
    """What the application needs of ``handlers.Dialogue``: ``handle``, ``rate_prompt`` and
    ``info_request`` (for the officials' actions) and a swappable ``engine``."""

    engine: SearchEngine


# (engine, store, *, ward_name, ward_contact); replaces the handlers' Dialogue with its ticket desk.
DialogueFactory = Callable[..., SwappableDialogue]


@runtime_checkable
class ServesHttp(Protocol):
    """A channel that receives over the bot's HTTP server (web chat, webhooks)."""

    def routes(self) -> list[web.RouteDef]: ...


def configured_channels(config: Config) -> list[Channel]:
    """The channels ``wardbot run`` starts: the web chat always, Telegram when it has a token,
    Zalo when it has its OA secret and a token."""
    from .channels._web import WebChannel

    channels: list[Channel] = [
        WebChannel(title=config.ward.name, uploads=config.data_dir / UPLOADS_DIR, allowed_origins=config.web.allowed_origins)
    ]
    if config.telegram_enabled:
        from .channels._telegram import TelegramChannel

        telegram = config.telegram
        channels.append(
            TelegramChannel(
                config.secrets.telegram_token,
                api_url=telegram.api_url,
                mode=telegram.mode,
                webhook_url=telegram.webhook_url,
                webhook_secret=config.secrets.telegram_webhook_secret,
                per_chat_interval=telegram.per_chat_interval,
            )
        )
    if config.zalo_enabled:
        channels.append(zalo_channel(config))
    return channels


def zalo_channel(config: Config) -> Channel:
    """The Zalo OA channel from the ``[zalo]`` settings and the ``WARDBOT_ZALO_*`` secrets; its
    rotating tokens are kept in the data directory."""
    from .channels._zalo import ZaloChannel
    from .channels._zalo_tokens import ZaloTokens

    secrets, zalo = config.secrets, config.zalo
    tokens = ZaloTokens(
        app_id=zalo.app_id,
        app_secret=secrets.zalo_app_secret,
        access_token=secrets.zalo_access_token,
        refresh_token=secrets.zalo_refresh_token,
        oauth_url=zalo.oauth_url,
        store_path=config.data_dir / "zalo_tokens.json",
    )
    secret = secrets.zalo_app_secret if zalo.signature_key == "app_secret" else secrets.zalo_oa_secret
    return ZaloChannel(
        app_id=zalo.app_id,
        signature_secret=secret,
        tokens=tokens,
        api_url=zalo.api_url,
        signature_prefix=zalo.signature_prefix,
    )


def catalogue_apology(config: Config) -> Reply:
    """The catalogue's apology, sent when the handlers fail on a message."""
    return Reply(catalogue.ERROR_APOLOGY.format(ward_name=config.ward.name, ward_contact=config.ward.contact))


class Application:
    """Runs the bot. ``channels`` default to :func:`configured_channels`; ``serve_http=False``
    (``wardbot chat``) runs without the HTTP server. ``embedder`` replaces the configured model
    (tests), ``dialogue_factory`` the handlers' ``Dialogue``.
    """

    def __init__(
        self,
        config: Config,
        *,
        channels: Sequence[Channel] | None = None,
        serve_http: bool = True,
        embedder: Embedder | None = None,
        dialogue_factory: DialogueFactory | None = None,
        apology: Reply | None = None,
        retry: RetryPolicy | None = None,
        clock: Clock = utc_now,
        progress: bool = True,
    ) -> None:
        self.config = config
        self.channels = list(channels) if channels is not None else configured_channels(config)
        self.metrics = Metrics()
        self.http = (
            HttpServer(
                config.http.host,
                config.http.port,
                health=self._health,
                metrics=self.metrics.text,
                trusted_proxies=config.http.trusted_proxies,
            )
            if serve_http
            else None
        )
        self.storage: Storage | None = None
        self.tickets: TicketStore | None = None
        self.desk: TicketDesk | None = None
        self.dialogue: SwappableDialogue | None = None
        self.ticket_service: TicketService | None = None
        self.privacy: Privacy | None = None
        self.officials: OfficialsDesk | None = None
        self.actions: OfficialActions | None = None  # the officials' actions, for the web console
        self.pipeline: Pipeline | None = None
        # The knowledge base as the web console edits it, and the questions citizens left unanswered.
        self.kbadmin: KbAdmin | None = None
        self.feedback: FeedbackQueue | None = None
        self._embedder = embedder
        self._dialogue_factory = dialogue_factory
        self._apology = apology
        self._retry = retry
        self._clock = clock
        self._progress = progress
        self._started: list[Channel] = []
        self._background: set[asyncio.Task[Any]] = set()
        self._reload: asyncio.Task[bool] | None = None
        # One rebuild at a time (SIGHUP, /admin/reload, the console): a slower, older one must not
        # swap in its knowledge base after a newer one.
        self._reload_lock = asyncio.Lock()
        # On the application's clock, so that a test's clock moves the lock too.
        self._admin_failures = Lockout(ADMIN_FAILURES, ADMIN_LOCK_S, clock=lambda: self._clock().timestamp())
        # The last reload's time, outcome and problems; at start, the problems of a KB refused
        # while the last good one (its snapshot) serves.
        self.last_reload: dict[str, object] | None = None
        self.serving_snapshot = False
        # The web console, on the one HTTP server or on a site of its own ([console] host, port).
        self.console: Console | None = None
        self.console_http: HttpServer | None = None
        if self.http is not None:
            self._add_routes(self.http)

    def _add_routes(self, http: HttpServer) -> None:
        # Routes are fixed before the server starts, so every channel's are added now.
        for channel in self.channels:
            if isinstance(channel, ServesHttp):
                http.add_routes(channel.routes())
        if self.config.secrets.admin_token:
            http.add_routes([web.post("/admin/reload", self._admin_reload)])
        self.console = Console(self, clock=self._clock)
        settings = self.config.console
        if settings.separate:
            self.console_http = HttpServer(
                settings.host or self.config.http.host, settings.port, trusted_proxies=self.config.http.trusted_proxies
            )
            self.console_http.mount(CONSOLE_PREFIX, self.console.app)
            self.console_http.add_routes([web.get("/", _to_console)])
        else:
            http.mount(CONSOLE_PREFIX, self.console.app)

    # --- Life cycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Open everything and start receiving; on failure, close what was opened and re-raise."""
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> None:
        config = self.config
        apology = self._apology or catalogue_apology(config)  # before the slow part: fail fast
        self.storage = await Storage.open(
            config.database_path, pseudonym_key=load_pseudonym_key(config), clock=self._clock
        )
        engine = await self._start_engine()
        log.info("knowledge base: %d entries (%s)", len(engine.kb), engine.kb.fingerprint[:12])
        try:
            self.kbadmin = KbAdmin.from_config(config, reload=self.reload_knowledge)
            self.feedback = FeedbackQueue(self.storage, self.kbadmin, clock=self._clock)
        except ValueError as exc:  # the KB is files only: nothing for the console to edit
            log.warning("the console cannot edit the knowledge base: %s", exc)
        self.tickets = await TicketStore.open(config.data_dir / "tickets.sqlite3", clock=self._clock)
        calendar = config.calendar.working_calendar()
        self.desk = TicketDesk(self.tickets, calendar, config.tickets.policies)
        self.privacy = Privacy(self.storage, self.tickets, config.privacy, data_dir=config.data_dir, clock=self._clock)
        if self._dialogue_factory is None:
            from handlers import Dialogue

            self.dialogue = Dialogue(
                engine,
                self.storage,
                ward_name=config.ward.name,
                ward_contact=config.ward.contact,
                desk=self.desk,
                pseudonym=self.storage.pseudonym,
                privacy=self.privacy,
                guess_limit=RateLimiter(LOOKUP_GUESSES).take,
            )
        else:
            self.dialogue = self._dialogue_factory(
                engine, self.storage, ward_name=config.ward.name, ward_contact=config.ward.contact
            )
        self.ticket_service = TicketService(
            self.desk,
            {channel.name: channel for channel in self.channels},
            ward_name=config.ward.name,
            leader_chat_id=config.officials.leader_chat_id,
            clock=self._clock,
            retry=self._retry,
        )
        self.actions = OfficialActions(self.desk, service=self.ticket_service, prompts=self.dialogue)
        if config.officials.group_chat_id:
            self.officials = OfficialsDesk(
                self.ticket_service,
                group_chat_id=config.officials.group_chat_id,
                members=config.officials.members,
                dialogue=self.dialogue,  # its rate_prompt asks the citizen for a rating on closing
                photos=config.data_dir / UPLOADS_DIR,
            )
        self.pipeline = Pipeline(
            self.storage,
            self.dialogue,
            apology=apology,
            channels=self.channels,
            officials=self.officials,
            metrics=self.metrics,
            retry=self._retry,
            clock=self._clock,
        )
        for channel in self.channels:
            await channel.start(self.pipeline)
            self._started.append(channel)
            log.info("channel %s started", channel.name)
        if self.console is not None:
            await self.console.start()
        if self.http is not None:
            await self.http.start()
        if self.console_http is not None:
            await self.console_http.start()
        await self._announce_console()
        # Channels are up, so replies of an interrupted run can be delivered.
        await self.pipeline.recover()
        self._spawn(self.pipeline.run_redelivery(REDELIVERY_INTERVAL_S), "redelivery")
        self._spawn(
            self.ticket_service.run(answers_every_s=ANSWER_CHECK_INTERVAL_S, deadlines_every_s=DEADLINE_CHECK_INTERVAL_S),
            "tickets",
        )
        self._spawn(self.privacy.run(config.privacy.purge_every_hours * 3600), "privacy")

    async def _announce_console(self) -> None:
        """Say where the web console is, and how to turn it on while no admin exists."""
        server = self.console_http or self.http
        if self.console is None or server is None:
            return
        url = server.url + CONSOLE_PREFIX + "/"
        if await self.console.is_on():
            log.info("web console at %s", url)
        else:
            log.info("web console at %s: off until the first admin exists (wardbot users add NAME --role admin)", url)

    async def stop(self) -> None:
        """Stop receiving, let messages in progress finish briefly, then close; safe to call
        on a partly started application and more than once."""
        if self.pipeline is not None:
            # First, while the channels can still send: what is recorded but unfinished after
            # that is recovered at the next start.
            await self.pipeline.drain(DRAIN_TIMEOUT_S)
        while self._started:
            channel = self._started.pop()
            try:
                await channel.stop()
            except Exception:
                log.exception("channel %s did not stop cleanly", channel.name)
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        if self.http is not None:
            await self.http.stop()
        if self.console_http is not None:
            await self.console_http.stop()
        if self.console is not None:
            await self.console.stop()
        if self.tickets is not None:
            tickets, self.tickets, self.desk = self.tickets, None, None
            self.ticket_service, self.officials, self.actions, self.privacy = None, None, None, None
            await tickets.close()
        if self.storage is not None:
            storage, self.storage = self.storage, None
            await storage.close()

    async def run(self, *, until: Awaitable[Any] | None = None) -> None:
        """Start, serve until SIGINT/SIGTERM (or until ``until`` completes), then stop.
        SIGHUP reloads the knowledge base."""
        await self.start()
        loop = asyncio.get_running_loop()
        stopping = asyncio.Event()
        handlers = {signal.SIGINT: stopping.set, signal.SIGTERM: stopping.set, signal.SIGHUP: self.request_reload}
        installed = []
        for signum, handler in handlers.items():
            try:
                loop.add_signal_handler(signum, handler)
                installed.append(signum)
            except (NotImplementedError, RuntimeError):  # not the main thread, or no such signal here
                pass
        waiters = [asyncio.ensure_future(stopping.wait())]
        if until is not None:
            waiters.append(asyncio.ensure_future(until))
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            log.info("stopping")
        finally:
            for waiter in waiters:
                waiter.cancel()
            for signum in installed:
                loop.remove_signal_handler(signum)
            await self.stop()

    def _spawn(self, coroutine: Awaitable[Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coroutine)
        task.set_name(name)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    # --- Knowledge base reload -----------------------------------------------------------------

    async def _build_engine(self, embedder: Embedder | None, *, progress: bool) -> SearchEngine:
        # Loading, validating and embedding take seconds to minutes: off the loop.
        return await asyncio.to_thread(open_search_engine, self.config, embedder=embedder, progress=progress)

    async def _start_engine(self) -> SearchEngine:
        """The configured KB; if it has problems, the last good one, saved when it was served,
        so that one broken entry never takes the service down. Without one, the problems stop
        the start."""
        snapshot = self.config.kb_snapshot_path
        try:
            engine = await self._build_engine(self._embedder, progress=self._progress)
        except KnowledgeBaseError as exc:
            kb = await asyncio.to_thread(load_snapshot, snapshot)
            if kb is None:
                raise
            log.error(
                "THE KNOWLEDGE BASE HAS %d PROBLEM(S); serving the last good one (%d entries, %s) until they are "
                "fixed and the KB is reloaded.\n%s",
                len(exc.problems), len(kb), kb.fingerprint[:12], exc,
            )  # fmt: skip
            self.serving_snapshot = True
            self._record_reload("refused", [str(problem) for problem in exc.problems])
            return await asyncio.to_thread(
                open_search_engine, self.config, kb=kb, embedder=self._embedder, progress=self._progress
            )
        await asyncio.to_thread(save_snapshot, engine.kb, snapshot)
        return engine

    def request_reload(self) -> bool:
        """Start rebuilding the knowledge base in the background; False if one is running."""
        if self.dialogue is None or (self._reload is not None and not self._reload.done()):
            return False
        self._reload = self._spawn(self.reload_knowledge(), "kb-reload")
        return True

    async def reload_knowledge(self) -> bool:
        """Rebuild the search engine from the configured KB and swap it in if it is valid;
        otherwise keep serving the current one and log every problem. Whether it swapped; the
        outcome is kept in :attr:`last_reload` for ``/healthz`` and the admin."""
        async with self._reload_lock:
            return await self._reload_knowledge()

    async def _reload_knowledge(self) -> bool:
        assert self.dialogue is not None, "reload before start"
        current = self.dialogue.engine
        log.info("reloading the knowledge base")
        try:
            # The model already loaded is reused: reloading the KB must not reload weights.
            engine = await self._build_engine(self._embedder or current.retriever.embedder, progress=False)
        except KnowledgeBaseError as exc:
            log.error(
                "knowledge base reload refused; still serving the previous one (%d entries).\n%s", len(current.kb), exc
            )
            self._record_reload("refused", [str(problem) for problem in exc.problems])
            return False
        except Exception as exc:
            log.exception("knowledge base reload failed; still serving the previous one (%d entries)", len(current.kb))
            self._record_reload("failed", [f"{type(exc).__name__}: {exc}"])
            return False
        # One attribute assignment on the loop's thread: a turn sees the old or the new engine whole.
        self.dialogue.engine = engine
        await asyncio.to_thread(save_snapshot, engine.kb, self.config.kb_snapshot_path)
        self.serving_snapshot = False
        self._record_reload("reloaded", [])
        log.info(
            "knowledge base reloaded: %d entries (%s, was %s)",
            len(engine.kb),
            engine.kb.fingerprint[:12],
            current.kb.fingerprint[:12],
        )
        return True

    def _record_reload(self, outcome: str, problems: list[str]) -> None:
        self.last_reload = {"at": self._clock().isoformat(), "outcome": outcome, "problems": problems}
        self.metrics.kb_reloaded(outcome, len(problems))

    # --- HTTP ----------------------------------------------------------------------------------

    async def _admin_reload(self, request: web.Request) -> web.Response:
        """Reload and answer with the outcome: 200 and the new KB, or 422 and every problem as
        ``file:line: message`` (the old KB still serving), or 409 while another reload runs.
        An address that gave ADMIN_FAILURES wrong tokens is refused (429) for ADMIN_LOCK_S, even
        with the right one, so that guessing the token is hopeless."""
        client = client_key(request.remote)
        if locked_for := self._admin_failures.locked_for(client):
            return web.json_response(
                {"error": "locked out"}, status=429, headers={"Retry-After": str(retry_after(locked_for))}
            )
        expected = f"Bearer {self.config.secrets.admin_token}".encode()
        # surrogateescape: aiohttp keeps a header's undecodable bytes that way, and they must
        # compare unequal rather than fail to encode.
        given = request.headers.get("Authorization", "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, expected):
            if self._admin_failures.fail(client):
                log.warning("admin reload: %s locked out for %d s after %d wrong tokens", client, ADMIN_LOCK_S, ADMIN_FAILURES)
            return web.json_response({"error": "unauthorized"}, status=401)
        self._admin_failures.succeed(client)
        if not self.request_reload():
            return web.json_response({"status": "a reload is already running"}, status=409)
        assert self._reload is not None
        swapped = await asyncio.shield(self._reload)  # a client that hangs up does not stop the reload
        body = dict(self.last_reload or {}) | self.kb_figures()
        return web.json_response(body, status=200 if swapped else 422)

    def kb_figures(self) -> dict[str, object]:
        """The served knowledge base: its entries, fingerprint, and whether it is the snapshot."""
        assert self.dialogue is not None
        kb = self.dialogue.engine.kb
        return {"kb_entries": len(kb), "kb_fingerprint": kb.fingerprint, "kb_from_snapshot": self.serving_snapshot}

    def _health(self) -> Mapping[str, object]:
        if self.dialogue is None:
            raise RuntimeError("starting")
        return self.kb_figures() | {"last_reload": self.last_reload, "channels": [c.name for c in self._started]}


async def _to_console(request: web.Request) -> web.StreamResponse:
    """The console's own site opens on the console."""
    return web.Response(status=302, headers={"Location": CONSOLE_PREFIX + "/"})
