"""The web chat page's own words come from the catalogue: the files in web_static hold none, and
the server writes them into the page (as HTML and as the JSON index.js reads) and the widget."""

from __future__ import annotations

import html
import importlib.resources
import json
import re

import aiohttp
from fakes.aio import async_test

from bot._http import HttpServer
from bot.channels._web import WebChannel
from handlers import catalogue

# Latin letters with a diacritic (Vietnamese ones among them), and đ/Đ.
VIETNAMESE_LETTER = re.compile(r"[À-ɏḀ-ỿ]")


def test_the_static_files_hold_no_vietnamese() -> None:
    static = importlib.resources.files("bot.channels") / "web_static"
    for name in ("index.html", "index.js", "widget.js", "index.css"):
        source = (static / name).read_text(encoding="utf-8")
        assert not VIETNAMESE_LETTER.findall(source), name


@async_test
async def test_the_page_and_widget_carry_the_catalogue_words() -> None:
    channel = WebChannel(title="Phường <Mẫu> {{send}}")
    server = HttpServer("127.0.0.1", 0)
    server.add_routes(channel.routes())
    await server.start()
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{server.url}/") as response:
                page = await response.text()
            async with http.get(f"{server.url}/widget.js") as response:
                widget = await response.text()
    finally:
        await server.stop()

    # The title is escaped and filled in once: a "{{...}}" in it is not a field.
    assert "<h1>Phường &lt;Mẫu&gt; {{send}}</h1>" in page
    assert "{{" not in page.replace("{{send}}", "")
    for words in catalogue.WEB_PAGE.values():
        assert html.escape(words) in page
    data = re.search(r'<script type="application/json" id="page-text">(.*?)</script>', page, re.S)
    assert data is not None and json.loads(data[1]) == catalogue.WEB_PAGE

    assert "{{" not in widget
    assert f'script.getAttribute("data-title") || {json.dumps(catalogue.WEB_TITLE)};' in widget
