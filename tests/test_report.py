"""``wardbot report``: a simulated second quarter of 2026 (Giỗ Tổ on 27/4, 30/4–1/5 off) in
temporary stores, its figures checked exactly, and every format read back to the same numbers."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fakes.clocks import ManualClock
from fakes.storage import log_turn

from bot.cli import main
from bot.reports import (
    Period,
    PeriodError,
    TimeStats,
    build_report,
    format_value,
    parse_period,
    render_csv,
    render_html,
    render_png,
    render_text,
    render_xlsx,
)
from bot.storage import OFFICIALS_OUTCOME, Storage
from handlers import IncomingMessage, catalogue
from tickets import WARD_TZ, Category, TicketStore, WorkingCalendar

Q2 = parse_period("2026-Q2")
LATER = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)  # "now" for reports on the finished quarter
CALENDAR = WorkingCalendar.from_file()


def vn(month: int, day: int, hour: int = 8, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=WARD_TZ)


async def fill_tickets(path: Path) -> None:
    """Seven tickets: one carried over from March, five received in Q2 and one in July.

    T0 question/web   30/3, due 2/4,  closed 2/4            on time (carried over)
    T1 feedback/tg    23/4, due 29/4 (27/4 is off), closed 28/4  on time
    T2 feedback/web   29/4, due 5/5 (30/4–1/5 off), apology + later due, closed 6/5  late
    T3 question/tg    11/5, due 12/5, closed 11/5, reopened, closed again 13/5     late
    T4 feedback/tg    1/6,  due 8/6,  closed 2/6            on time
    T5 feedback/web   22/6, due 6/7                         open, due after the quarter
    T6 feedback/tg    23/6, due 24/6, a note, never answered  open and late
    T7 feedback/web   2/7                                   after the quarter
    """
    clock = ManualClock()
    async with await TicketStore.open(path, clock=clock) as store:

        async def at(moment: dt.datetime, action, *args, **kwargs):
            clock.now = moment.astimezone(dt.UTC)
            return await action(*args, **kwargs)

        async def ticket(category: Category, channel: str, received: dt.datetime, days: int) -> str:
            due = CALENDAR.due(received, days)
            created = await at(
                received,
                store.create,
                category,
                channel=channel,
                chat_id="c",
                user="u",
                text="t",
                due_at=due,
                received_at=received,
            )
            return created.code

        async def answer(code: str, replied: dt.datetime, closed: dt.datetime) -> None:
            await at(replied, store.reply, code, "Trả lời", actor="cli:lan", expected_version=None)
            await at(closed, store.close_ticket, code, actor="cli:lan", expected_version=None)

        async def note(code: str, moment: dt.datetime, data: dict) -> None:
            text = data.pop("text", "ghi chú")
            await at(moment, store.note, code, text, actor="bot", payload=data)

        t0 = await ticket(Category.QUESTION, "web", dt.datetime(2026, 3, 30, 8, tzinfo=WARD_TZ), 3)
        await answer(t0, vn(4, 2, 9), vn(4, 2, 9, 30))

        t1 = await ticket(Category.FEEDBACK, "telegram", vn(4, 23), 3)
        await answer(t1, vn(4, 28, 9), vn(4, 28, 10))
        await note(
            t1,
            vn(4, 28, 10, 5),
            {"text": "", "sipas": {"access": 3, "procedure": 4, "official": 5, "result": 5, "feedback": 3}},
        )

        t2 = await ticket(Category.FEEDBACK, "web", vn(4, 29, 14), 2)
        await note(t2, vn(5, 5, 8), {"text": "Phiếu xin lỗi", "apology": {"reason": "Cần xác minh thực địa"}})
        await at(
            vn(5, 5, 8, 5),
            store.change_due,
            t2,
            vn(5, 7, 17),
            "Hẹn lại ngày trả kết quả",
            actor="cli:lan",
            expected_version=None,
        )
        await answer(t2, vn(5, 6, 9), vn(5, 6, 9, 30))

        t3 = await ticket(Category.QUESTION, "telegram", vn(5, 11), 1)
        await answer(t3, vn(5, 11, 10), vn(5, 11, 10, 30))
        await at(vn(5, 12, 8), store.reopen, t3, "Trả lời chưa đủ", actor="cli:lan", expected_version=None)
        await answer(t3, vn(5, 13, 9), vn(5, 13, 9, 30))

        t4 = await ticket(Category.FEEDBACK, "telegram", vn(6, 1), 5)
        await answer(t4, vn(6, 2, 8, 30), vn(6, 2, 9))
        await note(
            t4,
            vn(6, 2, 9, 5),
            {"text": "", "sipas": {"access": 4, "procedure": 5, "official": 5, "result": 4, "feedback": 5}},
        )

        await ticket(Category.FEEDBACK, "web", vn(6, 22), 10)
        t6 = await ticket(Category.FEEDBACK, "telegram", vn(6, 23), 1)
        await at(vn(6, 25, 9), store.note, t6, "Chờ hồ sơ bổ sung từ phòng Địa chính", actor="cli:lan")
        await ticket(Category.FEEDBACK, "web", vn(7, 2), 3)


async def fill_bot(path: Path) -> None:
    """Seven citizen turns in Q2 (one undelivered) and one officials' turn, votes and unanswered
    questions, and one of each in March."""
    clock = ManualClock(dt.datetime(2026, 3, 20, 2, tzinfo=dt.UTC))
    async with await Storage.open(path, pseudonym_key=b"k", clock=clock) as storage:
        message = IncomingMessage("telegram", "c", "u", text="q")

        async def turn(outcome: str, latency_ms: int | None) -> None:
            await log_turn(storage, clock, channel="telegram", outcome=outcome, latency_ms=latency_ms)

        await turn("answered", 9_000)
        await storage.record_vote(message, "kb-1", False)
        await storage.record_unanswered(message, "Phí đổi GPLX?")
        clock.now = dt.datetime(2026, 5, 20, 2, tzinfo=dt.UTC)
        for outcome, latency_ms in [
            ("answered", 100),
            ("answered", 300),
            ("clarified", 200),
            ("abstained", 500),
            ("escalated", 400),
            ("conversation", 50),
            ("answered", None),
            (OFFICIALS_OUTCOME, 80),  # the officials' group: logged, but not a citizen's message
        ]:
            await turn(outcome, latency_ms)
        for helpful in (True, True, False):
            await storage.record_vote(message, "kb-1", helpful)
        for question in ("Làm CCCD ở đâu?", "làm cccd  ở đâu", "Phí đổi GPLX?"):
            await storage.record_unanswered(message, question)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    asyncio.run(fill_tickets(data / "tickets.sqlite3"))
    asyncio.run(fill_bot(data / "wardbot.sqlite3"))
    monkeypatch.setenv("WARDBOT_DATA_DIR", str(data))
    monkeypatch.chdir(tmp_path)  # no ./bot.toml: defaults
    return data


def report_of(data: Path, period: Period = Q2, now: dt.datetime = LATER):
    return build_report(
        period, tickets_path=data / "tickets.sqlite3", bot_path=data / "wardbot.sqlite3", calendar=CALENDAR, now=now
    )


def test_ticket_counts_and_on_time_rate(data_dir: Path) -> None:
    report = report_of(data_dir)
    assert (report.received, report.closed, report.open) == (6, 5, 2)
    assert (report.due, report.on_time, report.on_time_rate) == (6, 3, 0.5)
    assert report.apologies == 1
    late = [(i.code[-1], i.due_at.astimezone(WARD_TZ), i.closed_at, i.reason) for i in report.late]
    assert late == [
        # The apology's new date (7/5) does not move the deadline: the ticket stays late.
        ("3", vn(5, 5, 17), vn(5, 6, 9, 30), "Hẹn lại ngày trả kết quả"),
        # Closed on time at first, reopened, then closed again after the deadline.
        ("4", vn(5, 12, 17), vn(5, 13, 9, 30), ""),
        ("7", vn(6, 24, 17), None, "Chờ hồ sơ bổ sung từ phòng Địa chính"),
    ]


def test_times_in_working_hours_by_category_and_channel(data_dir: Path) -> None:
    report = report_of(data_dir)
    # First replies: T0 23.5 h, T1 16 h (27/4 off), T2 19.5 h (30/4, 1/5 off), T3 2 h, T4 8 h.
    assert report.first_response == TimeStats(5, 16.0, 23.5, 13.8)
    # Closings: T0 24, T1 17, T2 20, T3 16.5 (its second closing), T4 8.5.
    assert report.resolution == TimeStats(5, 17.0, 24.0, 17.2)
    groups = {(g.dimension, g.key): g for g in report.groups}
    feedback = groups["category", "feedback"]
    assert (feedback.received, feedback.closed) == (5, 3)
    assert feedback.first_response == TimeStats(3, 16.0, 19.5, 14.5)
    assert feedback.resolution == TimeStats(3, 17.0, 20.0, 15.17)
    question = groups["category", "question"]
    assert (question.received, question.closed) == (1, 2)
    assert question.resolution == TimeStats(2, 16.5, 24.0, 20.25)
    web = groups["channel", "web"]
    assert (web.received, web.closed, web.first_response.n) == (2, 2, 2)
    assert (groups["channel", "telegram"].received, groups["channel", "telegram"].closed) == (4, 3)


def test_bot_answers_and_sipas(data_dir: Path) -> None:
    bot = report_of(data_dir).bot
    assert bot.messages == 7
    assert bot.outcomes == {"answered": 3, "clarified": 1, "abstained": 1, "escalated": 1, "conversation": 1}
    assert (bot.undelivered, bot.latency_p50_ms, bot.latency_p95_ms) == (1, 200, 500)
    assert (bot.votes, bot.helpful, bot.helpful_share) == (3, 2, 0.6667)
    # The abstained turn's message ("q") counts as unanswered too: with a ticket desk, questions
    # for officials become tickets, but what the bot could not answer is still listed.
    assert bot.top_unanswered == (("làm cccd ở đâu", 2), ("phí đổi gplx", 1), ("q", 1))
    sipas = [(s.factor, s.mean, s.n) for s in report_of(data_dir).sipas]
    assert sipas == [
        ("access", 3.5, 2),
        ("procedure", 4.5, 2),
        ("official", 5.0, 2),
        ("result", 4.5, 2),
        ("feedback", 4.0, 2),
    ]


def test_a_running_period_does_not_count_deadlines_still_ahead(data_dir: Path) -> None:
    report = report_of(data_dir, now=vn(6, 1, 12).astimezone(dt.UTC))
    # As of 1/6 noon: T4 is received but not due yet, T5-T7 do not exist yet.
    assert (report.received, report.due, report.on_time) == (4, 4, 2)


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2026-Q3", dt.date(2026, 7, 1), dt.date(2026, 9, 30)),
        ("2026-Q4", dt.date(2026, 10, 1), dt.date(2026, 12, 31)),
        ("2026-H1", dt.date(2026, 1, 1), dt.date(2026, 6, 30)),
        ("2026-h2", dt.date(2026, 7, 1), dt.date(2026, 12, 31)),
        ("2026", dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
        ("2026-02", dt.date(2026, 2, 1), dt.date(2026, 2, 28)),
        ("2026-12", dt.date(2026, 12, 1), dt.date(2026, 12, 31)),
        ("2026-02-13..2026-02-27", dt.date(2026, 2, 13), dt.date(2026, 2, 27)),
    ],
)
def test_periods(text: str, first: dt.date, last: dt.date) -> None:
    period = parse_period(text)
    assert (period.first, period.last) == (first, last)
    assert period.start == dt.datetime.combine(first, dt.time(), tzinfo=WARD_TZ)
    assert period.end - period.start == dt.timedelta(days=(last - first).days + 1)


@pytest.mark.parametrize(
    "text", ["2026-Q5", "2026-H3", "2026-13", "2026-00", "26", "2026-09-30..2026-07-01", "2026-07-01..x", "Q3"]
)
def test_bad_periods_are_one_line_and_exit_2(text: str, tmp_path, monkeypatch, capsys) -> None:
    with pytest.raises(PeriodError):
        parse_period(text)
    monkeypatch.chdir(tmp_path)
    assert main(["report", "--period", text]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("wardbot: report: --period")


class _RowsFromHtml(HTMLParser):
    """The report rows of the HTML page, from each row's data attributes and its value cell."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[str, str, str, str]] = []
        self._row: dict[str, str] | None = None
        self._cells: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "tr" and "data-section" in attributes:
            self._row, self._cells = attributes, []
        elif tag == "td" and self._row is not None:
            self._cells.append("")

    def handle_data(self, data):
        if self._row is not None and self._cells:
            self._cells[-1] += data

    def handle_endtag(self, tag):
        if tag == "tr" and self._row is not None:
            row = self._row
            self.rows.append((row["data-section"], row["data-item"], row["data-metric"], self._cells[-1]))
            self._row = None


def test_csv_xlsx_html_and_text_agree(data_dir: Path, tmp_path: Path, capsys) -> None:
    from openpyxl import load_workbook

    report = report_of(data_dir)
    expected = [(s, i, m, format_value(v)) for s, i, m, v in report.rows()]
    assert ("on_time", "", "rate", "0.5") in expected

    header, *rows = [tuple(r) for r in csv.reader(io.StringIO(render_csv(report)))]
    assert header == ("section", "item", "metric", "value", "section_label", "item_label", "metric_label")
    assert [row[:4] for row in rows] == expected  # the keys and raw values machines read
    labels = {row[:3]: row[4:] for row in rows}
    # People read Vietnamese: never a machine key as a label.
    assert labels["times", "all", "first_response_p50"] == ("Thời gian (giờ làm việc)", "Tất cả", "Phản hồi đầu tiên p50 (giờ)")
    assert labels["times", "category=feedback", "received"][1] == "Loại: Phản ánh, kiến nghị"
    assert labels["bot", "outcome", "answered"][1:] == ("Kết quả trả lời", "trả lời")
    assert labels["on_time", "", "on_time"] == ("Đúng hạn", "", "Đúng hạn")

    render_xlsx(report, tmp_path / "report.xlsx")
    workbook = load_workbook(tmp_path / "report.xlsx")
    assert workbook.sheetnames == [catalogue.REPORT_SECTIONS[key] for key in
                                   ("tickets", "on_time", "late", "times", "bot", "unanswered", "sipas")]  # fmt: skip
    from_xlsx = [
        (item or "", metric, format_value(value))
        for sheet in workbook.worksheets
        for item, metric, value in sheet.iter_rows(min_row=2, values_only=True)
    ]
    assert [(item, metric) for item, metric, _ in from_xlsx] == [(row[5], row[6]) for row in rows]
    assert ("PA-2026-000003", "Loại", "Phản ánh, kiến nghị") in from_xlsx  # values named too
    assert workbook.worksheets[0]["A1"].value == "Mục"
    keys = {cell for row in from_xlsx for cell in row[:2]}
    assert not keys & {"all", "on_time", "outcome", "category=feedback", "first_response_p50"}

    page = render_html(report)
    parser = _RowsFromHtml()
    parser.feed(page)
    shown = {"feedback": "Phản ánh, kiến nghị", "question": "Câu hỏi chuyển cán bộ", "web": "Trang web", "telegram": "Telegram"}
    assert parser.rows == [(s, i, m, shown.get(v, v) if m in ("category", "channel") else v) for s, i, m, v in expected]
    assert "data:image/png;base64," in page and "http" not in page.replace('lang="vi"', "")

    text = render_text(report)
    for line in [
        "Tiếp nhận: 6; đã đóng: 5; còn mở cuối kỳ: 2",
        "Phiếu xin lỗi đã gửi: 1",
        "Tỷ lệ đúng hạn: 50.0 % (3/6 hồ sơ đến hạn trong kỳ)",
        "Phản hồi đầu tiên: p50 16 h, p95 23.5 h, TB 13.8 h (n=5)",
        "Tỷ lệ 👍: 66.7 % (2/3 lượt đánh giá)",
        "2 × làm cccd ở đâu",
        "Tiếp cận dịch vụ: 3.5 (n=2)",
    ]:
        assert line in text

    # The command line writes the same CSV.
    assert main(["report", "--period", "2026-Q2", "--format", "csv"]) == 0
    assert capsys.readouterr().out == render_csv(report)


def test_png_and_files_from_the_command_line(data_dir: Path, tmp_path: Path, capsys) -> None:
    png = render_png(report_of(data_dir))
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and 20_000 < len(png) < 1_000_000
    assert main(["report", "--period", "2026-Q2", "--format", "png"]) == 2
    assert "needs --out" in capsys.readouterr().err
    assert main(["report", "--period", "2026-Q2", "--format", "png", "--out", str(tmp_path / "r.png")]) == 0
    assert (tmp_path / "r.png").read_bytes().startswith(b"\x89PNG")
    assert main(["report", "--period", "2026-Q2", "--format", "xlsx", "--out", str(tmp_path / "r.xlsx")]) == 0
    assert (tmp_path / "r.xlsx").stat().st_size > 0


def test_missing_stores_report_zeros(tmp_path: Path, monkeypatch, capsys) -> None:
    report = report_of(tmp_path)
    assert (report.received, report.due, report.on_time_rate, report.bot.messages, report.sipas) == (0, 0, None, 0, ())
    assert not (tmp_path / "tickets.sqlite3").exists()  # reading never creates a store
    monkeypatch.setenv("WARDBOT_DATA_DIR", str(tmp_path / "nothing"))
    monkeypatch.chdir(tmp_path)
    assert main(["report", "--period", "2026"]) == 0
    assert "Tiếp nhận: 0; đã đóng: 0; còn mở cuối kỳ: 0" in capsys.readouterr().out


def test_an_empty_period_charts_from_zero_in_whole_numbers(data_dir: Path) -> None:
    from bot.reports._render import chart_figure

    empty = report_of(data_dir, parse_period("2025-Q1"))
    assert (empty.received, empty.bot.messages) == (0, 0)
    for axes in chart_figure(empty).axes:
        bottom, top = axes.get_ylim()
        assert bottom == 0 and top >= 1
        assert all(tick >= 0 for tick in axes.get_yticks() if bottom <= tick <= top)
    on_time, bot, _ = chart_figure(empty).axes
    assert all(float(t).is_integer() for axes in (on_time, bot) for t in axes.get_yticks())
