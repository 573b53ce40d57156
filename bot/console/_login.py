"""``/console/login`` and ``/console/logout``: the only pages anyone may open."""

from __future__ import annotations

import datetime as dt
import logging

from aiohttp import web

from handlers import catalogue
from tickets import WARD_TZ

from .._limits import retry_after
from ._console import Pages, actor, console_of, current_user, redirect, render, services, signed_in_user, url

log = logging.getLogger(__name__)


def _safe_next(target: str) -> str:
    """Where to go after logging in: a console page the form came from, never another site."""
    return target if target.startswith(url("/")) and not target.startswith("//") and "\\" not in target else url("/")


async def login_page(request: web.Request) -> web.StreamResponse:
    if signed_in_user(request) is not None:
        return redirect(request, url("/"), status=302)
    return render(request, "login.html", {"username": "", "next": request.query.get("next", ""), "error": ""})


async def log_in(request: web.Request) -> web.StreamResponse:
    """Check the throttle first (a right password is refused too while locked: it must not tell
    a guesser that the guess was right), then the password."""
    console = console_of(request)
    form = await request.post()
    username, password = str(form.get("username", "")).strip(), str(form.get("password", ""))
    context = {"username": username, "next": str(form.get("next", ""))}
    if locked_for := console.throttle.locked_for(username, request.remote):
        return _throttled(request, context, locked_for)
    user = await console.store.verify(username, password) if username and password else None
    if user is None:
        if console.throttle.fail(username, request.remote):
            log.warning(
                "console: logins locked for %d s after repeated wrong passwords",
                int(console.throttle.locked_for(username, request.remote)),
            )
            return _throttled(request, context, console.throttle.locked_for(username, request.remote))
        return render(request, "login.html", context | {"error": catalogue.CONSOLE_LOGIN_FAILED}, status=401)
    console.throttle.succeed(username, request.remote)
    response = redirect(request, _safe_next(context["next"]) if context["next"] else url("/"))
    console.log_in(request, response, user)
    await services(request).store.record(actor(user), "user.login", user.username)
    return response


def _throttled(request: web.Request, context: dict[str, str], locked_for: float) -> web.Response:
    until = services(request).clock() + dt.timedelta(seconds=locked_for)
    message = catalogue.CONSOLE_LOGIN_THROTTLED.format(time=until.astimezone(WARD_TZ).strftime(catalogue.DATE_TIME))
    response = render(request, "login.html", context | {"error": message}, status=429)
    response.headers["Retry-After"] = str(retry_after(locked_for))
    return response


async def log_out(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    response = redirect(request, url("/login"), message=catalogue.CONSOLE_LOGGED_OUT)
    console_of(request).log_out(request, response)
    await services(request).store.record(actor(user), "user.logout", user.username)
    return response


def add_pages(pages: Pages) -> None:
    from ..officials import Role

    pages.get("/login", login_page, role=None)
    pages.post("/login", log_in, role=None)
    pages.post("/logout", log_out, role=Role.OFFICIAL)
