"""``/console/users``: admins add users, disable and enable them, set their role and reset their
password; each change is written with its audit entry (:class:`~bot.console.ConsoleStore`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web

from handlers import catalogue
from tickets import WARD_TZ

from ..officials import Role
from ._console import Pages, actor, current_user, redirect, render, services, url
from ._store import ConsoleUserError, User

Form = Mapping[str, object]  # what request.post() gives


async def users_page(request: web.Request) -> web.StreamResponse:
    users = await services(request).store.users()
    rows = [{"user": user, "created": user.created_at.astimezone(WARD_TZ).strftime("%d/%m/%Y")} for user in users]
    return render(request, "users.html", {"rows": rows})


async def _change(
    request: web.Request,
    change: Callable[[str, Form], Awaitable[User]],
    done: str,
) -> web.Response:
    """Apply ``change`` (username, form) and go back to the list with what happened, or why not."""
    form = await request.post()
    username = request.match_info.get("username") or str(form.get("username", ""))
    try:
        user = await change(username, form)
    except (ConsoleUserError, ValueError) as exc:
        message = catalogue.CONSOLE_USER_REFUSED.format(reason=str(exc))
        return redirect(request, url("/users"), message=message, kind="error")
    role = catalogue.CONSOLE_ROLES[user.role.value]
    return redirect(request, url("/users"), message=done.format(username=user.username, role=role))


async def add_user(request: web.Request) -> web.StreamResponse:
    who = actor(current_user(request))
    store = services(request).store

    async def add(username: str, form: Form) -> User:
        return await store.add_user(username, str(form.get("role", "")), str(form.get("password", "")), actor=who)

    return await _change(request, add, catalogue.CONSOLE_USER_ADDED)


async def disable_user(request: web.Request) -> web.StreamResponse:
    who, store = actor(current_user(request)), services(request).store
    return await _change(
        request, lambda name, form: store.set_disabled(name, True, actor=who), catalogue.CONSOLE_USER_DISABLED
    )


async def enable_user(request: web.Request) -> web.StreamResponse:
    who, store = actor(current_user(request)), services(request).store
    return await _change(
        request, lambda name, form: store.set_disabled(name, False, actor=who), catalogue.CONSOLE_USER_ENABLED
    )


async def set_role(request: web.Request) -> web.StreamResponse:
    who, store = actor(current_user(request)), services(request).store
    return await _change(
        request,
        lambda name, form: store.set_role(name, str(form.get("role", "")), actor=who),
        catalogue.CONSOLE_USER_ROLE_SET,
    )


async def reset_password(request: web.Request) -> web.StreamResponse:
    who, store = actor(current_user(request)), services(request).store
    return await _change(
        request,
        lambda name, form: store.set_password(name, str(form.get("password", "")), actor=who),
        catalogue.CONSOLE_USER_PASSWORD_SET,
    )


def add_pages(pages: Pages) -> None:
    pages.get("/users", users_page, role=Role.ADMIN)
    pages.post("/users", add_user, role=Role.ADMIN)
    pages.post("/users/{username}/disable", disable_user, role=Role.ADMIN)
    pages.post("/users/{username}/enable", enable_user, role=Role.ADMIN)
    pages.post("/users/{username}/role", set_role, role=Role.ADMIN)
    pages.post("/users/{username}/password", reset_password, role=Role.ADMIN)
