"""Working days and deadlines as Bộ luật Dân sự 2015 Art. 147-148 count them, on the holidays of
Bộ luật Lao động 2019 Art. 111-112 and the government's swaps, 2025-2027, and the admin's checks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import holidays
import pytest

from bot._config import ConfigError, load_config
from bot.cli import main
from tickets import WARD_TZ, Override, OverridesError, WorkingCalendar, load_overrides

HEADER = "date,kind,reason\n"


def at(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    """A moment in ward time."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=WARD_TZ)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@pytest.fixture(scope="module")
def calendar() -> WorkingCalendar:
    """The calendar a ward gets out of the box: holidays.VN plus the bundled overrides (24/11)."""
    return WorkingCalendar.from_file()


@pytest.fixture
def overrides_file(tmp_path: Path):
    def write(rows: str, name: str = "overrides.csv") -> Path:
        path = tmp_path / name
        path.write_text(rows, encoding="utf-8")
        return path

    return write


# -- the year tables --------------------------------------------------------------------------

# Weekdays off and Saturdays worked, as holidays==0.109 gives them (the government's notices for 2025
# and 2026; 2027 is rule-computed).
WEEKDAYS_OFF = {
    2025: "01-01 01-27 01-28 01-29 01-30 01-31 04-07 04-30 05-01 05-02 09-01 09-02",
    2026: "01-01 02-16 02-17 02-18 02-19 02-20 04-27 04-30 05-01 08-31 09-01 09-02 11-24",
    2027: "01-01 02-04 02-05 02-08 02-09 02-10 04-16 04-30 05-03 09-02 09-03 11-24",
}
SATURDAYS_WORKED = {2025: {"04-26"}, 2026: {"08-22"}, 2027: set()}


def test_the_pinned_holidays_package_is_the_one_checked_against_domain_md() -> None:
    assert holidays.__version__ == "0.109"
    # The calendar drops the package's own 24/11 by this name; a rename would bring it back unnoticed.
    assert holidays.VN(years=2026, language="en_US").get(d("2026-11-24")) == "Vietnam Cultural Day"


@pytest.mark.parametrize("year", [2025, 2026, 2027])
def test_each_year_matches_the_table(calendar: WorkingCalendar, year: int) -> None:
    days = [dt.date(year, 1, 1) + dt.timedelta(days=i) for i in range(366 if year % 4 == 0 else 365)]
    weekdays_off = {f"{day:%m-%d}" for day in days if day.weekday() < 5 and not calendar.is_working_day(day)}
    weekend_worked = {f"{day:%m-%d}" for day in days if day.weekday() >= 5 and calendar.is_working_day(day)}
    assert weekdays_off == set(WEEKDAYS_OFF[year].split())
    assert weekend_worked == SATURDAYS_WORKED[year]


def test_working_days_between_does_not_count_the_first_day(calendar: WorkingCalendar) -> None:
    assert calendar.working_days_between(d("2026-02-13"), d("2026-02-13")) == 0
    assert calendar.working_days_between(d("2026-02-13"), d("2026-02-27")) == 5  # Tết 16-20/2 skipped
    assert calendar.working_days_between(d("2025-04-24"), d("2025-04-28")) == 3  # Sat 26/4 worked
    # 261 weekdays in 2026, 13 of them off, one Saturday worked.
    assert calendar.working_days_between(d("2025-12-31"), d("2026-12-31")) == 249
    with pytest.raises(ValueError, match="before the start"):
        calendar.working_days_between(d("2026-02-27"), d("2026-02-13"))


# -- deadlines in days ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "amount", "due"),
    [
        # worked examples: the day of receipt is not counted (Art. 147)
        (at(2026, 2, 13), 5, at(2026, 2, 27, 17)),  # Fri; Tết skipped
        (at(2025, 4, 24), 3, at(2025, 4, 28, 17)),  # Thu; Sat 26/4 counts
        (at(2026, 8, 21), 2, at(2026, 8, 24, 17)),  # Fri; Sat 22/8 counts
        # Giỗ Tổ 2026 falls on a Sunday: Monday 27/4 is off instead
        (at(2026, 4, 24), 1, at(2026, 4, 28, 17)),
        # 30/4, 1/5 and the 2/5 swap day, then the weekend
        (at(2025, 4, 29), 1, at(2025, 5, 5, 17)),
        # the 31/8 swap day and Quốc khánh 1-2/9/2026
        (at(2026, 8, 26), 3, at(2026, 9, 3, 17)),
        # 2027: 1/5 on a Saturday, observed Monday 3/5; Quốc khánh 2-3/9
        (at(2027, 4, 29), 1, at(2027, 5, 4, 17)),
        (at(2027, 9, 1), 1, at(2027, 9, 6, 17)),
        # Tết 2027 runs 4/2-10/2
        (at(2027, 2, 3), 1, at(2027, 2, 11, 17)),
        # 24/11 Ngày Văn hóa Việt Nam (the bundled override row)
        (at(2026, 11, 23), 1, at(2026, 11, 25, 17)),
        # received on a rest day or after hours: that day is still the one not counted
        (at(2026, 2, 14), 1, at(2026, 2, 23, 17)),
        (at(2026, 3, 6, 20), 1, at(2026, 3, 9, 17)),
    ],
)
def test_due_in_working_days(calendar: WorkingCalendar, received: dt.datetime, amount: int, due: dt.datetime) -> None:
    assert calendar.due(received, amount, "days") == due


def test_due_answers_in_ward_time_whatever_the_input_zone(calendar: WorkingCalendar) -> None:
    # 20:00 UTC on Thursday is 03:00 on Friday in Hà Nội: Friday is the day of receipt.
    received = dt.datetime(2026, 2, 12, 20, 0, tzinfo=dt.UTC)
    due = calendar.due(received, 5)
    assert due == at(2026, 2, 27, 17) and due.utcoffset() == dt.timedelta(hours=7)


def test_due_refuses_bad_arguments(calendar: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        calendar.due(dt.datetime(2026, 2, 13, 9), 5)
    with pytest.raises(ValueError, match="positive"):
        calendar.due(at(2026, 2, 13), 0)
    with pytest.raises(ValueError, match="unit"):
        calendar.due(at(2026, 2, 13), 1, "weeks")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ends"):
        calendar.due(at(2026, 2, 13), 1, paused=[(at(2026, 2, 13, 10), at(2026, 2, 13, 9))])


# -- deadlines in hours -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "hours", "due"),
    [
        (at(2026, 3, 2, 7, 30), 4, at(2026, 3, 2, 11, 30)),  # a full morning ends at its close, not after lunch
        (at(2026, 3, 2, 10, 30), 2, at(2026, 3, 2, 14, 30)),  # across lunch
        (at(2026, 3, 2, 12, 0), 1, at(2026, 3, 2, 14, 30)),  # received at lunch
        (at(2026, 3, 2, 6, 0), 1, at(2026, 3, 2, 8, 30)),  # before opening
        (at(2026, 3, 2, 18, 0), 1, at(2026, 3, 3, 8, 30)),  # evening: next working morning
        (at(2026, 3, 6, 16, 30), 1, at(2026, 3, 9, 8, 0)),  # Friday evening: Monday
        (at(2026, 3, 7, 10, 0), 8, at(2026, 3, 10, 8, 0)),  # received on a Saturday; 7.5 h a day
        (at(2026, 2, 13, 16, 0), 8, at(2026, 2, 23, 16, 30)),  # Tết in between
        (at(2026, 8, 21, 16, 0), 2, at(2026, 8, 22, 8, 30)),  # the worked Saturday 22/8
    ],
)
def test_due_in_working_hours(calendar: WorkingCalendar, received: dt.datetime, hours: int, due: dt.datetime) -> None:
    assert calendar.due(received, hours, "hours") == due


def test_working_hours_are_configurable() -> None:
    mornings = WorkingCalendar(hours=[(dt.time(8, 0), dt.time(12, 0))])
    assert mornings.due(at(2026, 3, 2, 11, 0), 2, "hours") == at(2026, 3, 3, 9, 0)
    assert mornings.due(at(2026, 3, 2), 1) == at(2026, 3, 3, 12, 0)  # a day ends when the last session does
    overlapping = r"session 2 \(11:00-17:00\) must open after session 1 \(08:00-12:00\) closes: .* do not overlap"
    with pytest.raises(ValueError, match=overlapping):
        WorkingCalendar(hours=[(dt.time(8, 0), dt.time(12, 0)), (dt.time(11, 0), dt.time(17, 0))])
    with pytest.raises(ValueError, match=r"session 2 \(07:30-11:30\) must open after session 1 \(13:30-17:00\)"):
        WorkingCalendar(hours=[(dt.time(13, 30), dt.time(17, 0)), (dt.time(7, 30), dt.time(11, 30))])
    with pytest.raises(ValueError, match=r"session 1 \(12:00-08:00\) must open before it closes"):
        WorkingCalendar(hours=[(dt.time(12, 0), dt.time(8, 0))])
    with pytest.raises(ValueError, match="at least one"):
        WorkingCalendar(hours=[])
    # Back to back is allowed: a session may open the moment the previous one closes.
    back_to_back = WorkingCalendar(hours=[(dt.time(8, 0), dt.time(12, 0)), (dt.time(12, 0), dt.time(16, 0))])
    assert back_to_back.due(at(2026, 3, 2, 11, 0), 2, "hours") == at(2026, 3, 2, 13, 0)


# -- pauses while waiting for the citizen -----------------------------------------------------


def test_paused_working_hours_do_not_count(calendar: WorkingCalendar) -> None:
    received = at(2026, 3, 2, 8, 0)
    assert calendar.due(received, 4, "hours") == at(2026, 3, 2, 14, 0)
    paused = [(at(2026, 3, 2, 9, 0), at(2026, 3, 2, 10, 0))]
    assert calendar.due(received, 4, "hours", paused=paused) == at(2026, 3, 2, 15, 0)
    # Overlapping pauses count once; a pause outside working hours changes nothing.
    overlapping = [*paused, (at(2026, 3, 2, 9, 30), at(2026, 3, 2, 10, 0)), (at(2026, 3, 2, 18), at(2026, 3, 3, 7))]
    assert calendar.due(received, 4, "hours", paused=overlapping) == at(2026, 3, 2, 15, 0)
    # Paused over a whole afternoon and the next morning.
    long_pause = [(at(2026, 3, 2, 11, 0), at(2026, 3, 3, 11, 30))]
    assert calendar.due(received, 4, "hours", paused=long_pause) == at(2026, 3, 3, 14, 30)


def test_paused_days_resume_like_a_fresh_receipt(calendar: WorkingCalendar) -> None:
    received = at(2026, 3, 2)  # Monday
    assert calendar.due(received, 3) == at(2026, 3, 5, 17)
    # Asked the citizen on Tuesday, answered Thursday: Wednesday and Thursday do not count.
    paused = [(at(2026, 3, 3, 10), at(2026, 3, 5, 9))]
    assert calendar.due(received, 3, paused=paused) == at(2026, 3, 9, 17)
    # Asked and answered the same day: no working day lost.
    assert calendar.due(received, 3, paused=[(at(2026, 3, 3, 10), at(2026, 3, 3, 15))]) == at(2026, 3, 5, 17)


# -- overrides --------------------------------------------------------------------------------


def test_an_extra_day_off_a_working_saturday_and_a_closure(overrides_file) -> None:
    path = overrides_file(
        "# a comment, then the header\n\n"
        + HEADER
        + "2026-03-03,day_off,Nghỉ bù theo quyết định của Thủ tướng\n"
        + '2026-03-07,working_day,"Làm bù thứ Bảy, theo thông báo"\n'
        + "2026-03-10,closure,Trụ sở mất điện\n"
    )
    rows = load_overrides(path)
    assert rows[1] == Override(d("2026-03-07"), "working_day", "Làm bù thứ Bảy, theo thông báo")
    calendar = WorkingCalendar(rows)
    assert not calendar.is_working_day(d("2026-03-03"))
    assert calendar.is_working_day(d("2026-03-07"))
    assert not calendar.is_working_day(d("2026-03-10"))
    # Mon 2/3 + 4: Wed 4, Thu 5, Fri 6, Sat 7 (worked); then 9 and 11 around the closure.
    assert calendar.due(at(2026, 3, 2), 4) == at(2026, 3, 7, 17)
    assert calendar.due(at(2026, 3, 2), 6) == at(2026, 3, 11, 17)
    assert calendar.working_days_between(d("2026-03-02"), d("2026-03-13")) == 8


def test_24_november_is_a_row_an_admin_can_delete_or_cancel_for_one_year(calendar, overrides_file) -> None:
    assert not calendar.is_working_day(d("2026-11-24"))
    without = WorkingCalendar.from_file(overrides_file(HEADER))
    assert without.is_working_day(d("2026-11-24")) and without.is_working_day(d("2027-11-24"))
    assert without.due(at(2026, 11, 23), 1) == at(2026, 11, 24, 17)

    one_year_off = WorkingCalendar.from_file(
        overrides_file(
            HEADER
            + "2026-11-24,yearly_day_off,Ngày Văn hóa Việt Nam\n"
            + "2027-11-24,working_day,Không nghỉ năm 2027\n"
        )
    )
    assert not one_year_off.is_working_day(d("2026-11-24"))
    assert one_year_off.is_working_day(d("2027-11-24"))
    assert not one_year_off.is_working_day(d("2028-11-24"))
    assert one_year_off.is_working_day(d("2025-11-24"))  # not before its first year


def test_a_yearly_day_off_on_a_weekend_moves_to_the_next_working_day(calendar: WorkingCalendar) -> None:
    assert not calendar.is_working_day(d("2029-11-26"))  # 24/11/2029 is a Saturday
    assert calendar.is_working_day(d("2029-11-27"))
    assert not calendar.is_working_day(d("2030-11-25"))  # 24/11/2030 is a Sunday


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("date,kind\n", 1, "header line"),
        (HEADER + "2026-13-01,day_off,x\n", 2, "date: expected YYYY-MM-DD"),
        (HEADER + "2026-03-03,holiday,x\n", 2, "kind: expected one of"),
        (HEADER + "2026-03-03,day_off,\n", 2, "reason: must not be empty"),
        (HEADER + "2026-03-03,day_off\n", 2, "expected 3 columns"),
        ("# c\n" + HEADER + "2026-03-03,day_off,x\n\n2026-03-03,closure,y\n", 5, "already has a row on line 3"),
        (HEADER + "2024-02-29,yearly_day_off,x\n", 2, "29 February"),
    ],
)
def test_override_file_errors_name_the_file_and_line(overrides_file, text: str, line: int, message: str) -> None:
    path = overrides_file(text)
    with pytest.raises(OverridesError, match=message) as caught:
        load_overrides(path)
    assert str(caught.value).startswith(f"{path}:{line}: ")


def test_an_empty_or_missing_override_file_is_an_error(overrides_file, tmp_path: Path) -> None:
    with pytest.raises(OverridesError, match="empty"):
        load_overrides(overrides_file("# only a comment\n"))
    with pytest.raises(OverridesError, match="cannot read"):
        load_overrides(tmp_path / "missing.csv")


# -- configuration and command line -----------------------------------------------------------


def test_the_overrides_path_is_relative_to_the_config_file(tmp_path: Path, overrides_file) -> None:
    overrides_file(HEADER, name="lich.csv")
    config = tmp_path / "bot.toml"
    config.write_text('[calendar]\noverrides = "lich.csv"\n', encoding="utf-8")
    assert load_config(config, environ={}).calendar.overrides == str(tmp_path / "lich.csv")
    config.write_text('[calendar]\noverrides = "nowhere.csv"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="calendar.overrides: no such file"):
        load_config(config, environ={})
    config.write_text("", encoding="utf-8")
    assert load_config(config, environ={}).calendar.overrides == ""  # the bundled file


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No bot.toml of the repository: tests choose every path."""
    path = tmp_path / "bot.toml"
    path.write_text("", encoding="utf-8")
    monkeypatch.setenv("WARDBOT_CONFIG", str(path))
    return path


@pytest.mark.parametrize(
    ("argv", "printed"),
    [
        (["due", "2026-02-13T09:00", "5"], "2026-02-27T17:00:00+07:00"),
        (["due", "2025-04-24", "3", "--unit", "days"], "2025-04-28T17:00:00+07:00"),
        (["due", "2026-08-21T09:00+07:00", "2"], "2026-08-24T17:00:00+07:00"),
        (["due", "2026-02-13T16:00", "8", "--unit", "hours"], "2026-02-23T16:30:00+07:00"),
        (["due", "2026-03-02T01:00:00+00:00", "2", "--unit", "hours"], "2026-03-02T10:00:00+07:00"),
        (["days", "2026-02-13", "2026-02-27"], "5"),
    ],
)
def test_the_calendar_command_prints_one_line(config, capsys, argv: list[str], printed: str) -> None:
    assert main(["calendar", *argv]) == 0
    assert capsys.readouterr().out == printed + "\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["due", "13/2/2026", "5"], "RECEIVED_AT: expected a date"),
        (["due", "2026-02-13", "five"], "N: expected a whole number of days"),
        (["due", "2026-02-13", "0"], "positive"),
        (["days", "2026-02-13", "2026-02-30"], "TO: expected a date"),
        (["days", "2026-02-27", "2026-02-13"], "before the start"),
    ],
)
def test_bad_calendar_input_is_one_line_and_exit_2(config, capsys, argv: list[str], message: str) -> None:
    assert main(["calendar", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and message in captured.err


def test_the_calendar_command_uses_the_configured_overrides(config: Path, overrides_file, capsys) -> None:
    overrides_file(HEADER + "2026-02-23,closure,Lũ\n", name="lich.csv")
    config.write_text('[calendar]\noverrides = "lich.csv"\n', encoding="utf-8")
    assert main(["calendar", "days", "2026-02-13", "2026-02-27"]) == 0
    assert capsys.readouterr().out == "4\n"
    overrides_file("date,kind,reason\n2026-02-23,closed,Lũ\n", name="lich.csv")
    assert main(["calendar", "days", "2026-02-13", "2026-02-27"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "lich.csv:2: kind" in err


def test_the_calendar_command_counts_the_configured_office_hours(config: Path, overrides_file, capsys) -> None:
    overrides_file(HEADER + "2026-03-03,closure,Lũ\n", name="lich.csv")
    config.write_text('[calendar]\noverrides = "lich.csv"\nhours = [["08:00", "12:00"]]\n', encoding="utf-8")
    # Monday 11:00 plus 2 mornings-only hours: one on Monday, Tuesday closed, one on Wednesday.
    assert main(["calendar", "due", "2026-03-02T11:00", "2", "--unit", "hours"]) == 0
    assert capsys.readouterr().out == "2026-03-04T09:00:00+07:00\n"
    assert main(["calendar", "due", "2026-03-02T11:00", "1"]) == 0
    assert capsys.readouterr().out == "2026-03-04T12:00:00+07:00\n"
