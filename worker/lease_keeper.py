"""Holding a mailbox's lease for this worker while its watcher works (the rules are in ``models.mailbox_leases``).

:meth:`LeaseKeeper.acquire` waits, polling every ``poll_every`` seconds, until this worker holds the lease;
a thread then renews it every ``renew_every`` seconds. :meth:`LeaseKeeper.held` turns false when another
worker has taken the lease, or when no renewal has succeeded for longer than the lease can be trusted
(the database is down: by then another worker may take it over) — the watcher then finishes the message
in hand and waits for the lease again. A holder left by a process of this same host that no longer runs
(killed by ``kill -9``) is taken over at once instead of after the lease runs out.

Lease times are the host's real UTC time, not the application clock: that one may be frozen or shifted
(``service.clock_start``, for rehearsals), and two workers started at different moments would disagree.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from vanthu.models import mailbox_leases
from vanthu.models.clock import SystemClock
from vanthu.worker.app import App
from vanthu.worker.resilience import OutageLog, StopFlag, summary

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LeaseTiming:
    """How long a lease lasts, how often its holder renews it, how often a waiting worker looks at it."""

    ttl: float = 12.0
    renew_every: float = 4.0
    poll_every: float = 2.0

    def __post_init__(self) -> None:
        if not 0 < self.renew_every < self.ttl / 2:
            raise ValueError("a lease must be renewed at least twice within its lifetime")
        if self.poll_every <= 0:
            raise ValueError("poll_every must be positive")

    @property
    def trusted_for(self) -> float:
        """How long after a renewal began the holder may still rely on the lease (a renewal's margin)."""
        return self.ttl - self.renew_every


def utc_now() -> dt.datetime:
    """The host's real time, in UTC (what lease times are measured in), read through ``models.clock``."""
    return SystemClock().now()


def holder_id() -> str:
    """``host:pid:nonce``, unique to this process run: the name this worker holds leases under."""
    return f"{socket.gethostname()[:100]}:{os.getpid()}:{secrets.token_hex(4)}"


def dead_local_holder(holder: str) -> bool:
    """True when ``holder`` names a process of this host that no longer exists.

    Unknown formats, other hosts, and processes that exist (or cannot be checked) are not dead.
    """
    host, _, rest = holder.partition(":")
    pid_text, _, _nonce = rest.partition(":")
    if host != socket.gethostname()[:100] or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid() or pid <= 1:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class LeaseKeeper:
    """The lease on one mailbox as this worker sees it; ``acquire`` before watching, ``release`` after."""

    def __init__(
        self,
        app: App,
        mailbox: str,
        holder: str,
        timing: LeaseTiming | None = None,
        now: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self.app = app
        self._now = now
        self.mailbox = mailbox
        self.holder = holder
        self.timing = timing or LeaseTiming()
        self._ttl = dt.timedelta(seconds=self.timing.ttl)
        self._valid_until = 0.0  # time.monotonic() until which the lease can be relied on
        self._lost = threading.Event()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._outage = OutageLog(log, f"mailbox {mailbox}: lease")

    def held(self) -> bool:
        """True while this worker holds the lease and a recent renewal says nobody else can have it."""
        return not self._lost.is_set() and time.monotonic() < self._valid_until

    def acquire(self, stop: StopFlag, wait: threading.Event) -> bool:
        """Wait until this worker holds the lease and start renewing it; False if ``stop`` came first.

        ``wait`` is the event slept on between two looks at the lease (the process's stop event, so a
        stop request ends the wait at once).
        """
        seen_holder = ""
        while not stop.is_set():
            started = time.monotonic()
            try:
                got, other = self._try_acquire()
            except Exception as exc:  # noqa: BLE001 - the database may be down: keep polling
                self._outage.failed(exc, "taking the lease")
            else:
                self._outage.recovered()
                if got:
                    self._valid_until = started + self.timing.trusted_for
                    self._lost.clear()
                    self._done.clear()
                    self._thread = threading.Thread(target=self._renew_loop, name=f"lease-{self.mailbox}", daemon=True)
                    self._thread.start()
                    return True
                if other != seen_holder:
                    log.info("mailbox %s is watched by %s; waiting for its lease", self.mailbox, other)
                    seen_holder = other
            wait.wait(self.timing.poll_every)
        return False

    def _try_acquire(self) -> tuple[bool, str]:
        with self.app.uow() as uow:
            now = self._now()
            session = uow.session
            got = mailbox_leases.acquire(session, self.mailbox, self.holder, now=now, ttl=self._ttl)
            other = ""
            if not got:
                state = mailbox_leases.current(session, self.mailbox)
                other = state.holder if state is not None else ""
                if state is not None and dead_local_holder(state.holder):
                    got = mailbox_leases.take_over(
                        session, self.mailbox, self.holder, now=now, ttl=self._ttl, from_holder=state.holder
                    )
                    if got:
                        log.info("mailbox %s: took the lease over from %s, which has died", self.mailbox, other)
            uow.commit()
        return got, other

    def _renew_loop(self) -> None:
        while not self._done.wait(self.timing.renew_every):
            started = time.monotonic()
            try:
                with self.app.uow() as uow:
                    renewed = mailbox_leases.renew(
                        uow.session, self.mailbox, self.holder, now=self._now(), ttl=self._ttl
                    )
                    uow.commit()
            except Exception as exc:  # noqa: BLE001 - the database may be down: held() runs out by itself
                self._outage.failed(exc, "renewing the lease")
                continue
            self._outage.recovered()
            if not renewed:
                log.warning("mailbox %s: the lease was taken over by another worker", self.mailbox)
                self._lost.set()
                return
            self._valid_until = started + self.timing.trusted_for

    def release(self) -> None:
        """Stop renewing and give the lease up in the database (best effort: it runs out anyway)."""
        self._lost.set()
        self._done.set()
        if self._thread is not None:
            self._thread.join(timeout=self.timing.ttl)
            self._thread = None
        try:
            with self.app.uow() as uow:
                mailbox_leases.release(uow.session, self.mailbox, self.holder, now=self._now())
                uow.commit()
        except Exception as exc:  # noqa: BLE001 - a lease not released expires by itself
            log.warning("mailbox %s: could not release the lease (it expires): %s", self.mailbox, summary(exc))
