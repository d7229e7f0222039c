"""Dates as people type them in replies: ``05/12``, ``5/12/2026``, ``05-12-2026``, ``05.12.2026``."""

from __future__ import annotations

import datetime as dt
import re

_DATE = re.compile(r"^\s*(\d{1,2})\s*[/.-]\s*(\d{1,2})(?:\s*[/.-]\s*(\d{2}|\d{4}))?\s*\.?$")


def parse_date(text: str, today: dt.date) -> dt.date | None:
    """The date ``text`` means, or None. Without a year: the next such day on or after ``today``."""
    m = _DATE.match(text)
    if not m:
        return None
    day, month = int(m.group(1)), int(m.group(2))
    year_text = m.group(3)
    try:
        if year_text:
            year = int(year_text) + (2000 if len(year_text) == 2 else 0)
            return dt.date(year, month, day)
        candidate = dt.date(today.year, month, day)
        return candidate if candidate >= today else dt.date(today.year + 1, month, day)
    except ValueError:
        return None


def end_of_day(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    """24:00 of ``day`` in ``tz``, stored as 23:59:59 like the deadlines of the routing rules."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=tz)
