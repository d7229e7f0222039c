"""Watching one mailbox: take its lease, connect, drain the inbox, IDLE until something changes, and again.

Each mailbox is watched by one worker at a time: the watcher first waits for the mailbox's lease
(``worker.lease_keeper``) and stops watching, after the message in hand, when it loses it.

Any error — IMAP or socket (including imapclient's "unterminated line" from ``idle_check``, and a
connection the server closed during IDLE), the database, the data directory — means "reconnect and
resync" after a capped exponential backoff; each outage is logged once, and once more when it ends.
The backoff starts again from its shortest delay only after a drain has succeeded. IDLE is re-issued
well before the 29 minutes after which servers may drop it. Servers without IDLE are polled.
"""

from __future__ import annotations

import logging
import os
import threading

from vanthu.worker.app import App
from vanthu.worker.config import MailboxConfig
from vanthu.worker.imap_source import ImapSource
from vanthu.worker.lease_keeper import LeaseKeeper, LeaseTiming
from vanthu.worker.local_source import LocalSource
from vanthu.worker.processor import Processor
from vanthu.worker.resilience import Backoff, OutageLog

__all__ = ["Backoff", "drain_once", "open_source", "watch"]

log = logging.getLogger(__name__)

POLL_SECONDS = 60.0
LOCAL_POLL_SECONDS = 2.0


class _Tenure:
    """The stop signal of work done under a lease: set when the process stops or the lease is gone."""

    def __init__(self, stop: threading.Event, keeper: LeaseKeeper) -> None:
        self._stop = stop
        self._keeper = keeper

    def is_set(self) -> bool:
        return self._stop.is_set() or not self._keeper.held()


def open_source(app: App, mb: MailboxConfig) -> ImapSource | LocalSource:
    if mb.kind == "local":
        root = app.config.data_path / (mb.path or f"mailboxes/{mb.name}")
        return LocalSource(mb.name, root, mb.inbox)
    return ImapSource(
        mb.name,
        host=mb.host,
        port=mb.port,
        tls=mb.tls,
        user=mb.user,
        password=os.environ.get(mb.password_env, "") if mb.password_env else "",
        inbox=mb.inbox,
        folders=(mb.processed, mb.quarantine),
    )


def drain_once(app: App, mb: MailboxConfig, stop: threading.Event | None = None) -> int:
    """Process what is waiting in one mailbox now, then disconnect; returns the number handled."""
    source = open_source(app, mb)
    if isinstance(source, ImapSource):
        source.connect()
    processor = Processor(app, mb, stop)
    try:
        return len(processor.drain(source))
    finally:
        processor.close()
        source.close()


def watch(app: App, mb: MailboxConfig, stop: threading.Event, holder: str, timing: LeaseTiming | None = None) -> None:
    """Run until ``stop`` is set; the message in hand is always finished before returning.

    ``holder`` names this worker in the mailbox's lease. Never raises: every fault is logged (once per
    outage) and retried.
    """
    keeper = LeaseKeeper(app, mb.name, holder, timing)
    tenure = _Tenure(stop, keeper)
    processor = Processor(app, mb, tenure)
    outage = OutageLog(log, f"mailbox {mb.name}")  # one outage may span losing and retaking the lease
    try:
        while not stop.is_set():
            if not keeper.acquire(stop, stop):
                break
            log.info("mailbox %s: lease taken by %s", mb.name, holder)
            try:
                _watch_while_held(app, mb, processor, tenure, stop, outage)
            finally:
                keeper.release()
            if not stop.is_set():
                log.warning("mailbox %s: lease lost; waiting to take it again", mb.name)
    finally:
        processor.close()


def _watch_while_held(
    app: App, mb: MailboxConfig, processor: Processor, tenure: _Tenure, stop: threading.Event, outage: OutageLog
) -> None:
    """Connect, drain, IDLE, and again, until the tenure ends; faults are reported to ``outage``."""
    backoff = Backoff()
    renew = float(app.config.service.idle_renew_seconds)
    while not tenure.is_set():
        source: ImapSource | LocalSource | None = None
        try:
            source = open_source(app, mb)
            if isinstance(source, ImapSource):
                source.connect()
                log.info("watching %s (%s)", mb.name, "IDLE" if source.can_idle else "polling")
            while not tenure.is_set():
                processor.drain(source)
                outage.recovered()
                backoff.reset()
                if tenure.is_set():
                    break
                timeout = renew
                due = processor.next_retry_due()
                if due is not None:
                    timeout = max(1.0, min(timeout, (due - app.clock.now()).total_seconds()))
                if isinstance(source, ImapSource) and source.can_idle:
                    source.wait_for_change(timeout, tenure)
                elif isinstance(source, ImapSource):
                    stop.wait(min(timeout, POLL_SECONDS))
                    source.noop()
                else:
                    stop.wait(min(timeout, LOCAL_POLL_SECONDS))
        except Exception as exc:  # noqa: BLE001 - any fault: log it once per outage, back off, resync
            outage.failed(exc)
        finally:
            if source is not None:
                source.close()
        if not tenure.is_set():
            stop.wait(backoff.next_delay())
