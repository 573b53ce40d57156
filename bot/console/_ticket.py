"""``/console/tickets/<CODE>``: one ticket, its whole history, its due moment, and the actions on it.

The page shows the citizen's message, photo and map link, the category, channel and contact as
``wardbot tickets show`` does (an anonymous citizen's contact is never shown: there is none), and
every event of the append-only history as a Vietnamese line: who, when in the ward's time, what.

Each action is a form posted to ``/console/tickets/<CODE>/<action>`` (``action`` is the
:class:`~bot.officials.OfficialActions` method's name) carrying the ``expected_version`` the page
was rendered at, so that of two officials acting on the same page only the first changes the
ticket; the other sees the page again with the one conflict message of every front end
(:class:`~bot.officials.ActionConflict`) and what they typed kept in the form. A route's role is
the action's :data:`~bot.officials.ACTION_ROLES` entry, checked on every request; the page shows
only the actions the user's role and the ticket's status allow. Each action done is audited as
``ticket.<action>``, without the citizen's or the official's words.

The answer form's field is ``answer`` (the console's contract). Its templates
(``OFFICIALS_ANSWER_TEMPLATES``) are a select: the script fills the text box when one is chosen;
without the script, posting an empty answer with a template chosen fills the box with it to
edit, since the templates have gaps («...») that must not reach a citizen as they are.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from handlers import catalogue, due_text
from tickets import WARD_TZ, EventKind, Status, Ticket, TicketEvent, TicketNotFound, TicketStateError

from ..channels import UPLOADS_DIR
from ..officials import (
    ACTION_ROLES,
    ActionConflict,
    ActionOutcome,
    ActionRefused,
    OfficialActions,
    Role,
    pending_apology_draft,
    refusal_message,
    ticket_deadline,
    ticket_links,
)
from ._console import (
    Pages,
    Services,
    actor,
    actor_name,
    audit,
    current_user,
    flash_here,
    redirect,
    render,
    services,
    url,
)
from ._queue import OPEN_STATUSES, row_state

Form = MultiDictProxy[str | bytes | Any]


@dataclasses.dataclass(frozen=True, slots=True)
class HistoryLine:
    """One event as an official reads it: who, when (the ward's time), what, and the words it
    carries (an answer, a reason, the citizen's supplement), shown as text."""

    seq: int
    kind: str  # the event's kind, or the note's kind of payload: a class for the page
    who: str
    at: str
    at_iso: str
    what: str
    detail: str


def _day(moment: str) -> str:
    return dt.datetime.fromisoformat(moment).strftime(catalogue.DATE)


def _note(data: Mapping[str, Any]) -> tuple[str, str, str]:
    """A note's kind, line and words: the citizen's supplement, an apology slip drafted or sent,
    a SIPAS score, the deadline watch's reminder, or an official's note."""
    words = catalogue.CONSOLE_TICKET_EVENTS
    text = str(data.get("text", ""))
    if "supplement" in data:
        return "supplement", words["supplement"], str(data["supplement"])
    for key in ("apology_draft", "apology"):
        slip = data.get(key)
        if isinstance(slip, dict):
            return key, words[key].format(date=_day(str(slip["new_due"]))), str(slip.get("reason", ""))
    if "sipas" in data:
        return "sipas", words["sipas"], text
    if data.get("deadline") in ("warned", "escalated"):
        return "deadline", words[str(data["deadline"])], ""
    return "note", words["note"], text


def history_line(event: TicketEvent) -> HistoryLine:
    """The line of one event of a ticket's history."""
    words, data, kind = catalogue.CONSOLE_TICKET_EVENTS, event.data, event.kind.value
    detail = ""
    match event.kind:
        case EventKind.CREATE:
            what = words["create"].format(channel=catalogue.CONSOLE_CHANNELS.get(data["channel"], data["channel"]))
        case EventKind.ASSIGN:
            what = words["assign"].format(assignee=actor_name(data["assignee"]))
        case EventKind.REPLY:
            what, detail = words["reply"], data["text"]
        case EventKind.DELIVER:
            kind = "delivered" if data["status"] == "delivered" else "failed"
            what, detail = words[kind], data.get("error", "") if kind == "failed" else ""
        case EventKind.NOTE:
            kind, what, detail = _note(data)
        case EventKind.DUE_CHANGE:
            what = words["due_change"].format(time=due_text(dt.datetime.fromisoformat(data["due_at"]), WARD_TZ))
            detail = data.get("reason", "")
        case EventKind.REOPEN | EventKind.PAUSE | EventKind.REDACT:
            what, detail = words[kind], data.get("reason", "")
        case _:  # claim, close, resume: the kind says it all
            what = words[kind]
    return HistoryLine(
        event.seq, kind, actor_name(event.actor), due_text(event.at, WARD_TZ), event.at.isoformat(), what, detail
    )


# --- the page ------------------------------------------------------------------------------------


async def _ticket(parts: Services, code: str) -> Ticket:
    """The ticket of the address, or the console's 404 (an unknown or malformed code alike)."""
    try:
        return await parts.tickets.get(code)
    except TicketNotFound:
        raise web.HTTPNotFound() from None


def _available(ticket: Ticket, role: Role, pending_draft: bool) -> dict[str, bool]:
    """Which actions the page offers: those the user's role may take and the ticket's state
    allows (the store and the actions check again on every post)."""
    open_ = ticket.status in OPEN_STATUSES
    allowed = {
        "claim": ticket.status in (Status.NEW, Status.REOPENED),
        "answer": open_ and not ticket.paused,
        "ask_info": open_ and not ticket.paused,
        "resume": open_ and ticket.paused,
        "reassign": open_,
        "close": ticket.status is Status.ANSWERED,
        "reopen": ticket.status in (Status.ANSWERED, Status.CLOSED),
        "draft_apology": open_,
        "approve_apology": open_ and pending_draft,
    }
    return {action: ok and role.may(action) for action, ok in allowed.items()}


async def _render_ticket(
    request: web.Request,
    code: str,
    *,
    status: int = 200,
    flash: tuple[str, str] | None = None,  # (text, kind)
    values: Mapping[str, Any] | None = None,
) -> web.Response:
    """The ticket page; after a refused post, with its message and the form's values kept."""
    parts = services(request)
    ticket = await _ticket(parts, code)
    events = await parts.tickets.events(ticket.code)
    now = parts.clock()
    user = current_user(request)
    draft = pending_apology_draft(events)
    links = ticket_links(ticket, parts.config.data_dir / UPLOADS_DIR)
    assignable = [u for u in await parts.store.users() if u.enabled] if user.role.may("reassign") else []
    tomorrow = now.astimezone(WARD_TZ).date() + dt.timedelta(days=1)
    context = {
        "ticket": ticket,
        "status_label": catalogue.TICKET_STATUS_SHORT[ticket.status.value],
        "category_label": catalogue.CATEGORY_LABELS[ticket.category.value],
        "assignee": actor_name(ticket.assignee) if ticket.assignee else "",
        "received": due_text(ticket.received_at, WARD_TZ),
        "state": row_state(ticket, parts.desk, now),
        "deadline": ticket_deadline(ticket, parts.desk, events, now),
        "history": [history_line(event) for event in events],
        "links": links,
        "photo_stored": links.photo_file is not None and links.photo_file.is_file(),
        "draft": draft and {"date": _day(str(draft["new_due"])), "reason": draft["reason"]},
        "can": _available(ticket, user.role, draft is not None),
        "templates": catalogue.OFFICIALS_ANSWER_TEMPLATES,
        "assignees": [(actor(u), u.username, catalogue.CONSOLE_ROLES[u.role.value]) for u in assignable],
        "values": values or {},
        "apology_min": tomorrow.isoformat(),
        "apology_reason": catalogue.APOLOGY_DEFAULT_REASON,
    }
    if flash is not None:
        flash_here(request, *flash)
    return render(request, "ticket.html", context, status=status)


async def ticket_page(request: web.Request) -> web.StreamResponse:
    return await _render_ticket(request, request.match_info["code"])


async def ticket_photo(request: web.Request) -> web.StreamResponse:
    """The citizen's web photo from the uploads folder, to signed-in users only (the route's role)."""
    parts = services(request)
    ticket = await _ticket(parts, request.match_info["code"])
    path = ticket_links(ticket, parts.config.data_dir / UPLOADS_DIR).photo_file
    if path is None or not path.is_file():
        raise web.HTTPNotFound()
    # A citizen's photo: kept by no cache but the official's own browser.
    return web.FileResponse(path, headers={"Content-Type": "image/jpeg", "Cache-Control": "private, no-cache"})


# --- the actions ---------------------------------------------------------------------------------


class FormProblem(Exception):
    """A form the page shows again before any action is taken: ``message`` (its ``kind`` "error",
    or "ok" for a template filled in) with the form's values kept."""

    def __init__(self, message: str, *, kind: str = "error", values: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message, self.kind, self.values = message, kind, values


@dataclasses.dataclass(frozen=True, slots=True)
class Act:
    """What an action's handler is given: the actions, the ticket's code, the form, the acting
    user as the history names them, and the version the page was rendered at."""

    actions: OfficialActions
    code: str
    form: Form
    actor: str
    username: str
    version: int

    def text(self, name: str) -> str:
        value = self.form.get(name, "")
        return value.strip() if isinstance(value, str) else ""


async def _claim(act: Act, parts: Services) -> tuple[ActionOutcome, str]:
    outcome = await act.actions.claim(act.code, actor=act.actor, expected_version=act.version, name=act.username)
    return outcome, ""


async def _answer(act: Act, parts: Services) -> tuple[ActionOutcome, str]:
    text = act.text("answer")
    if not text or act.text("fill"):  # the template's button of a browser without the script
        templates = catalogue.OFFICIALS_ANSWER_TEMPLATES
        chosen = act.text("template")
        if not chosen.isdigit() or not 0 <= int(chosen) < len(templates):
            raise FormProblem(catalogue.CONSOLE_TICKET_ANSWER_EMPTY)
        label, template = templates[int(chosen)]
        message = catalogue.CONSOLE_TICKET_TEMPLATE_FILLED.format(label=label)
        raise FormProblem(message, kind="ok", values={"answer": template, "template": chosen})
    return await act.actions.answer(act.code, text, actor=act.actor, expected_version=act.version), ""


async def _ask_info(act: Act, parts: Services) -> tuple[ActionOutcome, str]:
    question = act.text("question")
    return await act.actions.ask_info(act.code, question, actor=act.actor, expected_version=act.version), ""


async def _resume(act: Act, parts: Services) -> tuple[ActionOutcome, str]:
    return await act.actions.resume(act.code, actor=act.actor, expected_version=act.version), ""


async def _reassign(act: Act, parts: Services) -> tuple[ActionOutcome, str]:
    username = act.text("assignee").removeprefix("console:")
    user = await parts.store.get(username) if username else None
    if user is None or not user.enabled:
        raise FormProblem(catalogue.CONSOLE_TICKET_ASSIGNEE_UNKNOWN)
    outcome = await act.actions.reassign(
        act.code, actor(user), actor=act.actor, expected_version=act.version, name=user.username
    )
    return outcome, f"to {user.username}"


async def _close(act: Act, parts: Services) -> tuple[ActionOutcome, str]:
    return await act.actions.close(act.code, actor=act.actor, expected_version=act.version), ""


async def _reopen(act: Act, parts: Services) -> tuple[ActionOutcome, str]:
    if not (reason := act.text("reason")):
        raise FormProblem(catalogue.CONSOLE_TICKET_REASON_NEEDED)
    return await act.actions.reopen(act.code, reason, actor=act.actor, expected_version=act.version), ""


async def _draft_apology(act: Act, parts: Services) -> tuple[ActionOutcome, str]:
    try:
        day = dt.date.fromisoformat(act.text("date"))
    except ValueError:
        raise ActionRefused(catalogue.OFFICIALS_APOLOGY_BAD_DATE) from None
    outcome = await act.actions.draft_apology(
        act.code, day, act.text("reason"), actor=act.actor, expected_version=act.version
    )
    return outcome, f"new date {day.isoformat()}"


async def _approve_apology(act: Act, parts: Services) -> tuple[ActionOutcome, str]:
    return await act.actions.approve_apology(act.code, actor=act.actor, expected_version=act.version), ""


# Each action: its handler, returning the outcome and the audit's detail (never the citizen's
# words, nor an official's: only names and dates).
ACTIONS: dict[str, Callable[[Act, Services], Awaitable[tuple[ActionOutcome, str]]]] = {
    "claim": _claim,
    "answer": _answer,
    "ask_info": _ask_info,
    "resume": _resume,
    "reassign": _reassign,
    "close": _close,
    "reopen": _reopen,
    "draft_apology": _draft_apology,
    "approve_apology": _approve_apology,
}


def _action_page(action: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def act(request: web.Request) -> web.StreamResponse:
        parts = services(request)
        ticket = await _ticket(parts, request.match_info["code"])
        form = await request.post()
        user = current_user(request)
        version = form.get("expected_version", "")
        if not isinstance(version, str) or not version.isdigit():
            return await _render_ticket(
                request, ticket.code, status=400, flash=(catalogue.CONSOLE_TICKET_BAD_VERSION, "error")
            )
        details = Act(parts.actions, ticket.code, form, actor(user), user.username, int(version))
        try:
            outcome, detail = await ACTIONS[action](details, parts)
        except FormProblem as problem:
            status = 200 if problem.kind == "ok" else 400
            values = problem.values if problem.values is not None else form
            return await _render_ticket(
                request, ticket.code, status=status, flash=(problem.message, problem.kind), values=values
            )
        except ActionConflict as conflict:  # the page as it now is, what the official typed kept
            return await _render_ticket(request, ticket.code, status=409, flash=(str(conflict), "error"), values=form)
        except ActionRefused as refused:
            return await _render_ticket(request, ticket.code, status=400, flash=(str(refused), "error"), values=form)
        except TicketStateError:
            message = refusal_message(action, await parts.tickets.get(ticket.code))
            return await _render_ticket(request, ticket.code, status=400, flash=(message, "error"), values=form)
        await audit(request, f"ticket.{action}", ticket.code, detail)
        kind = "error" if outcome.error is not None else "ok"
        return redirect(request, url(f"/tickets/{ticket.code}"), message=outcome.notice, kind=kind)

    return act


def add_pages(pages: Pages) -> None:
    pages.get("/tickets/{code}", ticket_page, role=Role.OFFICIAL)
    pages.get("/tickets/{code}/photo", ticket_photo, role=Role.OFFICIAL)
    for action in ACTIONS:
        pages.post(f"/tickets/{{code}}/{action}", _action_page(action), role=ACTION_ROLES[action])
