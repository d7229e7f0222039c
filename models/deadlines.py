"""Deadlines on incoming documents, counted as the Criminal Procedure Code counts them (Điều 134 BLTTHS 2015).

Conventions (one for every unit, so that deadlines compare and print the same way):

* **hours** run continuously from the moment of receipt, nights, weekends and holidays included:
  12 hours from Saturday 20:00 end on Sunday 08:00. Nothing is moved to a working day.
* **days** (calendar days) are counted from the day after the day of receipt; the limit ends at 24:00 of
  the last day. When that last day is a day off (weekend, public holiday, configured day off), the next
  working day becomes the last day — Điều 134 states this for months, the domain rules we were given mark
  it unverified for days, so it is the rule's ``roll_to_working_day`` flag, on by default (the later,
  safer reading for the person answering; a rule that must not be extended sets it to false).
* **working_days** end at 24:00 of the n-th working day after the day of receipt (the receipt day is never
  counted, even when the document arrives at 07:00 on a working day). The end of the day, not the end of
  office hours, so that working-day and calendar-day limits end at the same time of day and a document
  answered in the evening of its last day is on time.
* "24:00 of the last day" is stored as **23:59:59 local time of that day** (``END_OF_DAY``), never as 00:00
  of the next day: the date shown is then the last day itself (``23:59 05/02/2027``), as people read it.
  A deadline is met when the work is done at or before ``due_at``.

All datetimes are aware; local dates are taken in the configured time zone, never the server's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal, get_args
from zoneinfo import ZoneInfo

from vanthu.models.calendar import WorkCalendar
from vanthu.models.clock import local_date

DeadlineUnit = Literal["hours", "days", "working_days"]
UNITS: tuple[str, ...] = get_args(DeadlineUnit)
UNIT_NAMES: dict[str, str] = {"hours": "giờ", "days": "ngày", "working_days": "ngày làm việc"}
END_OF_DAY = dt.time(23, 59, 59)
URGENT_WITHIN = dt.timedelta(hours=24)
# Độ khẩn that make a document urgent whatever its deadline (its mail goes out marked urgent).
URGENT_LEVELS = ("Hỏa tốc", "Thượng khẩn")
DUE_FORMAT = "%H:%M %d/%m/%Y"
# Calendar days per working day, for comparing rules without a date (see DeadlineRule.nominal_hours).
_CALENDAR_PER_WORKING_DAY = 7 / 5


@dataclass(frozen=True)
class DeadlineRule:
    """A time limit: ``amount`` ``unit`` from receipt, with the legal basis as text.

    ``roll_to_working_day`` applies to ``unit == "days"`` only: when the last day is a day off, the next
    working day is the last day. Construction raises ValueError for a non-positive amount or unknown unit.
    """

    amount: int
    unit: DeadlineUnit
    legal_basis: str
    label: str
    roll_to_working_day: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount <= 0:
            raise ValueError(f"a deadline amount is a whole number above zero, not {self.amount!r}")
        if self.unit not in UNITS:
            raise ValueError(f"a deadline unit is one of {', '.join(UNITS)}, not {self.unit!r}")

    @property
    def nominal_hours(self) -> float:
        """The limit's length in hours without a receipt date: hours as they are, a day as 24 hours, a
        working day as 7/5 of a day. Used only to compare rules when no receipt time is known; every
        actual deadline comes from :func:`due`."""
        if self.unit == "hours":
            return float(self.amount)
        if self.unit == "days":
            return 24.0 * self.amount
        return 24.0 * self.amount * _CALENDAR_PER_WORKING_DAY

    def describe(self) -> str:
        """Vietnamese text of the limit: ``12 giờ kể từ khi nhận (Điều 110 khoản 6 BLTTHS 2015)``."""
        since = "kể từ khi nhận" if self.unit == "hours" else "kể từ ngày nhận"
        text = f"{self.amount} {UNIT_NAMES[self.unit]} {since}"
        return f"{text} ({self.legal_basis})" if self.legal_basis else text


@dataclass(frozen=True)
class Deadline:
    """A rule applied to one receipt.

    ``due_at`` is aware, in the calendar's time zone; ``text`` describes the rule in Vietnamese;
    ``due_text`` is ``due_at`` as ``HH:MM dd/mm/yyyy``; ``note`` says (in Vietnamese) why the last day was
    moved, or is empty; ``rolled_from`` is the last day by count when it was moved to a working day.
    """

    due_at: dt.datetime
    rule: DeadlineRule
    received_at: dt.datetime
    text: str
    due_text: str
    note: str = ""
    rolled_from: dt.date | None = None

    @property
    def summary(self) -> str:
        """One line for mail and registers: ``12 giờ kể từ khi nhận (Điều 110 …), hạn 08:00 07/02/2027``."""
        line = f"{self.text}, hạn {self.due_text}"
        return f"{line} ({self.note})" if self.note else line


def _require_aware(at: dt.datetime, name: str) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")


def _end_of(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, END_OF_DAY, tzinfo=tz)


def _day_off_name(day: dt.date, calendar: WorkCalendar) -> str:
    name = calendar.holiday_name(day)
    if name:
        return name
    return "Chủ nhật" if day.weekday() == 6 else "thứ Bảy" if day.weekday() == 5 else "ngày nghỉ"


def due(rule: DeadlineRule, received_at: dt.datetime, calendar: WorkCalendar, tz: ZoneInfo) -> Deadline:
    """The deadline of ``rule`` for a document received at ``received_at`` (aware; ValueError if naive).

    Guarantees, per the module's conventions: for hours, ``due_at - received_at == amount hours`` exactly;
    for days and working days, ``due_at`` is 23:59:59 in ``tz`` of the last day, which is never the day of
    receipt and, for working days (and days with ``roll_to_working_day``), is a working day of ``calendar``.
    """
    _require_aware(received_at, "received_at")
    note = ""
    rolled_from: dt.date | None = None
    if rule.unit == "hours":
        due_at = (received_at.astimezone(dt.UTC) + dt.timedelta(hours=rule.amount)).astimezone(tz)
    else:
        start = local_date(received_at, tz)
        if rule.unit == "days":
            last = start + dt.timedelta(days=rule.amount)
            if rule.roll_to_working_day and not calendar.is_working_day(last):
                rolled_from = last
                last = calendar.next_working_day(last)
                note = (
                    f"ngày cuối {rolled_from:%d/%m/%Y} là ngày nghỉ ({_day_off_name(rolled_from, calendar)}), "
                    f"chuyển sang ngày làm việc tiếp theo"
                )
        else:
            last = calendar.add_working_days(start, rule.amount)
        due_at = _end_of(last, tz)
    return Deadline(
        due_at=due_at,
        rule=rule,
        received_at=received_at,
        text=rule.describe(),
        due_text=due_at.strftime(DUE_FORMAT),
        note=note,
        rolled_from=rolled_from,
    )


def is_urgent(deadline: Deadline, now: dt.datetime) -> bool:
    """True when less than 24 hours are left before ``deadline.due_at`` at ``now`` (aware), overdue included."""
    _require_aware(now, "now")
    return deadline.due_at - now < URGENT_WITHIN
