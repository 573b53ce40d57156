"""``/console/kb``: admins keep the knowledge base the bot answers from.

- ``/kb``: the entries, searched with or without diacritics (``q``), filtered by ``kind`` (``faq``,
  ``ward`` procedures, ``national`` ones) a page at a time (``page``); the served knowledge base's
  figures and last reload; ``/kb/check`` validates the files on disk and lists every problem as
  ``file:line: message``; ``POST /kb/reload`` rebuilds it with no downtime (a refused reload
  leaves the old one answering).
- ``/kb/entries/<id>``: an FAQ's or a ward procedure's edit form, which writes the same Markdown
  files through :class:`~bot.kbadmin.KbAdmin` with the content hash the form started from; a
  national procedure is read-only, ``/kb/entries/<code>/override`` its ward copy's form.
  ``/kb/new`` a new FAQ, prefilled from the feedback queue with ``?feedback=<key>``.
- ``/kb/upload``: a zip of entries or a portal JSONL export (up to :data:`UPLOAD_MAX_BYTES`).
- ``/kb/feedback``: what the bot could not answer and the answers rated 👎.

List fields of the forms: plain lists (variants, tags, levels, asked_as) are textareas with one
item per line; rows whose items may span lines (documents, methods, legal basis, steps) are
repeated groups of inputs, read back in order with ``getall``, so every text round-trips.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from handlers import catalogue
from knowledge import Channel, LegalBasis
from tickets import WARD_TZ

from ..kbadmin import (
    ChangeResult,
    DocumentForm,
    EditConflict,
    EntryInfo,
    EntryKind,
    EntryNotFound,
    FaqForm,
    FeedbackItem,
    MethodForm,
    Origin,
    ProcedureForm,
)
from ..officials import Role
from ._console import Pages, audit, redirect, render, services, url

PER_PAGE = 25
UPLOAD_MAX_BYTES = 64 << 20  # a zip of a ward's entries, or a compressed portal export
TIME_FORMAT = "%d/%m/%Y %H:%M"
FEEDBACK_DAYS = 90

# The list's kind filter: (EntryKind, Origin) of each choice.
KIND_FILTERS: Mapping[str, tuple[EntryKind | None, Origin | None]] = {
    "": (None, None),
    "faq": (EntryKind.FAQ, None),
    "ward": (EntryKind.PROCEDURE, Origin.WARD),
    "national": (None, Origin.NATIONAL),
}

Post = MultiDictProxy[Any]  # what request.post() gives: str values, FileField for files


def kind_key(info: EntryInfo) -> str:
    """The list's kind of an entry, as :data:`KIND_FILTERS` and ``CONSOLE_KB_KINDS`` name it."""
    if info.kind is EntryKind.FAQ:
        return "faq"
    return "ward" if info.origin is Origin.WARD else "national"


def _when(moment: dt.datetime) -> str:
    return moment.astimezone(WARD_TZ).strftime(TIME_FORMAT)


def _page_number(request: web.Request) -> int:
    try:
        return max(1, int(request.query.get("page", "1")))
    except ValueError:
        return 1


# --- the list, validation and reload -------------------------------------------------------------


async def kb_page(request: web.Request, *, check: list[str] | None = None) -> web.StreamResponse:
    parts = services(request)
    admin = parts.kbadmin
    q = request.query.get("q", "").strip()[:200]
    kind = request.query.get("kind", "")
    kind = kind if kind in KIND_FILTERS else ""
    entry_kind, origin = KIND_FILTERS[kind]
    listing = await admin.list_entries(q, kind=entry_kind, origin=origin, page=_page_number(request), per_page=PER_PAGE)
    status = parts.kb_status()
    last = status["last_reload"]
    last_reload = None
    if isinstance(last, dict):
        at = last.get("at")
        last_reload = {
            "at": _when(dt.datetime.fromisoformat(at)) if isinstance(at, str) else "",
            "outcome": last.get("outcome", ""),
            "problems": list(last.get("problems") or ()),
        }
    rows = [
        {"info": info, "kind": kind_key(info), "href": url(f"/kb/entries/{info.entry_id}")} for info in listing.items
    ]
    context = {
        "rows": rows,
        "listing": listing,
        "q": q,
        "kind": kind,
        "kinds": list(KIND_FILTERS),
        "status": status,
        "last_reload": last_reload,
        "unreadable": [str(problem) for problem in await admin.unreadable_files()],
        "check": check,
        "page_query": {"q": q, "kind": kind},
    }
    return render(request, "kb.html", context)


async def list_page(request: web.Request) -> web.StreamResponse:
    return await kb_page(request)


async def check_page(request: web.Request) -> web.StreamResponse:
    """The list with every problem of the files on disk, as ``wardbot kb validate`` reports them."""
    problems = await services(request).kbadmin.validate()
    return await kb_page(request, check=[str(problem) for problem in problems])


async def reload(request: web.Request) -> web.StreamResponse:
    parts = services(request)
    swapped = await parts.reload_knowledge()
    await audit(request, "kb.reload", "", "reloaded" if swapped else "refused")
    if swapped:
        message = catalogue.CONSOLE_KB_RELOADED.format(entries=parts.kb_status()["kb_entries"])
        return redirect(request, url("/kb"), message=message)
    return redirect(request, url("/kb"), message=catalogue.CONSOLE_KB_RELOAD_REFUSED, kind="error")


# --- reading the forms ---------------------------------------------------------------------------


def _text(post: Post, name: str) -> str:
    """A posted text field, with the browser's CRLF line ends made LF (the files use LF)."""
    value = post.get(name, "")
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else ""


def _lines(post: Post, name: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in _text(post, name).split("\n") if line.strip())


def _rows(post: Post, *names: str) -> list[tuple[str, ...]]:
    """The repeated row groups of a form: the n-th value of each field name makes the n-th row;
    a row left wholly blank (the form's spare one) is none."""
    columns = [
        [value.replace("\r\n", "\n") if isinstance(value, str) else "" for value in post.getall(name, [])]
        for name in names
    ]
    return [row for row in itertools.zip_longest(*columns, fillvalue="") if any(cell.strip() for cell in row)]


def _legal_basis(post: Post) -> tuple[LegalBasis, ...]:
    return tuple(
        LegalBasis(name=name, number=number, issued=issued, issuer=issuer)
        for number, name, issued, issuer in _rows(post, "law_number", "law_name", "law_issued", "law_issuer")
    )


def faq_form(post: Post, entry_id: str) -> FaqForm:
    return FaqForm(
        id=entry_id,
        question=_text(post, "question"),
        answer=_text(post, "answer"),
        variants=_lines(post, "variants"),
        tags=_lines(post, "tags"),
        legal_basis=_legal_basis(post),
        source=_text(post, "source"),
        updated=_text(post, "updated"),
    )


def procedure_form(post: Post, code: str) -> ProcedureForm:
    return ProcedureForm(
        code=code,
        name=_text(post, "name"),
        field=_text(post, "field"),
        levels=_lines(post, "levels"),
        applicants=_text(post, "applicants"),
        implementing_agencies=_text(post, "implementing_agencies"),
        competent_agencies=_text(post, "competent_agencies"),
        filing_address=_text(post, "filing_address"),
        decision=_text(post, "decision"),
        portal_url=_text(post, "portal_url"),
        source_url=_text(post, "source_url"),
        updated=_text(post, "updated"),
        methods=tuple(
            MethodForm(*row)
            for row in _rows(post, "method_channel", "method_processing_time", "method_fee", "method_description")
        ),
        documents=tuple(
            DocumentForm(*row)
            for row in _rows(post, "doc_name", "doc_originals", "doc_copies", "doc_form", "doc_group")
        ),
        legal_basis=_legal_basis(post),
        steps=tuple(row[0] for row in _rows(post, "step")),
        conditions=_text(post, "conditions"),
        result=_text(post, "result"),
        asked_as=_lines(post, "asked_as"),
    )


# --- the entry pages -----------------------------------------------------------------------------


def _form_page(
    request: web.Request,
    form: FaqForm | ProcedureForm,
    *,
    base_hash: str,
    mode: str,  # "edit", "new" or "override"
    error: str = "",
    problems: tuple[str, ...] = (),
    current: str | None = None,
    feedback: FeedbackItem | None = None,
    path: str = "",
    status: int = 200,
) -> web.Response:
    is_faq = isinstance(form, FaqForm)
    entry_id = form.id if isinstance(form, FaqForm) else form.code
    action = url("/kb/new") if mode == "new" else url(f"/kb/entries/{entry_id}")
    context: dict[str, object] = {
        "form": form,
        "is_faq": is_faq,
        "entry_id": entry_id,
        "base_hash": base_hash,
        "mode": mode,
        "action": action,
        "error": error,
        "problems": problems,
        "current": current,
        "feedback": feedback,
        "path": path,
        "channels": {channel.value: catalogue.CHANNEL_NAMES[channel] for channel in Channel},
        # One empty row after the items, to add one without the script.
        "laws": (*form.legal_basis, LegalBasis("")),
    }
    if isinstance(form, ProcedureForm):
        context |= {
            "methods": (*form.methods, MethodForm("")),
            "documents": (*form.documents, DocumentForm("")),
            "steps": (*form.steps, ""),
        }
    return render(request, "kb_entry.html", context, status=status)


def _not_found(request: web.Request) -> web.Response:
    return render(request, "error.html", {"message": catalogue.CONSOLE_KB_NOT_FOUND, "back": url("/kb")}, status=404)


async def entry_page(request: web.Request) -> web.StreamResponse:
    entry_id = request.match_info["entry_id"]
    try:
        detail = await services(request).kbadmin.get_entry(entry_id)
    except EntryNotFound:
        return _not_found(request)
    if not detail.editable:
        return render(request, "kb_national.html", {"detail": detail})
    path = str(detail.info.path) if detail.info.path is not None else ""
    return _form_page(request, detail.form, base_hash=detail.content_hash, mode="edit", path=path)


async def override_page(request: web.Request) -> web.StreamResponse:
    """A national procedure's form, saved as the ward's copy of it (``base_hash`` "": a new file)."""
    entry_id = request.match_info["entry_id"]
    try:
        detail = await services(request).kbadmin.get_entry(entry_id)
    except EntryNotFound:
        return _not_found(request)
    if detail.editable:  # the ward has its copy already
        return redirect(request, url(f"/kb/entries/{entry_id}"))
    return _form_page(request, detail.form, base_hash="", mode="override")


async def _feedback_item(request: web.Request, key: str) -> FeedbackItem | None:
    if not key:
        return None
    items = await services(request).feedback.items(days=FEEDBACK_DAYS, include_handled=True)
    return next((item for item in items if item.key == key), None)


async def new_faq_page(request: web.Request) -> web.StreamResponse:
    parts = services(request)
    item = await _feedback_item(request, request.query.get("feedback", ""))
    if request.query.get("feedback") and item is None:
        return redirect(request, url("/kb/feedback"), message=catalogue.CONSOLE_KB_FEEDBACK_GONE, kind="error")
    form = await (parts.feedback.new_faq(item) if item is not None else parts.kbadmin.new_faq_form())
    return _form_page(request, form, base_hash="", mode="new", feedback=item)


async def save_entry(request: web.Request) -> web.StreamResponse:
    post = await request.post()
    entry_id = request.match_info["entry_id"]
    form: FaqForm | ProcedureForm
    form = faq_form(post, entry_id) if _text(post, "kind") == "faq" else procedure_form(post, entry_id)
    base_hash = _text(post, "base_hash")
    mode = "edit" if base_hash or isinstance(form, FaqForm) else "override"
    return await _save(request, form, base_hash=base_hash, mode=mode)


async def create_faq(request: web.Request) -> web.StreamResponse:
    post = await request.post()
    form = faq_form(post, _text(post, "id").strip())
    item = await _feedback_item(request, _text(post, "feedback"))
    return await _save(request, form, base_hash="", mode="new", feedback=item)


async def _save(
    request: web.Request,
    form: FaqForm | ProcedureForm,
    *,
    base_hash: str,
    mode: str,
    feedback: FeedbackItem | None = None,
) -> web.StreamResponse:
    parts = services(request)
    admin = parts.kbadmin
    entry_id = form.id if isinstance(form, FaqForm) else form.code
    try:
        if isinstance(form, FaqForm):
            result = await admin.save_faq(form, base_hash=base_hash)
        else:
            result = await admin.save_procedure(form, base_hash=base_hash)
    except EditConflict as conflict:
        if mode == "new":  # the id is another entry's: never offer to overwrite it
            error = catalogue.CONSOLE_KB_ID_TAKEN.format(entry_id=entry_id)
            return _form_page(request, form, base_hash="", mode=mode, error=error, feedback=feedback, status=409)
        try:
            current = (await admin.get_entry(entry_id)).markdown
        except EntryNotFound:
            current = ""
        # The admin's text stays in the form; saving again from the current hash is their choice,
        # made having seen the current version.
        return _form_page(
            request,
            form,
            base_hash=conflict.current,
            mode="edit" if conflict.current else mode,
            error=catalogue.CONSOLE_KB_CONFLICT,
            current=current,
            status=409,
        )
    if not result.ok:
        return _form_page(
            request,
            form,
            base_hash=base_hash,
            mode=mode,
            error=catalogue.CONSOLE_KB_NOT_SAVED.format(count=len(result.problems)),
            problems=tuple(str(problem) for problem in result.problems),
            feedback=feedback,
            status=422,
        )
    action = {"new": "kb.create", "override": "kb.override"}.get(mode, "kb.save")
    await audit(request, action, entry_id, _reload_detail(result))
    if feedback is not None:
        await parts.feedback.mark_handled(feedback, entry_id)
        await audit(request, "kb.feedback_handled", entry_id, feedback.kind)
    if result.reloaded is False:
        message, kind = catalogue.CONSOLE_KB_SAVED_NOT_SERVED.format(entry_id=entry_id), "error"
    else:
        message, kind = catalogue.CONSOLE_KB_SAVED.format(entry_id=entry_id), "ok"
    return redirect(request, url(f"/kb/entries/{entry_id}"), message=message, kind=kind)


def _reload_detail(result: ChangeResult) -> str:
    """The audit's detail of a change: whether the bot serves it (never the entry's words)."""
    return {True: "reloaded", False: "reload refused", None: "saved"}[result.reloaded]


# --- upload --------------------------------------------------------------------------------------


def _upload_page(
    request: web.Request, *, error: str = "", problems: tuple[str, ...] = (), status: int = 200
) -> web.Response:
    context = {"error": error, "problems": problems, "megabytes": UPLOAD_MAX_BYTES >> 20}
    return render(request, "kb_upload.html", context, status=status)


async def upload_page(request: web.Request) -> web.StreamResponse:
    return _upload_page(request)


async def upload(request: web.Request) -> web.StreamResponse:
    post = await request.post()
    file = post.get("file")
    if not isinstance(file, web.FileField) or not file.filename:
        return _upload_page(request, error=catalogue.CONSOLE_KB_UPLOAD_NO_FILE, status=400)
    name = PurePath(file.filename.replace("\\", "/")).name
    data = await asyncio.to_thread(file.file.read)
    admin = services(request).kbadmin
    if name.lower().endswith(".zip"):
        result = await admin.upload_entries_zip(data, name=name)
    else:  # a portal export; any other name is refused with its problem
        result = await admin.upload_portal(data, name=name)
    if not result.ok:
        error = catalogue.CONSOLE_KB_UPLOAD_REFUSED.format(name=name, count=len(result.problems))
        return _upload_page(request, error=error, problems=tuple(str(p) for p in result.problems), status=422)
    await audit(request, "kb.upload", name, f"{result.entries} entries, {_reload_detail(result)}")
    if result.reloaded is False:
        return redirect(
            request, url("/kb"), message=catalogue.CONSOLE_KB_UPLOADED_NOT_SERVED.format(name=name), kind="error"
        )
    return redirect(
        request, url("/kb"), message=catalogue.CONSOLE_KB_UPLOADED.format(name=name, entries=result.entries)
    )


# --- feedback ------------------------------------------------------------------------------------


async def feedback_page(request: web.Request) -> web.StreamResponse:
    items = await services(request).feedback.items(days=FEEDBACK_DAYS)
    rows = [
        {
            "item": item,
            "last": _when(item.last_at),
            "new_faq": url(f"/kb/new?feedback={item.key}"),
            "entries": [{"id": entry_id, "href": url(f"/kb/entries/{entry_id}")} for entry_id in item.entry_ids],
        }
        for item in items
    ]
    return render(request, "kb_feedback.html", {"rows": rows, "days": FEEDBACK_DAYS})


def add_pages(pages: Pages) -> None:
    pages.get("/kb", list_page, role=Role.ADMIN)
    pages.get("/kb/check", check_page, role=Role.ADMIN)
    pages.post("/kb/reload", reload, role=Role.ADMIN)
    pages.get("/kb/new", new_faq_page, role=Role.ADMIN)
    pages.post("/kb/new", create_faq, role=Role.ADMIN)
    pages.get("/kb/upload", upload_page, role=Role.ADMIN)
    pages.post("/kb/upload", upload, role=Role.ADMIN, max_body=UPLOAD_MAX_BYTES)
    pages.get("/kb/feedback", feedback_page, role=Role.ADMIN)
    pages.get("/kb/entries/{entry_id}", entry_page, role=Role.ADMIN)
    pages.post("/kb/entries/{entry_id}", save_entry, role=Role.ADMIN)
    pages.get("/kb/entries/{entry_id}/override", override_page, role=Role.ADMIN)
