"""Watching one mailbox: connect, drain the inbox, IDLE until something changes, and start again.

Any IMAP or socket error — including imapclient's "unterminated line" from ``idle_check`` — means
"reconnect and resync", after a capped exponential backoff. IDLE is re-issued well before the
29 minutes after which servers may drop it. Servers without IDLE are polled.
"""

from __future__ import annotations

import logging
import os
import random
import ssl
import threading

from imapclient.exceptions import IMAPClientError

from vanthu.worker.app import App
from vanthu.worker.config import MailboxConfig
from vanthu.worker.imap_source import ImapSource
from vanthu.worker.local_source import LocalSource
from vanthu.worker.processor import Processor

log = logging.getLogger(__name__)

POLL_SECONDS = 60.0
LOCAL_POLL_SECONDS = 2.0


class Backoff:
    """Capped exponential backoff with jitter: 1 s, 2 s, 4 s … up to ``cap`` seconds."""

    def __init__(self, base: float = 1.0, cap: float = 300.0) -> None:
        self.base, self.cap, self.failures = base, cap, 0

    def reset(self) -> None:
        self.failures = 0

    def next_delay(self) -> float:
        delay = min(self.cap, self.base * 2**self.failures)
        self.failures += 1
        return delay * random.uniform(0.5, 1.0)


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


def watch(app: App, mb: MailboxConfig, stop: threading.Event) -> None:
    """Run until ``stop`` is set; the message in hand is always finished before returning."""
    processor = Processor(app, mb, stop)
    backoff = Backoff()
    renew = float(app.config.service.idle_renew_seconds)
    while not stop.is_set():
        source = open_source(app, mb)
        try:
            if isinstance(source, ImapSource):
                source.connect()
                log.info("watching %s (%s)", mb.name, "IDLE" if source.can_idle else "polling")
            backoff.reset()
            while not stop.is_set():
                processor.drain(source)
                if stop.is_set():
                    break
                timeout = renew
                due = processor.next_retry_due()
                if due is not None:
                    timeout = max(1.0, min(timeout, (due - app.clock.now()).total_seconds()))
                if isinstance(source, ImapSource) and source.can_idle:
                    source.wait_for_change(timeout, stop)
                elif isinstance(source, ImapSource):
                    stop.wait(min(timeout, POLL_SECONDS))
                    source.noop()
                else:
                    stop.wait(min(timeout, LOCAL_POLL_SECONDS))
        except (IMAPClientError, OSError, EOFError, ssl.SSLError) as exc:
            log.warning("mailbox %s: connection problem, reconnecting: %s", mb.name, exc)
        except Exception:
            log.exception("mailbox %s: unexpected error, reconnecting", mb.name)
        finally:
            source.close()
        if not stop.is_set():
            stop.wait(backoff.next_delay())
    processor.close()
