"""The reports page at ``/console/reports`` over the bot's real HTTP server, on the simulated
second quarter of tests/test_report.py: the page shows every figure of ``wardbot report`` and no
other, the period select offers the command's periods, a period it refuses is explained in
Vietnamese, and each download is the command's own rendering, named, typed and audited."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import html
import io
import re
from pathlib import Path

import pytest
from fakes.aio import async_test
from test_console_web import Running
from test_report import fill_bot, fill_tickets

from bot.cli import main
from bot.console._reports import presets
from bot.reports import parse_period, render_csv, ward_report
from handlers import catalogue

FIGURE = re.compile(r'data-key="([^"]*)" data-value="([^"]*)"')
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def filled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The report tests' stores in the data directory the bot will open; the command line reads
    the same directory (``WARDBOT_DATA_DIR``, no ``bot.toml``)."""
    data = tmp_path / "data"
    data.mkdir()
    asyncio.run(fill_tickets(data / "tickets.sqlite3"))
    asyncio.run(fill_bot(data / "wardbot.sqlite3"))
    monkeypatch.setenv("WARDBOT_DATA_DIR", str(data))
    monkeypatch.chdir(tmp_path)
    return data


def page_figures(page: str) -> dict[str, str]:
    """Every figure of the page: its ``section|item|metric`` key and raw value."""
    figures = [(html.unescape(key), html.unescape(value)) for key, value in FIGURE.findall(page)]
    shown = dict(figures)
    assert len(shown) == len(figures), "a figure shown twice"
    return shown


@async_test
async def test_the_page_shows_the_commands_figures_for_the_same_period(
    filled: Path, tmp_path: Path, tiny_kb: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with Running(tmp_path, tiny_kb) as bot, bot.client() as client:
        await bot.add_user("admin", "admin")
        await bot.add_user("lan", "official")
        await client.login("lan")  # officials prepare the reports: they may open them
        status, html, response = await client.get("/console/reports?period=2026-Q2")
    assert status == 200 and "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "<style" not in html and "style=" not in html  # the report's own HTML is not embedded
    # `wardbot report --period 2026-Q2 --format csv`, run now (the quarter is over for both clocks).
    assert main(["report", "--period", "2026-Q2", "--format", "csv"]) == 0
    _, *rows = csv.reader(io.StringIO(capsys.readouterr().out))
    from_cli = {f"{section}|{item}|{metric}": value for section, item, metric, value, *_ in rows}
    assert page_figures(html) == from_cli
    assert from_cli["on_time||rate"] == "0.5" and "50.0 %" in html
    # People read Vietnamese labels; a late ticket links to its page; a citizen's question is text.
    report = ward_report(bot.config, parse_period("2026-Q2"), now=bot.clock())
    for item in report.late:
        assert f'href="/console/tickets/{item.code}"' in html
    assert catalogue.REPORT_SECTIONS["sipas"] in html and "Tiếp cận dịch vụ" in html
    # The bot's start purged the questions past their retention: an empty section says so.
    assert not [key for key in from_cli if key.startswith("unanswered|")]
    unanswered = html.split('id="section-unanswered"')[1].split("</section>")[0]
    assert catalogue.CONSOLE_REPORTS_NONE in unanswered
    assert 'src="/console/reports/chart?period=2026-Q2"' in html


@async_test
async def test_the_period_select_offers_the_commands_periods_and_a_free_field(
    filled: Path, tmp_path: Path, tiny_kb: Path
) -> None:
    async with Running(tmp_path, tiny_kb) as bot, bot.client() as client:
        await bot.add_user("admin", "admin")
        await bot.add_user("thu", "leader")
        await client.login("thu")
        status, html, _ = await client.get("/console/reports")  # this quarter by default
        assert status == 200
        offered = re.findall(r'<option value="([^"]+)"', html)
        # The clock is on 20/11/2026.
        assert offered == ["2026-11", "2026-10", "2026-Q4", "2026-Q3", "2026-H2", "2026-H1", "2026", "2025"]
        assert [p for _, p in presets(bot.clock())] == offered
        for text in offered:
            parse_period(text)  # each is a period the command accepts
        assert '<option value="2026-Q4" selected>' in html
        assert catalogue.CONSOLE_REPORTS_HEADING.format(period="2026-Q4") in html
        # Any period the command accepts, typed: kept in the free field.
        status, html, _ = await client.get("/console/reports?period=2026-04-01..2026-05-15")
        assert status == 200 and 'value="2026-04-01..2026-05-15"' in html
        assert "01/04/2026–15/05/2026" in html
        # January: the previous month, quarter and half-year are last year's.
        assert [p for _, p in presets(dt.datetime(2027, 1, 2, tzinfo=dt.UTC))] == [
            "2027-01", "2026-12", "2027-Q1", "2026-Q4", "2027-H1", "2026-H2", "2027", "2026",
        ]  # fmt: skip


@async_test
async def test_a_period_the_command_refuses_is_explained_in_vietnamese(tmp_path: Path, tiny_kb: Path) -> None:
    async with Running(tmp_path, tiny_kb) as bot, bot.client() as client:
        await bot.add_user("admin", "admin")
        await client.login("admin")
        for text in ("2026-Q5", "quý 3", "2026-09-30..2026-07-01", "<b>2026</b>"):
            async with client.http.get("/console/reports", params={"period": text}) as response:
                page = await response.text()
                assert response.status == 400, text
            escaped = html.escape(text, quote=True)
            assert html.escape(catalogue.CONSOLE_REPORTS_BAD_PERIOD.format(text=text), quote=True) in page
            assert f'value="{escaped}"' in page  # kept in the field, to be corrected
            async with client.http.get("/console/reports/download", params={"period": text, "format": "csv"}) as r:
                assert r.status == 400 and html.escape(catalogue.CONSOLE_REPORTS_BAD_PERIOD.format(text=text)) in (
                    await r.text()
                )
        async with client.http.get("/console/reports/download", params={"period": "2026", "format": "pdf"}) as r:
            assert r.status == 400 and catalogue.CONSOLE_REPORTS_BAD_FORMAT in await r.text()
        assert bot.app.console is not None
        entries, _ = await bot.app.console.store.audit()
        assert not [e for e in entries if e.action == "report.download"]


@async_test
async def test_each_download_is_the_commands_rendering_typed_named_and_audited(
    filled: Path, tmp_path: Path, tiny_kb: Path
) -> None:
    from openpyxl import load_workbook

    async with Running(tmp_path, tiny_kb) as bot, bot.client() as client:
        await bot.add_user("admin", "admin")
        await bot.add_user("thu", "leader")
        await client.login("thu")
        report = ward_report(bot.config, parse_period("2026-Q2"), now=bot.clock())
        bodies: dict[str, bytes] = {}
        for kind, content_type in (
            ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            ("csv", "text/csv; charset=utf-8"),
            ("html", "text/html; charset=utf-8"),
            ("png", "image/png"),
        ):
            path = f"/console/reports/download?period=2026-Q2&format={kind}"
            async with client.http.get(path) as response:
                assert response.status == 200, kind
                assert response.headers["Content-Type"] == content_type
                assert response.headers["Content-Disposition"] == f'attachment; filename="bao-cao-2026-Q2.{kind}"'
                bodies[kind] = await response.read()
        async with client.http.get("/console/reports/download?period=2026-04-01..2026-04-30&format=csv") as response:
            assert response.headers["Content-Disposition"] == 'attachment; filename="bao-cao-2026-04-01_2026-04-30.csv"'
        async with client.http.get("/console/reports/chart?period=2026-Q2") as response:
            assert response.headers["Content-Type"] == "image/png" and (await response.read()).startswith(PNG_MAGIC)
        assert bot.app.console is not None
        entries, _ = await bot.app.console.store.audit()
    downloads = [(e.actor, e.target, e.detail) for e in entries if e.action == "report.download"]
    assert sorted(downloads) == sorted(
        [("console:thu", "2026-Q2", kind) for kind in ("xlsx", "csv", "html", "png")]
        + [("console:thu", "2026-04-01..2026-04-30", "csv")]
    )  # the chart shown in the page is not a download
    # CSV: the command's, with a byte order mark for Excel.
    assert bodies["csv"].startswith(b"\xef\xbb\xbf")
    assert bodies["csv"].decode("utf-8-sig") == render_csv(report)
    assert list(csv.reader(io.StringIO(bodies["csv"].decode("utf-8-sig"))))[1][:4] == ["tickets", "", "received", "6"]
    # XLSX: one sheet per section, the figures in it.
    workbook = load_workbook(io.BytesIO(bodies["xlsx"]))
    assert workbook.sheetnames[0] == catalogue.REPORT_SECTIONS["tickets"]
    first = workbook.worksheets[0]
    assert (first["B2"].value, first["C2"].value) == (catalogue.REPORT_METRICS["received"], 6)
    # HTML: the report's page, rows keyed; PNG: an image.
    assert 'data-section="on_time" data-item="" data-metric="rate"' in bodies["html"].decode()
    assert bodies["png"].startswith(PNG_MAGIC)


@async_test
async def test_the_reports_pages_need_a_login(tmp_path: Path, tiny_kb: Path) -> None:
    async with Running(tmp_path, tiny_kb) as bot, bot.client() as client:
        await bot.add_user("admin", "admin")
        for path in ("/console/reports", "/console/reports/download?period=2026&format=csv", "/console/reports/chart"):
            status, _, response = await client.get(path)
            assert status == 302 and response.headers["Location"] == "/console/login"
