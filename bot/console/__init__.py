"""The ward's web console at ``/console/``: officials work tickets, leaders watch deadlines, admins
manage users, the knowledge base and the audit log, in Vietnamese, on a phone or a desktop.

The foundation (this package's first modules):

- ``_store.py``: :class:`ConsoleStore`, users (argon2 hashes, roles :class:`bot.officials.Role`, disabled flag)
  and the append-only audit log, in ``console.sqlite3`` in the data directory; ``wardbot users``
  writes it while ``wardbot run`` serves it.
- ``_sessions.py``: signed session cookies, CSRF tokens, the login throttle.
- ``_console.py``: :class:`Console`, the aiohttp application mounted at ``/console`` with the
  middleware every request passes (console off until an enabled admin exists, session checked
  against the user, CSRF on every state-changing request, the content policy), and the helpers
  below. ``templates/`` (Jinja2, autoescaped, ``base.html`` the layout) and ``static/``.
- Page groups: ``_login.py``, ``_queue.py`` (``/console/``), ``_users.py``, ``_audit.py``,
  ``_ticket.py`` (``/console/tickets/<CODE>`` and its actions),
  ``_board.py`` (``/console/board``, leaders), ``_reports.py`` (``/console/reports``),
  ``_kb.py`` (``/console/kb``: the knowledge base, its uploads and the feedback queue).

Adding a page (the extension API)
---------------------------------
Write a module ``bot/console/_<name>.py`` with ``add_pages(pages: Pages)`` and add it to the
tuple in :class:`Console`'s ``__init__`` (``_login, _queue, _users, _audit, ...``)::

    from ._console import Pages, audit, current_user, render, services, redirect, url, actor
    from ..officials import Role

    async def ticket_page(request):
        code = request.match_info["code"]
        ticket = await services(request).tickets.get(code)
        return render(request, "ticket.html", {"ticket": ticket})

    async def answer(request):                      # the CSRF token was checked before this runs
        form = await request.post()
        ...  # services(request).ticket_service / .tickets, actor=actor(current_user(request))
        await audit(request, "ticket.answer", code)
        return redirect(request, url(f"/tickets/{code}"), message=catalogue.CONSOLE_...)

    def add_pages(pages):
        pages.get("/tickets/{code}", ticket_page, role=Role.OFFICIAL)
        pages.post("/tickets/{code}/answer", answer, role=Role.OFFICIAL)

- ``pages.get / pages.post(path, handler, *, role)``: the least :class:`Role` that may use the
  route (official < leader < admin), checked on every request; not signed in: 302 to the login.
  ``pages.post(..., max_body=N)`` lets an upload's body hold N bytes instead of aiohttp's 1 MiB,
  for a signed-in user the route's role allows (anyone else keeps 1 MiB); a larger body is
  answered 413 with ``CONSOLE_TOO_LARGE`` and a link back to the form (the path's GET).
- ``render(request, template, context, *, status=200)``: a template extending ``base.html``
  (blocks ``title``, ``content``); it gets ``t`` (every ``CONSOLE_*`` string of
  ``handlers.catalogue``, lower-cased without the prefix), ``user``, ``nav``, ``flashes``,
  ``ward_name``, ``url()`` and ``csrf_field()`` (put it in every ``<form method="post">``).
- ``current_user(request) -> User``, ``signed_in_user(request) -> User | None``, ``actor_name(actor)``
  (how a recorded actor reads: ``console:lan`` is "lan"; the templates' ``|who`` filter),
  ``actor(user) -> "console:<name>"`` (the actor of ticket events and audit entries).
- ``await audit(request, action, target="", detail="")``: one audit entry by the current user.
- ``services(request) -> Services``: ``.tickets`` (TicketStore), ``.desk`` (TicketDesk),
  ``.ticket_service`` (TicketService), ``.actions`` (OfficialActions), ``.storage`` (Storage),
  ``.config``, ``.store`` (this ConsoleStore), ``.clock()``, ``.request_reload()`` and ``await .reload_knowledge()``;
  ``.kbadmin`` (:class:`bot.kbadmin.KbAdmin`), ``.feedback`` (its ``FeedbackQueue``) and
  ``.kb_status()`` (the served KB's figures and ``last_reload``).
- ``redirect(request, location, *, status=303, message="", kind="ok")``: with a flash message.
- ``flash_here(request, text, kind="ok")``: a message on the page this request renders (a form
  shown again with its problem).
- :data:`NAV` lists the navigation; an item appears once a page group registers its path.
"""

from ..officials import Role
from ._console import (
    CONTENT_POLICY,
    NAV,
    PREFIX,
    AppParts,
    Console,
    NavItem,
    Pages,
    Services,
    actor,
    actor_name,
    audit,
    current_user,
    redirect,
    render,
    services,
    signed_in_user,
    url,
)
from ._sessions import CSRF_FIELD, SESSION_COOKIE, LoginThrottle, Session, Signer
from ._store import (
    CONSOLE_DB,
    MIN_PASSWORD_CHARS,
    AuditEntry,
    ConsoleStore,
    ConsoleUserError,
    User,
    check_password,
)

__all__ = (
    "CONSOLE_DB",
    "CONTENT_POLICY",
    "CSRF_FIELD",
    "MIN_PASSWORD_CHARS",
    "NAV",
    "PREFIX",
    "SESSION_COOKIE",
    "AppParts",
    "AuditEntry",
    "Console",
    "ConsoleStore",
    "ConsoleUserError",
    "LoginThrottle",
    "NavItem",
    "Pages",
    "Role",
    "Services",
    "Session",
    "Signer",
    "User",
    "actor",
    "actor_name",
    "audit",
    "check_password",
    "current_user",
    "redirect",
    "render",
    "services",
    "signed_in_user",
    "url",
)
