"""Time as the domain sees it: an injected clock, and local dates in the configured time zone."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    """Anything that tells the current time as a timezone-aware datetime."""

    def now(self) -> dt.datetime: ...


class SystemClock:
    """The real clock, in UTC."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class ShiftedClock:
    """A clock that starts at ``start`` and runs at the real clock's speed; for rehearsals and tests.

    ``now()`` is ``start`` plus the time elapsed (by the monotonic clock) since the clock was made, so a
    worker process can be run as if it were, say, 08:00 on a working day, whatever the wall clock says.
    """

    def __init__(self, start: dt.datetime, elapsed: Callable[[], float] = time.monotonic) -> None:
        if start.tzinfo is None:
            raise ValueError("ShiftedClock needs an aware datetime")
        self._start = start.astimezone(dt.UTC)
        self._elapsed = elapsed
        self._origin = elapsed()

    def now(self) -> dt.datetime:
        return self._start + dt.timedelta(seconds=self._elapsed() - self._origin)


class FixedClock:
    """A clock that stands still until moved; for tests and for replaying a day."""

    def __init__(self, at: dt.datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at

    def now(self) -> dt.datetime:
        return self._at

    def set(self, at: dt.datetime) -> None:
        self._at = at

    def advance(self, delta: dt.timedelta) -> None:
        self._at += delta


def local_date(at: dt.datetime, tz: ZoneInfo) -> dt.date:
    """The calendar date of ``at`` in ``tz`` (never the server's zone)."""
    return at.astimezone(tz).date()
