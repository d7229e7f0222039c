"""Surviving server faults: what kind of fault an error is, capped backoff, one log line per outage.

Every long-running loop of the worker (mailbox watchers, the outbox sender, the scheduler's jobs) catches
every exception, asks :func:`classify` what failed, reports it through an :class:`OutageLog` — a warning
when an outage starts, nothing while it lasts, an info line when the loop works again — and waits
:class:`Backoff` before the next try. None of them ever dies of a server fault.
"""

from __future__ import annotations

import errno
import logging
import random
import ssl
import time
from collections.abc import Callable
from enum import StrEnum
from typing import Protocol

from imapclient.exceptions import IMAPClientError
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from vanthu.worker.blobstore import StorageError
from vanthu.worker.transports import TransportError

#: Longest wait between two tries against a server that is down: a returning server is used again
#: within this many seconds (the acceptance bound is 30 s after its return).
BACKOFF_CAP_SECONDS = 15.0

#: errno values of a write that failed because of the file system itself, not because of the message.
STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO})


class Fault(StrEnum):
    """What failed, as it is named in the log."""

    MAIL_SERVER = "IMAP server"
    SMTP_SERVER = "SMTP server"
    DATABASE = "database"
    DATA_DIRECTORY = "data directory"
    UNEXPECTED = "unexpected error"


class StopFlag(Protocol):
    """Anything that says whether to stop (a ``threading.Event`` is one)."""

    def is_set(self) -> bool: ...


def classify(exc: BaseException) -> Fault:
    """Name the kind of fault ``exc`` is; anything unknown is :attr:`Fault.UNEXPECTED`."""
    if isinstance(exc, StorageError):
        return Fault.DATA_DIRECTORY
    if isinstance(exc, DBAPIError | DisconnectionError | PoolTimeoutError):
        return Fault.DATABASE
    if isinstance(exc, TransportError):
        return Fault.SMTP_SERVER
    if isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS and exc.filename is not None:
        return Fault.DATA_DIRECTORY
    if isinstance(exc, IMAPClientError | ssl.SSLError | EOFError | OSError):
        return Fault.MAIL_SERVER
    return Fault.UNEXPECTED


def summary(exc: BaseException) -> str:
    """One line saying what went wrong: the driver's own message for a database error, without the SQL."""
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__


def is_infrastructure_fault(exc: BaseException) -> bool:
    """True for faults of the host or a server that say nothing about the message being processed.

    A message whose processing failed this way is not counted as a failed attempt: it is tried again,
    unchanged, once the database or the data directory works again.
    """
    return classify(exc) in (Fault.DATABASE, Fault.DATA_DIRECTORY)


class Backoff:
    """Capped exponential backoff with jitter: 1 s, 2 s, 4 s … up to ``cap`` seconds."""

    def __init__(self, base: float = 1.0, cap: float = BACKOFF_CAP_SECONDS) -> None:
        self.base, self.cap, self.failures = base, cap, 0

    def reset(self) -> None:
        self.failures = 0

    def next_delay(self) -> float:
        """The wait before the next try: never more than ``cap``, never less than half the nominal delay."""
        delay = min(self.cap, self.base * 2 ** min(self.failures, 30))
        self.failures += 1
        return delay * random.uniform(0.5, 1.0)


class OutageLog:
    """Reports the faults of one activity once per outage, and once more when the activity works again.

    ``failed`` logs a warning (with the traceback only for an unexpected error) when the activity was
    working before or the kind of fault changed; repeated failures of the same kind go to DEBUG.
    ``recovered`` logs how long the outage lasted, once.
    """

    def __init__(
        self,
        logger: logging.Logger,
        activity: str,
        clock: Callable[[], float] = time.monotonic,
        retry: str = "retrying with backoff",
    ) -> None:
        self._log = logger
        self._activity = activity
        self._retry = retry
        self._clock = clock
        self._since: float | None = None
        self._fault: Fault | None = None
        self._failures = 0

    @property
    def in_outage(self) -> bool:
        return self._since is not None

    def failed(self, exc: BaseException, doing: str = "") -> Fault:
        """Record one failure; return its kind."""
        fault = classify(exc)
        self._failures += 1
        what = f"{self._activity}{f' ({doing})' if doing else ''}"
        if self._since is not None and fault is self._fault:
            self._log.debug("%s: still failing (%s): %s", what, fault, summary(exc))
            return fault
        if self._since is None:
            self._since = self._clock()
        self._fault = fault
        if fault is Fault.UNEXPECTED:
            self._log.error("%s: %s, %s: %r", what, fault, self._retry, exc, exc_info=exc)
        else:
            self._log.warning("%s: %s unavailable, %s: %s", what, fault, self._retry, summary(exc))
        return fault

    def recovered(self) -> None:
        """Record that the activity worked; logs the end of an outage once."""
        if self._since is None:
            return
        self._log.info(
            "%s: working again after %.1f s (%d failed tries, last fault: %s)",
            self._activity,
            self._clock() - self._since,
            self._failures,
            self._fault,
        )
        self._since, self._fault, self._failures = None, None, 0
