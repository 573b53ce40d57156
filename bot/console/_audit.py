"""``/console/audit``: the audit log for admins, newest first, a page at a time (``?page=N``)."""

from __future__ import annotations

import math

from aiohttp import web

from tickets import WARD_TZ

from ..officials import Role
from ._console import Pages, render, services

PER_PAGE = 50


async def audit_page(request: web.Request) -> web.StreamResponse:
    try:
        page = max(1, int(request.query.get("page", "1")))
    except ValueError:
        page = 1
    entries, total = await services(request).store.audit(offset=(page - 1) * PER_PAGE, limit=PER_PAGE)
    pages = max(1, math.ceil(total / PER_PAGE))
    rows = [{"entry": entry, "at": entry.at.astimezone(WARD_TZ).strftime("%d/%m/%Y %H:%M:%S")} for entry in entries]
    return render(request, "audit.html", {"rows": rows, "page": min(page, pages), "pages": pages, "total": total})


def add_pages(pages: Pages) -> None:
    pages.get("/audit", audit_page, role=Role.ADMIN)
