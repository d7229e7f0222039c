"""Unit tests of the working calendar and of deadline counting (Điều 134 BLTTHS 2015). Frozen dates only."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from vanthu.models.calendar import EXTRA_DAY_OFF_NAME, WorkCalendar
from vanthu.models.deadlines import DeadlineRule, due, is_urgent

VN = ZoneInfo("Asia/Ho_Chi_Minh")
D = dt.date


def vn(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=VN)  # type: ignore[arg-type, misc]


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar()


# --- calendar ---


def test_tet_2027_is_a_holiday_week_with_vietnamese_names(cal: WorkCalendar) -> None:
    # Tết 2027: Thursday 4 February (29 Tết) to Wednesday 10 February (mùng năm).
    assert [cal.is_working_day(D(2027, 2, d)) for d in range(3, 12)] == [
        True,
        False,
        False,
        False,
        False,
        False,
        False,
        False,
        True,
    ]
    assert cal.holiday_name(D(2027, 2, 6)) == "Tết Nguyên Đán"
    assert cal.holiday_name(D(2027, 2, 8)) == "Mùng ba Tết Nguyên Đán"
    assert cal.holiday_name(D(2027, 2, 3)) is None
    assert cal.holiday_name(D(2026, 9, 2)) == "Quốc khánh"


def test_working_days_across_tet_2027(cal: WorkCalendar) -> None:
    # Received Wednesday 3 February 2027: Thu 4 – Wed 10 are off, so Thu 11, Fri 12, Mon 15.
    assert cal.add_working_days(D(2027, 2, 3), 1) == D(2027, 2, 11)
    assert cal.add_working_days(D(2027, 2, 3), 3) == D(2027, 2, 15)
    assert cal.next_working_day(D(2027, 2, 3)) == D(2027, 2, 11)
    assert cal.working_days_between(D(2027, 2, 3), D(2027, 2, 15)) == 3


def test_working_days_across_a_weekend(cal: WorkCalendar) -> None:
    # Thursday 5 November 2026 + 2 working days: Friday, then Monday 9.
    assert cal.add_working_days(D(2026, 11, 5), 2) == D(2026, 11, 9)
    # From a Saturday, the first working day is Monday; the start day itself never counts.
    assert cal.add_working_days(D(2026, 11, 7), 1) == D(2026, 11, 9)
    assert cal.next_working_day(D(2026, 11, 6)) == D(2026, 11, 9)
    assert cal.add_working_days(D(2026, 11, 7), 0) == D(2026, 11, 7)
    assert not cal.is_working_day(D(2026, 11, 7))
    assert not cal.is_working_day(D(2026, 11, 8))


def test_working_days_across_new_year_and_observed_days(cal: WorkCalendar) -> None:
    # Thu 30 Dec 2027 + 3: Fri 31; Sat 1 Jan 2028 is Tết Dương lịch, observed Monday 3; Tue 4, Wed 5.
    assert cal.add_working_days(D(2027, 12, 30), 3) == D(2028, 1, 5)
    assert cal.holiday_name(D(2028, 1, 3)) == "Tết Dương lịch (nghỉ bù)"


def test_working_days_between_is_the_inverse_of_add(cal: WorkCalendar) -> None:
    start = D(2026, 12, 20)
    for n in range(0, 300, 7):
        end = cal.add_working_days(start, n)
        assert cal.working_days_between(start, end) == n
        assert end == start or cal.is_working_day(end)
    assert cal.working_days_between(D(2027, 2, 15), D(2027, 2, 3)) == -3
    assert cal.working_days_between(D(2026, 11, 9), D(2026, 11, 9)) == 0


def test_worked_saturdays_from_the_holidays_package(cal: WorkCalendar) -> None:
    # Monday 31 August 2026 is off in exchange for Saturday 22 August 2026 (holidays' special_public_holidays).
    assert cal.is_working_day(D(2026, 8, 22))
    assert not cal.is_working_day(D(2026, 8, 31))
    assert cal.holiday_name(D(2026, 8, 31)) == "Ngày nghỉ (thay cho ngày 22/08/2026)"
    assert cal.holiday_name(D(2026, 8, 22)) is None
    assert cal.worked_weekend_days(2024) == [D(2024, 5, 4)]
    assert cal.add_working_days(D(2026, 8, 21), 1) == D(2026, 8, 22)
    # Opting out leaves them to configuration.
    plain = WorkCalendar(use_package_workdays=False)
    assert not plain.is_working_day(D(2026, 8, 22))
    assert plain.worked_weekend_days(2024) == []


def test_extra_days_off_from_configuration() -> None:
    cal = WorkCalendar(extra_days_off={D(2026, 11, 13)})
    assert not cal.is_working_day(D(2026, 11, 13))
    assert cal.holiday_name(D(2026, 11, 13)) == EXTRA_DAY_OFF_NAME
    assert cal.add_working_days(D(2026, 11, 12), 1) == D(2026, 11, 16)
    named = WorkCalendar(extra_days_off={D(2027, 2, 11): "Nghỉ Tết theo thông báo của Chính phủ"})
    assert named.holiday_name(D(2027, 2, 11)) == "Nghỉ Tết theo thông báo của Chính phủ"
    assert named.add_working_days(D(2027, 2, 3), 1) == D(2027, 2, 12)


def test_extra_working_days_from_configuration() -> None:
    # A worked Saturday the package does not know, and a weekday the package wrongly marks as Tết.
    cal = WorkCalendar(extra_working_days={D(2026, 11, 14), D(2027, 2, 10)})
    assert cal.is_working_day(D(2026, 11, 14))
    assert cal.add_working_days(D(2026, 11, 13), 1) == D(2026, 11, 14)
    assert cal.is_working_day(D(2027, 2, 10))
    assert cal.holiday_name(D(2027, 2, 10)) is None
    assert cal.add_working_days(D(2027, 2, 3), 1) == D(2027, 2, 10)
    assert D(2026, 11, 14) in cal.worked_weekend_days(2026)


def test_calendar_refuses_contradictions_and_datetimes() -> None:
    with pytest.raises(ValueError, match="both"):
        WorkCalendar(extra_days_off={D(2026, 11, 13)}, extra_working_days={D(2026, 11, 13)})
    cal = WorkCalendar()
    with pytest.raises(TypeError):
        cal.is_working_day(vn(2026, 11, 13, 9, 0))
    with pytest.raises(ValueError):
        cal.add_working_days(D(2026, 11, 13), -1)


# --- deadlines ---

ARREST = DeadlineRule(12, "hours", "Điều 110 khoản 6 BLTTHS 2015", "Phê chuẩn lệnh bắt khẩn cấp")
DETENTION = DeadlineRule(3, "days", "Điều 119 khoản 5 BLTTHS 2015", "Phê chuẩn lệnh tạm giam")


def test_hours_run_through_the_night_and_the_weekend(cal: WorkCalendar) -> None:
    d = due(ARREST, vn(2026, 11, 14, 20, 0), cal, VN)  # Saturday 20:00
    assert d.due_at == vn(2026, 11, 15, 8, 0)  # Sunday 08:00
    assert d.due_text == "08:00 15/11/2026"
    assert d.text == "12 giờ kể từ khi nhận (Điều 110 khoản 6 BLTTHS 2015)"
    assert d.note == ""
    assert d.summary == "12 giờ kể từ khi nhận (Điều 110 khoản 6 BLTTHS 2015), hạn 08:00 15/11/2026"
    # Through Tết as well, and from a UTC timestamp: the result is shown in Vietnam time.
    tet = due(ARREST, dt.datetime(2027, 2, 5, 13, 0, tzinfo=dt.UTC), cal, VN)
    assert tet.due_at == vn(2027, 2, 6, 8, 0)
    assert tet.due_at.tzinfo == VN


def test_days_count_from_the_next_day_and_end_at_midnight(cal: WorkCalendar) -> None:
    # Received Friday 6 Nov 2026 at 16:00: Sat, Sun, Mon → ends at 24:00 on Monday 9 (a working day).
    d = due(DETENTION, vn(2026, 11, 6, 16, 0), cal, VN)
    assert d.due_at == vn(2026, 11, 9, 23, 59, 59)
    assert d.due_text == "23:59 09/11/2026"
    assert d.rolled_from is None
    assert d.text == "3 ngày kể từ ngày nhận (Điều 119 khoản 5 BLTTHS 2015)"
    # The day of receipt is the Vietnamese date: 18:00 UTC on Thursday is already Friday in Hà Nội.
    late = due(DETENTION, dt.datetime(2026, 11, 5, 18, 0, tzinfo=dt.UTC), cal, VN)
    assert late.due_at == vn(2026, 11, 9, 23, 59, 59)


def test_days_ending_on_a_day_off_stay_the_last_day(cal: WorkCalendar) -> None:
    # Điều 134 khoản 1 BLTTHS: a day limit ends at 24:00 of its last day. Moving it past a day off is stated
    # for months only, so by default nothing moves: the reading that can never make a prosecutor late.
    # Received Friday 28 Aug 2026: the third day is Monday 31 Aug (off, swapped with 22/08), and stays.
    d = due(DETENTION, vn(2026, 8, 28, 10, 0), cal, VN)
    assert d.rolled_from is None
    assert d.due_at == vn(2026, 8, 31, 23, 59, 59)
    assert "31/08/2026" in d.note and "Ngày nghỉ (thay cho ngày 22/08/2026)" in d.note and "không lùi" in d.note
    # Received Thursday 3 Dec 2026: the third day is Sunday 6 Dec, not Monday 7.
    sun = due(DETENTION, vn(2026, 12, 3, 10, 0), cal, VN)
    assert sun.due_at == vn(2026, 12, 6, 23, 59, 59)
    assert "Chủ nhật" in sun.note
    # From Thursday 4 Feb 2027 (29 Tết): Sunday 7 Feb, not Thursday 11 Feb after Tết.
    assert due(DETENTION, vn(2027, 2, 4, 9, 0), cal, VN).due_at == vn(2027, 2, 7, 23, 59, 59)


def test_moving_past_a_day_off_is_a_rule_option_with_its_basis(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="roll_basis"):
        DeadlineRule(3, "days", "Điều 119 khoản 5 BLTTHS 2015", "x", roll_to_working_day=True)
    rolling = DeadlineRule(
        3, "days", "Điều 119 khoản 5 BLTTHS 2015", "x", roll_to_working_day=True, roll_basis="văn bản hướng dẫn X"
    )
    # 31/08 is off, then 1–2 Sep (Quốc khánh): Thursday 3 Sep.
    d = due(rolling, vn(2026, 8, 28, 10, 0), cal, VN)
    assert d.rolled_from == D(2026, 8, 31)
    assert d.due_at == vn(2026, 9, 3, 23, 59, 59)
    assert "chuyển sang ngày làm việc tiếp theo theo văn bản hướng dẫn X" in d.note
    sat = due(rolling, vn(2026, 11, 4, 9, 0), cal, VN)
    assert sat.rolled_from == D(2026, 11, 7) and sat.due_at == vn(2026, 11, 9, 23, 59, 59)
    assert "thứ Bảy" in sat.note


def test_working_days_deadline_across_tet(cal: WorkCalendar) -> None:
    rule = DeadlineRule(3, "working_days", "Quy chế công tác văn thư", "Trả lời")
    d = due(rule, vn(2027, 2, 3, 7, 0), cal, VN)  # Wednesday before Tết, early morning: not counted
    assert d.due_at == vn(2027, 2, 15, 23, 59, 59)
    assert d.due_text == "23:59 15/02/2027"
    assert d.text == "3 ngày làm việc kể từ ngày nhận (Quy chế công tác văn thư)"


def test_deadlines_follow_configured_days() -> None:
    cal = WorkCalendar(extra_days_off={D(2026, 11, 9)}, extra_working_days={D(2026, 11, 7)})
    # 3 days from Wed 4 Nov end on Saturday 7, now a working day: no move.
    assert due(DETENTION, vn(2026, 11, 4, 9, 0), cal, VN).due_at == vn(2026, 11, 7, 23, 59, 59)
    # 5 days from Wed 4 Nov end on Monday 9, now a day off: it stays the last day, unless the rule moves it.
    five = DeadlineRule(5, "days", "x", "x")
    assert due(five, vn(2026, 11, 4, 9, 0), cal, VN).due_at == vn(2026, 11, 9, 23, 59, 59)
    moving = DeadlineRule(5, "days", "x", "x", roll_to_working_day=True, roll_basis="y")
    assert due(moving, vn(2026, 11, 4, 9, 0), cal, VN).due_at == vn(2026, 11, 10, 23, 59, 59)
    wd = DeadlineRule(2, "working_days", "x", "x")
    assert due(wd, vn(2026, 11, 6, 9, 0), cal, VN).due_at == vn(2026, 11, 10, 23, 59, 59)


def test_is_urgent_means_under_24_hours(cal: WorkCalendar) -> None:
    d = due(ARREST, vn(2026, 11, 14, 20, 0), cal, VN)
    assert is_urgent(d, vn(2026, 11, 14, 20, 0))
    assert is_urgent(d, vn(2026, 11, 16, 9, 0))  # overdue
    far = due(DETENTION, vn(2026, 11, 6, 16, 0), cal, VN)  # 23:59:59 on 9 Nov
    assert not is_urgent(far, vn(2026, 11, 8, 23, 59, 59))
    assert is_urgent(far, vn(2026, 11, 9, 0, 0))


def test_rules_and_times_are_checked(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError):
        due(ARREST, dt.datetime(2026, 11, 14, 20, 0), cal, VN)
    with pytest.raises(ValueError):
        DeadlineRule(0, "days", "x", "x")
    with pytest.raises(ValueError):
        DeadlineRule(3, "weeks", "x", "x")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        DeadlineRule(True, "days", "x", "x")
    assert DeadlineRule(12, "hours", "", "x").describe() == "12 giờ kể từ khi nhận"
