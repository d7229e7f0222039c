"""Deadlines on incoming documents, counted as the Criminal Procedure Code counts them (Điều 134 BLTTHS 2015).

Điều 134 khoản 1 (text of 2015, not changed by Luật 02/2021/QH15 nor, as far as we could find, by Luật
99/2025/QH15): "Khi tính thời hạn theo ngày thì thời hạn sẽ hết vào lúc 24 giờ ngày cuối cùng của thời
hạn. Khi tính thời hạn theo tháng thì thời hạn hết vào ngày trùng của tháng sau; …; nếu thời hạn hết vào
ngày nghỉ thì ngày làm việc đầu tiên tiếp theo được tính là ngày cuối cùng của thời hạn."

Conventions (one for every unit, so that deadlines compare and print the same way):

* **hours** run continuously from the moment of receipt, nights, weekends and holidays included:
  12 hours from Saturday 20:00 end on Sunday 08:00. Nothing is moved to a working day.
* **days** (calendar days) are counted from the day after the day of receipt (Bộ luật Dân sự 2015 Điều 147
  khoản 2, the general rule; Điều 134 does not say); the limit ends at 24:00 of the last day, **even when
  that day is a day off**. The sentence of Điều 134 that moves a limit ending on a day off to the next
  working day stands in the sentence about months; whether it also covers day limits is read both ways.
  The default is the reading that can never make a prosecutor late: nothing is moved. A rule may move its
  last day to the next working day (``roll_to_working_day``) only with the legal basis for doing so written
  beside it (``roll_basis``); construction refuses the flag without one. When the last day is a day off and
  stays the last day, ``Deadline.note`` says so, so nobody assumes the Monday.
* **working_days** (administrative limits, e.g. Nghị định 30/2020/NĐ-CP) end at 24:00 of the n-th working
  day after the day of receipt (the receipt day is never counted, even when the document arrives at 07:00 on
  a working day). The end of the day, not the end of office hours, so that working-day and calendar-day
  limits end at the same time of day and a document answered in the evening of its last day is on time.
* "24:00 of the last day" is stored as **23:59:59 local time of that day** (``END_OF_DAY``), never as 00:00
  of the next day: the date shown is then the last day itself (``23:59 05/02/2027``), as people read it.
  A deadline is met when the work is done at or before ``due_at``.

Điều 240 (deciding on prosecution) has tiers by the category of the crime (:data:`PROSECUTION_TERMS`);
:func:`prosecution_term` gives the limit and the extension the chief prosecutor may grant, and
:func:`due_with_extension` the latest lawful end with that extension.

All datetimes are aware; local dates are taken in the configured time zone, never the server's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
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
    working day is the last day. It is off by default (Điều 134 BLTTHS states the move for months only) and
    needs ``roll_basis``, the legal basis for moving, as text. ``extension_days`` is the longest extension the
    law allows for this limit (0: none), shown in :meth:`describe` and used by :func:`due_with_extension`.
    Construction raises ValueError for a non-positive amount, an unknown unit, a negative extension, or the
    roll flag without its basis.
    """

    amount: int
    unit: DeadlineUnit
    legal_basis: str
    label: str
    roll_to_working_day: bool = False
    roll_basis: str = ""
    extension_days: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount <= 0:
            raise ValueError(f"a deadline amount is a whole number above zero, not {self.amount!r}")
        if self.unit not in UNITS:
            raise ValueError(f"a deadline unit is one of {', '.join(UNITS)}, not {self.unit!r}")
        if isinstance(self.extension_days, bool) or not isinstance(self.extension_days, int) or self.extension_days < 0:
            raise ValueError(f"an extension is a whole number of days, zero or more, not {self.extension_days!r}")
        if self.roll_to_working_day and not self.roll_basis.strip():
            raise ValueError(
                "roll_to_working_day moves a deadline later than Điều 134 BLTTHS says for day limits: "
                "it needs roll_basis, the legal basis for the move"
            )

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
        if self.extension_days:
            text += f", có thể gia hạn không quá {self.extension_days} ngày"
        return f"{text} ({self.legal_basis})" if self.legal_basis else text


@dataclass(frozen=True)
class Deadline:
    """A rule applied to one receipt.

    ``due_at`` is aware, in the calendar's time zone; ``text`` describes the rule in Vietnamese;
    ``due_text`` is ``due_at`` as ``HH:MM dd/mm/yyyy``; ``note`` says (in Vietnamese) that the last day is a
    day off and stays the last day, or why it was moved, or is empty; ``rolled_from`` is the last day by count
    when it was moved to a working day.
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
    for days, ``due_at`` is 23:59:59 in ``tz`` of the ``amount``-th day after the local day of receipt,
    whether or not that is a working day (later only for a rule with ``roll_to_working_day``: the next working
    day); for working days, 23:59:59 of the ``amount``-th working day of ``calendar`` after the day of receipt.
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
            if not calendar.is_working_day(last):
                off = f"ngày cuối {last:%d/%m/%Y} là ngày nghỉ ({_day_off_name(last, calendar)})"
                if rule.roll_to_working_day:
                    rolled_from = last
                    last = calendar.next_working_day(last)
                    note = f"{off}, chuyển sang ngày làm việc tiếp theo theo {rule.roll_basis}"
                else:
                    note = f"{off}; hạn không lùi sang ngày làm việc tiếp theo (Điều 134 BLTTHS 2015)"
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


def due_with_extension(rule: DeadlineRule, received_at: dt.datetime, calendar: WorkCalendar, tz: ZoneInfo) -> Deadline:
    """The deadline of ``rule`` once extended by its full ``extension_days`` (Điều 240 khoản 1: the extension
    runs on from the end of the limit, so the total is counted from receipt). Equal to :func:`due` for a rule
    without an extension. Never earlier than :func:`due` for the same receipt."""
    if not rule.extension_days:
        return due(rule, received_at, calendar, tz)
    longer = replace(rule, amount=rule.amount + rule.extension_days, extension_days=0)
    return due(longer, received_at, calendar, tz)


# --- Điều 240: deciding on prosecution, by the category of the crime ---

CRIME_CATEGORY_NAMES: dict[str, str] = {
    "it_nghiem_trong": "ít nghiêm trọng",
    "nghiem_trong": "nghiêm trọng",
    "rat_nghiem_trong": "rất nghiêm trọng",
    "dac_biet_nghiem_trong": "đặc biệt nghiêm trọng",
}
# (limit in days, longest extension in days) — Điều 240 khoản 1 BLTTHS 2015 (not changed by Luật 99/2025/QH15
# as far as we could verify): 20 days for less serious and serious crimes, 30 for very and especially serious
# ones; the chief prosecutor may extend by at most 10 (less serious, serious), 15 (very serious) or 30
# (especially serious) days.
PROSECUTION_TERMS: dict[str, tuple[int, int]] = {
    "it_nghiem_trong": (20, 10),
    "nghiem_trong": (20, 10),
    "rat_nghiem_trong": (30, 15),
    "dac_biet_nghiem_trong": (30, 30),
}
PROSECUTION_BASIS = "Điều 240 khoản 1 BLTTHS 2015"


def prosecution_term(category: str | None) -> DeadlineRule:
    """The Điều 240 limit for deciding on prosecution of a case of ``category`` (a key of
    :data:`PROSECUTION_TERMS`). For an unknown or missing category it is the shortest tier (20 days, extension
    10), the only one that can never make the prosecutor late; the label then says the category is unknown."""
    key = category if category in PROSECUTION_TERMS else None
    amount, extension = PROSECUTION_TERMS[key or "it_nghiem_trong"]
    what = f"tội phạm {CRIME_CATEGORY_NAMES[key]}" if key else "chưa rõ loại tội phạm, tính theo mức ngắn nhất"
    return DeadlineRule(
        amount=amount,
        unit="days",
        legal_basis=f"{PROSECUTION_BASIS} ({what})",
        label="Quyết định việc truy tố",
        extension_days=extension,
    )


def is_urgent(deadline: Deadline, now: dt.datetime) -> bool:
    """True when less than 24 hours are left before ``deadline.due_at`` at ``now`` (aware), overdue included."""
    _require_aware(now, "now")
    return deadline.due_at - now < URGENT_WITHIN
