"""The console's frame: an aiohttp application mounted at ``/console`` that every page plugs into.

:class:`Console` owns the store, the signer and the login throttle, and one middleware that every
request passes: the console is off (404) until an enabled admin exists, the session cookie is
read and checked against the user (disabled, password reset: the session is over), a state
changing request without a valid CSRF token is refused (403), and every answer gets the
console's content policy. Pages are added by *page groups*: modules with ``add_pages(pages)``,
listed in :data:`PAGE_GROUPS`, each route with the least role that may open it
(:meth:`Pages.get`, :meth:`Pages.post`); the check is made on every request, server-side.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import importlib.resources
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import aiohttp_jinja2
import jinja2
import markupsafe
from aiohttp import web

from handlers import catalogue
from tickets import TicketDesk, TicketStore

from .._config import Config
from ..kbadmin import FeedbackQueue, KbAdmin
from ..officials import OfficialActions, Role, TicketService
from ..storage import Clock, Storage, key_file, utc_now
from ._sessions import (
    CSRF_COOKIE,
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    LoginThrottle,
    Session,
    Signer,
    new_nonce,
)
from ._store import CONSOLE_DB, ConsoleStore, User

log = logging.getLogger(__name__)

PREFIX = "/console"
KEY_FILE = "console.key"
FLASH_COOKIE = "wardbot_console_flash"
# Scripts, styles and images from the console itself only, nothing inline, no frames, forms
# posted only back to it.
CONTENT_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
PAGE_HEADERS = {"Content-Security-Policy": CONTENT_POLICY, "X-Frame-Options": "DENY"}
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class AppParts(Protocol):
    """What the console reaches of the running application (:class:`bot._app.Application`); the
    parts are None until it has started."""

    config: Config
    storage: Storage | None
    tickets: TicketStore | None
    desk: TicketDesk | None
    ticket_service: TicketService | None
    actions: OfficialActions | None
    kbadmin: KbAdmin | None
    feedback: FeedbackQueue | None
    last_reload: dict[str, object] | None  # the last KB reload's "at", "outcome" and "problems"

    def request_reload(self) -> bool: ...

    def kb_figures(self) -> dict[str, object]: ...

    async def reload_knowledge(self) -> bool: ...


def actor_name(name: str) -> str:
    """How an actor of the history (or an assignee) reads: ``console:lan`` is lan, ``cli:lan``
    "lan (dòng lệnh)", ``citizen`` "Người dân"."""
    if name in catalogue.CONSOLE_TICKET_ACTORS:
        return catalogue.CONSOLE_TICKET_ACTORS[name]
    front_end, _, who = name.partition(":")
    if not who:
        return name
    if front_end == "console":
        return who
    via = catalogue.CONSOLE_TICKET_ACTOR_FRONT_ENDS.get(front_end, front_end)
    return catalogue.CONSOLE_TICKET_ACTOR_VIA.format(name=who, via=via)


class Services:
    """The application's parts as a page handler needs them: :func:`services` ``(request)``."""

    def __init__(self, parts: AppParts, store: ConsoleStore, clock: Clock) -> None:
        self._parts = parts
        self.store = store  # console users and the audit log
        self.clock = clock

    @property
    def config(self) -> Config:
        return self._parts.config

    def _started(self, part: Any, name: str) -> Any:
        if part is None:
            raise web.HTTPServiceUnavailable(text=f"the bot is starting ({name})")
        return part

    @property
    def tickets(self) -> TicketStore:
        return self._started(self._parts.tickets, "tickets")

    @property
    def desk(self) -> TicketDesk:
        return self._started(self._parts.desk, "desk")

    @property
    def ticket_service(self) -> TicketService:
        return self._started(self._parts.ticket_service, "ticket service")

    @property
    def actions(self) -> OfficialActions:
        """The officials' actions of the running bot: an answer reaches the citizen at once."""
        return self._started(self._parts.actions, "actions")

    @property
    def storage(self) -> Storage:
        return self._started(self._parts.storage, "storage")

    @property
    def kbadmin(self) -> KbAdmin:
        return self._started(self._parts.kbadmin, "knowledge base")

    @property
    def feedback(self) -> FeedbackQueue:
        return self._started(self._parts.feedback, "feedback queue")

    def kb_status(self) -> dict[str, object]:
        """The served knowledge base (``kb_entries``, ``kb_fingerprint``, ``kb_from_snapshot``) and
        ``last_reload`` (None before the first reload)."""
        return self._parts.kb_figures() | {"last_reload": self._parts.last_reload}

    def request_reload(self) -> bool:
        """Start rebuilding the knowledge base in the background (False if one is running)."""
        return self._parts.request_reload()

    async def reload_knowledge(self) -> bool:
        """Rebuild the knowledge base now and swap it in if valid; whether it swapped."""
        return await self._parts.reload_knowledge()


@dataclasses.dataclass(frozen=True, slots=True)
class NavItem:
    text_key: str  # the catalogue's CONSOLE_NAV_* key, as ``t`` names it
    path: str  # under /console
    role: Role


# The navigation, in order; an item is shown to a user whose role allows it once a page group
# has registered its path (the pages other modules add later appear by themselves).
NAV = (
    NavItem("nav_queue", "/", Role.OFFICIAL),
    NavItem("nav_board", "/board", Role.LEADER),
    NavItem("nav_reports", "/reports", Role.OFFICIAL),
    NavItem("nav_kb", "/kb", Role.ADMIN),
    NavItem("nav_users", "/users", Role.ADMIN),
    NavItem("nav_audit", "/audit", Role.ADMIN),
)


class Pages:
    """What a page group's ``add_pages`` is given: it registers each route with the least role
    that may use it (``None``: anyone, the login page only). Paths are under ``/console``."""

    def __init__(self) -> None:
        self.routes: list[web.RouteDef] = []
        self.paths: set[str] = set()
        # The larger bodies some routes take, and the role they need: by handler, for the middleware.
        self.body_limits: dict[Handler, tuple[int, Role | None]] = {}

    def _add(self, method: str, path: str, handler: Handler, role: Role | None, max_body: int | None = None) -> None:
        guarded = _requiring(role, handler)
        self.routes.append(web.route(method, path, guarded))
        self.paths.add(path)
        if max_body is not None:
            self.body_limits[guarded] = (max_body, role)

    def get(self, path: str, handler: Handler, *, role: Role | None) -> None:
        self._add("GET", path, handler, role)

    def post(self, path: str, handler: Handler, *, role: Role | None, max_body: int | None = None) -> None:
        """A state-changing route: the middleware has checked its CSRF token before ``handler``.
        ``max_body``: the bytes its body may hold instead of aiohttp's 1 MiB (an upload); a larger
        one is answered 413 with the catalogue's ``CONSOLE_TOO_LARGE``."""
        self._add("POST", path, handler, role, max_body)


def _requiring(role: Role | None, handler: Handler) -> Handler:
    async def guarded(request: web.Request) -> web.StreamResponse:
        if role is None:
            return await handler(request)
        user = signed_in_user(request)
        if user is None:
            return redirect(request, url("/login"), status=302)
        if not user.may(role):
            return render(request, "error.html", {"message": catalogue.CONSOLE_FORBIDDEN}, status=403)
        return await handler(request)

    return guarded


# What the middleware leaves on the request for the helpers below.
_USER: web.RequestKey[User | None] = web.RequestKey("wardbot_console_user")
_NONCE = web.RequestKey("wardbot_console_nonce", str)
_FLASHES: web.RequestKey[list[tuple[str, str]]] = web.RequestKey("wardbot_console_flashes")


def url(path: str) -> str:
    """The address of a console path: ``url("/users") == "/console/users"``."""
    return PREFIX + path


def texts() -> dict[str, Any]:
    """The catalogue's ``CONSOLE_*`` words, as templates read them: ``t.login_title`` is
    ``catalogue.CONSOLE_LOGIN_TITLE``, ``t.roles["admin"]`` ``catalogue.CONSOLE_ROLES["admin"]``."""
    return {
        name.removeprefix("CONSOLE_").lower(): value
        for name, value in vars(catalogue).items()
        if name.startswith("CONSOLE_")
    }


def console_of(request: web.Request) -> Console:
    console: Console = request.config_dict[_CONSOLE_KEY]
    return console


def services(request: web.Request) -> Services:
    """The application's parts (tickets, ticket service, storage, config, KB reload, the console store)."""
    return console_of(request).services


def signed_in_user(request: web.Request) -> User | None:
    """The user of the request's session, or None (a page anyone may open: the login page)."""
    return request.get(_USER)


def current_user(request: web.Request) -> User:
    """The user of a request to a page registered with a role (there always is one)."""
    user = request.get(_USER)
    if user is None:
        raise RuntimeError("current_user() on a page anyone may open")
    return user


def actor(user: User) -> str:
    """How a console user is named in ticket histories and the audit log."""
    return f"console:{user.username}"


async def audit(request: web.Request, action: str, target: str = "", detail: str = "") -> None:
    """Append to the audit log what the request's user did: ``action`` (e.g. ``"ticket.answer"``)
    to ``target`` (a ticket code, an entry id, a username), with a short ``detail`` that never
    holds a citizen's words or contacts."""
    await services(request).store.record(actor(current_user(request)), action, target, detail)


def flash(response: web.StreamResponse, text: str, kind: str = "ok") -> None:
    """Show ``text`` on the next page this browser opens (``kind``: "ok" or "error")."""
    payload = json.dumps([[kind, text]], ensure_ascii=False).encode()
    response.set_cookie(
        FLASH_COOKIE, base64.urlsafe_b64encode(payload).decode(), path=PREFIX, httponly=True, samesite="Strict"
    )


def flash_here(request: web.Request, text: str, kind: str = "ok") -> None:
    """Show ``text`` on the page this very request renders (a form shown again with its problem)."""
    request[_FLASHES] = [*request.get(_FLASHES, []), (kind, text)]


def redirect(
    request: web.Request, location: str, *, status: int = 303, message: str = "", kind: str = "ok"
) -> web.Response:
    """Go to ``location`` (a console address, see :func:`url`), with a flash ``message`` if given;
    303 after a form is posted, so that reloading the next page posts nothing again."""
    response = web.Response(status=status, headers={"Location": location})
    if message:
        flash(response, message, kind)
    return response


def _read_flashes(request: web.Request) -> list[tuple[str, str]]:
    raw = request.cookies.get(FLASH_COOKIE, "")
    try:
        items = json.loads(base64.urlsafe_b64decode(raw.encode())) if raw else []
        return [(str(kind), str(text)) for kind, text in items]
    except (ValueError, TypeError, binascii.Error):
        return []


def csrf_token(request: web.Request) -> str:
    """The token that this request's forms carry in their hidden ``csrf_token`` input."""
    return console_of(request).signer.csrf_token(request[_NONCE])


def _csrf_field(token: str) -> Callable[[], markupsafe.Markup]:
    """The ``csrf_field()`` of templates: the hidden input every form of the console carries."""
    markup = markupsafe.Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, token)
    return lambda: markup


def render(
    request: web.Request, template: str, context: Mapping[str, Any] | None = None, *, status: int = 200
) -> web.Response:
    """The page ``template`` (in bot/console/templates/, extending ``base.html``) with
    ``context``, plus what every page reads: ``t`` (the catalogue's words), ``user``, ``nav``,
    ``flashes``, ``ward_name``, ``url`` and ``csrf_field()``, every form's hidden token. Autoescaped."""
    console = console_of(request)
    user = signed_in_user(request)
    nav = [
        {"text": item.text_key, "href": url(item.path), "current": request.path == url(item.path)}
        for item in NAV
        if user is not None and user.may(item.role) and item.path in console.page_paths
    ]
    base = {
        "t": console.texts,
        "user": user,
        "nav": nav,
        "flashes": request.get(_FLASHES, []),
        "ward_name": console.services.config.ward.name,
        "url": url,
        "csrf_field": _csrf_field(csrf_token(request)),
    }
    return aiohttp_jinja2.render_template(template, request, base | dict(context or {}), status=status)


class Console:
    """The web console: ``app`` is mounted at ``/console`` on an :class:`~bot._http.HttpServer`.

    ``parts`` is the application whose tickets, storage and KB reload the pages use;
    :meth:`start` opens the users' store and the signing key once the application is up.
    """

    def __init__(self, parts: AppParts, *, page_groups: tuple[Any, ...] | None = None, clock: Clock = utc_now) -> None:
        self._parts = parts
        self._clock = clock
        self.throttle = LoginThrottle(clock)
        self.texts = texts()
        self._store: ConsoleStore | None = None
        self._signer: Signer | None = None
        self.app = web.Application(middlewares=[self._middleware])
        self.app[_CONSOLE_KEY] = self
        env = aiohttp_jinja2.setup(
            self.app,
            loader=jinja2.PackageLoader(__package__, "templates"),
            autoescape=True,  # every template, whatever its name: citizens' words are escaped everywhere
            undefined=jinja2.StrictUndefined,
        )
        env.globals["ROLES"] = list(Role)
        env.filters["who"] = actor_name  # how a recorded actor or assignee reads on every page
        pages = Pages()
        from . import _audit, _board, _kb, _login, _queue, _reports, _ticket, _users

        groups = (_login, _queue, _users, _audit, _ticket, _board, _reports, _kb)
        for group in page_groups if page_groups is not None else groups:
            group.add_pages(pages)
        self.page_paths = frozenset(pages.paths)
        self._body_limits = dict(pages.body_limits)
        self.app.add_routes([web.get("/static/{name}", self._static), *pages.routes])
        # Last: whatever no page matched is the console's own 404, with its headers.
        self.app.add_routes([web.route("*", "/{tail:.*}", self._not_found)])
        self._static_files: dict[str, bytes] = {}

    @property
    def store(self) -> ConsoleStore:
        if self._store is None:
            raise web.HTTPServiceUnavailable(text="the console is starting")
        return self._store

    @property
    def signer(self) -> Signer:
        assert self._signer is not None, "the console is not started"
        return self._signer

    @property
    def services(self) -> Services:
        return Services(self._parts, self.store, self._clock)

    async def start(self) -> None:
        config = self._parts.config
        secret = config.secrets.console_secret.encode() or key_file(config.data_dir / KEY_FILE, "console session key")
        self._signer = Signer(secret)
        self._store = await ConsoleStore.open(config.data_dir / CONSOLE_DB, clock=self._clock)

    async def is_on(self) -> bool:
        """Whether the console serves its pages: an enabled admin exists (checked on every request,
        so that one added with ``wardbot users add`` turns it on without a restart)."""
        return self._store is not None and await self._store.has_enabled_admin()

    async def stop(self) -> None:
        if self._store is not None:
            store, self._store = self._store, None
            await store.close()

    # --- every request ---------------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await self._answer(request, handler)
        except web.HTTPException as exc:  # raised by a page (503 while starting, say): headers too
            exc.headers.update(PAGE_HEADERS)
            raise
        response.headers.update(PAGE_HEADERS)
        return response

    async def _answer(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if self._store is None:
            response: web.StreamResponse = web.Response(status=503, text="the console is starting")
        elif not await self._store.has_enabled_admin():
            response = self._off_page()
        else:
            response = await self._serve(request, handler)
        return response

    async def _serve(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        user = await self._session_user(request)
        limit, role = self._body_limits.get(request.match_info.handler, (0, None))
        # Before anything reads the body (the CSRF check below does), and only for a user the
        # route would serve: anyone else keeps aiohttp's 1 MiB.
        if limit and user is not None and (role is None or user.may(role)):
            request = request.clone(client_max_size=limit)
        request[_USER] = user
        nonce = request.cookies.get(CSRF_COOKIE, "")
        request[_NONCE] = nonce or new_nonce()
        request[_FLASHES] = _read_flashes(request)
        try:
            csrf_refused = request.method not in SAFE_METHODS and not await self._csrf_valid(request, nonce)
        except web.HTTPRequestEntityTooLarge:
            response: web.StreamResponse = self._too_large(request)
        else:
            if csrf_refused:
                log.warning("console: %s %s refused, no valid CSRF token", request.method, request.path)
                response = render(request, "error.html", {"message": catalogue.CONSOLE_CSRF_REFUSED}, status=403)
            else:
                response = await self._handle(request, handler)
        if request[_NONCE] != nonce:
            self.set_nonce(response, request[_NONCE])
        if request[_FLASHES] and FLASH_COOKIE not in response.cookies:
            response.del_cookie(FLASH_COOKIE, path=PREFIX)
        return response

    async def _handle(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPRequestEntityTooLarge:  # a body the page read itself
            return self._too_large(request)
        except web.HTTPException as exc:
            if exc.status == 404:
                return await self._not_found(request)
            raise

    def _too_large(self, request: web.Request) -> web.Response:
        """A body over the route's limit: said in Vietnamese, with the way back to its form (the
        GET of the same path)."""
        message = catalogue.CONSOLE_TOO_LARGE.format(megabytes=request.client_max_size >> 20)
        return render(request, "error.html", {"message": message, "back": request.path}, status=413)

    async def _csrf_valid(self, request: web.Request, nonce: str) -> bool:
        token = request.headers.get(CSRF_HEADER, "")
        if not token and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            field = (await request.post()).get(CSRF_FIELD, "")
            token = field if isinstance(field, str) else ""
        return self.signer.csrf_valid(nonce, token)

    async def _session_user(self, request: web.Request) -> User | None:
        """The user of a valid session, still enabled and of the same generation, else None."""
        value = request.cookies.get(SESSION_COOKIE)
        session = self.signer.read(value, self._clock()) if value else None
        if session is None:
            return None
        user = await self.store.get(session.username)
        if user is None or not user.enabled or user.generation != session.generation:
            return None
        return user

    # --- what the login page uses ----------------------------------------------------------------

    def set_nonce(self, response: web.StreamResponse, nonce: str) -> None:
        response.set_cookie(CSRF_COOKIE, nonce, path=PREFIX, httponly=True, samesite="Strict")

    def log_in(self, request: web.Request, response: web.StreamResponse, user: User) -> None:
        """Give the browser a session of ``user`` for ``[console] session_hours``, and a new CSRF
        nonce (a token seen before the login is worth nothing after it)."""
        hours = self._parts.config.console.session_hours
        expires = self._clock() + dt.timedelta(hours=hours)
        value = self.signer.sign(Session(user.username, user.generation, expires))
        response.set_cookie(
            SESSION_COOKIE,
            value,
            path=PREFIX,
            max_age=int(hours * 3600),
            httponly=True,
            samesite="Strict",
            secure=request.secure,
        )
        request[_NONCE] = new_nonce()

    def log_out(self, request: web.Request, response: web.StreamResponse) -> None:
        response.del_cookie(SESSION_COOKIE, path=PREFIX)
        request[_NONCE] = new_nonce()

    # --- built-in answers ------------------------------------------------------------------------

    def _off_page(self) -> web.Response:
        """What every console path answers until an enabled admin exists: how to create one."""
        page = self.app[aiohttp_jinja2.APP_KEY].get_template("off.html")
        body = page.render(t=self.texts, ward_name=self._parts.config.ward.name)
        return web.Response(status=404, text=body, content_type="text/html")

    async def _not_found(self, request: web.Request) -> web.Response:
        return render(request, "error.html", {"message": catalogue.CONSOLE_NOT_FOUND}, status=404)

    async def _static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        kind = STATIC_TYPES.get("." + name.rpartition(".")[2])
        folder = importlib.resources.files(__package__) / "static"
        if kind is None or "/" in name or not (folder / name).is_file():
            return await self._not_found(request)
        if name not in self._static_files:
            self._static_files[name] = (folder / name).read_bytes()
        return web.Response(body=self._static_files[name], headers={"Content-Type": kind, "Cache-Control": "no-cache"})


_CONSOLE_KEY = web.AppKey("wardbot_console", Console)
