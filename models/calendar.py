"""The working calendar of a Vietnamese state agency: which days are working days.

A working day is Monday to Friday unless it is a public holiday or a configured extra day off, plus any
Saturday or Sunday worked in exchange for a day off. The sources, in increasing precedence:

1. the ``holidays`` package for Vietnam (``VN``, names in Vietnamese): Tết Dương lịch, Tết Nguyên Đán with
   its days before and after, Giỗ Tổ Hùng Vương, 30/4, 1/5, 2/9 (two days since 2021), Ngày Văn hóa Việt
   Nam (24/11, since 2026), observed days off (nghỉ bù) and the days off swapped with a weekend day
   (``Ngày nghỉ (thay cho ngày …)``);
2. the weekend days worked in exchange for those swapped days off. The package keeps them in its
   ``special_public_holidays`` data as ``(month, day, worked month, worked day[, worked year])`` and
   exposes them, for the years it has built, as the public ``weekend_workdays`` set of a holiday object
   (it is also what its own ``is_working_day`` reads). They are read from there and counted as working days
   by default (``use_package_workdays=False`` turns that off). holidays 0.109 knows e.g. 04/05/2024,
   26/04/2025 and 22/08/2026; it learns a year's swaps only when someone adds them to the package;
3. the configuration: ``extra_days_off`` (e.g. a Tết span the government published after the package was
   released, or a local day off) and ``extra_working_days`` (a worked Saturday the package does not know, or
   a weekday the package wrongly marks as a holiday). A date may not be in both.

Future Tết spans in the package are estimates until the government publishes the year's schedule: the
administrator corrects them with the two configured sets.

Each year is built once, on first use, into a table of flags and a running count, so that
:meth:`WorkCalendar.is_working_day` is a table look-up and :meth:`WorkCalendar.add_working_days` a binary
search (hundreds of thousands of calls per second).
"""

from __future__ import annotations

import bisect
import datetime as dt
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import holidays

COUNTRY = "VN"
LANGUAGE = "vi"
EXTRA_DAY_OFF_NAME = "Ngày nghỉ bổ sung"


@dataclass(frozen=True)
class _Year:
    """One year, built once: ``flags[i]`` is 1 when day ``i`` (0 = 1 January) is a working day;
    ``counts[i]`` is the number of working days among the first ``i`` days (``counts[0] == 0``)."""

    first: dt.date
    flags: bytes
    counts: tuple[int, ...]
    names: Mapping[dt.date, str]


def _plain_date(d: dt.date) -> dt.date:
    if isinstance(d, dt.datetime):
        raise TypeError("WorkCalendar takes local dates; convert a datetime with models.clock.local_date first")
    return d


class WorkCalendar:
    """Working days in Vietnam, from the ``holidays`` package plus configured exceptions.

    ``extra_days_off`` is a set of dates, or a mapping of dates to the name to show for them (otherwise
    "Ngày nghỉ bổ sung"). ``extra_working_days`` wins over everything else. Instances are safe to share
    between threads; construction is cheap (years are built lazily).
    """

    def __init__(
        self,
        extra_days_off: Iterable[dt.date] | Mapping[dt.date, str] = (),
        extra_working_days: Iterable[dt.date] = (),
        *,
        use_package_workdays: bool = True,
    ) -> None:
        if isinstance(extra_days_off, Mapping):
            off_names = {_plain_date(d): str(n) or EXTRA_DAY_OFF_NAME for d, n in extra_days_off.items()}
        else:
            off_names = {_plain_date(d): EXTRA_DAY_OFF_NAME for d in extra_days_off}
        self.extra_days_off: frozenset[dt.date] = frozenset(off_names)
        self.extra_working_days: frozenset[dt.date] = frozenset(_plain_date(d) for d in extra_working_days)
        both = sorted(self.extra_days_off & self.extra_working_days)
        if both:
            shown = ", ".join(d.strftime("%d/%m/%Y") for d in both)
            raise ValueError(f"dates both extra days off and extra working days: {shown}")
        self.use_package_workdays = use_package_workdays
        self._off_names = off_names
        self._years: dict[int, _Year] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"WorkCalendar(extra_days_off={len(self.extra_days_off)} dates, "
            f"extra_working_days={len(self.extra_working_days)} dates, "
            f"use_package_workdays={self.use_package_workdays})"
        )

    # --- building a year ---

    def _year(self, year: int) -> _Year:
        data = self._years.get(year)
        if data is None:
            with self._lock:
                data = self._years.get(year)
                if data is None:
                    data = self._build(year)
                    self._years[year] = data
        return data

    def _build(self, year: int) -> _Year:
        package = holidays.country_holidays(COUNTRY, years=year, language=LANGUAGE)
        names: dict[dt.date, str] = {d: str(n) for d, n in package.items() if d.year == year}
        weekend_work: set[dt.date] = set()
        if self.use_package_workdays:
            weekend_work = {d for d in package.weekend_workdays if d.year == year and d.weekday() >= 5}
        for d, n in self._off_names.items():
            if d.year == year:
                names[d] = f"{names[d]}; {n}" if d in names and n != names[d] else n
        for d in self.extra_working_days:
            if d.year == year:
                names.pop(d, None)
        first = dt.date(year, 1, 1)
        size = (dt.date(year + 1, 1, 1) - first).days if year < dt.MAXYEAR else 365
        flags = bytearray(size)
        for i in range(size):
            d = first + dt.timedelta(days=i)
            if d in self.extra_working_days:
                working = True
            elif d in self.extra_days_off:
                working = False
            elif d.weekday() >= 5:
                working = d in weekend_work
            else:
                working = d not in names
            flags[i] = working
        counts = [0] * (size + 1)
        for i in range(size):
            counts[i + 1] = counts[i] + flags[i]
        return _Year(first=first, flags=bytes(flags), counts=tuple(counts), names=names)

    # --- questions ---

    def is_working_day(self, d: dt.date) -> bool:
        """True for Monday–Friday that is neither a public holiday nor an extra day off, for a weekend day
        worked in exchange (from the package or configured), and for any extra working day."""
        d = _plain_date(d)
        data = self._year(d.year)
        return bool(data.flags[(d - data.first).days])

    def holiday_name(self, d: dt.date) -> str | None:
        """The Vietnamese name of the holiday or configured day off on ``d``; None for an ordinary day, a
        plain weekend, a worked weekend day or an extra working day."""
        d = _plain_date(d)
        return self._year(d.year).names.get(d)

    def holidays_in(self, year: int) -> dict[dt.date, str]:
        """Every holiday and configured day off of ``year`` (weekends aside), by date, with its name."""
        return dict(sorted(self._year(year).names.items()))

    def worked_weekend_days(self, year: int) -> list[dt.date]:
        """The Saturdays and Sundays of ``year`` that are working days (worked in exchange), in order."""
        data = self._year(year)
        days = (data.first + dt.timedelta(days=i) for i, flag in enumerate(data.flags) if flag)
        return [d for d in days if d.weekday() >= 5]

    def add_working_days(self, d: dt.date, n: int) -> dt.date:
        """The ``n``-th working day after ``d`` (``d`` itself is never counted, working or not).

        ``n == 0`` returns ``d`` unchanged; a negative ``n`` raises ValueError. Thus
        ``add_working_days(d, 1) == next_working_day(d)`` and
        ``working_days_between(d, add_working_days(d, n)) == n``.
        """
        d = _plain_date(d)
        if n < 0:
            raise ValueError("add_working_days counts forward only (n >= 0)")
        if n == 0:
            return d
        data = self._year(d.year)
        # Working days are counted from the day after d: target is the running count to reach.
        target = data.counts[(d - data.first).days + 1] + n
        while target > data.counts[-1]:
            target -= data.counts[-1]
            data = self._year(data.first.year + 1)
        k = bisect.bisect_left(data.counts, target)
        return data.first + dt.timedelta(days=k - 1)

    def next_working_day(self, d: dt.date) -> dt.date:
        """The first working day strictly after ``d``."""
        return self.add_working_days(d, 1)

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        """The number of working days ``x`` with ``a < x <= b``; negative (``-count(b, a)``) when ``b < a``.

        So it is 0 for ``a == b``, 1 from a working day's eve to that day, and the inverse of
        :meth:`add_working_days`.
        """
        a, b = _plain_date(a), _plain_date(b)
        if b < a:
            return -self.working_days_between(b, a)
        ya = self._year(a.year)
        start = ya.counts[(a - ya.first).days + 1]
        if a.year == b.year:
            return ya.counts[(b - ya.first).days + 1] - start
        total = ya.counts[-1] - start
        for year in range(a.year + 1, b.year):
            total += self._year(year).counts[-1]
        yb = self._year(b.year)
        return total + yb.counts[(b - yb.first).days + 1]
