"""Processing one message of a watched mailbox: store, claim, decide, commit — then move it.

The order is what makes mail neither lost nor processed twice:

1. the raw bytes are stored by SHA-256 before anything else;
2. one transaction claims the ledger row (unique on mailbox, UIDVALIDITY, UID), runs the flow and
   writes its replies into the outbox; it commits or leaves no trace;
3. only after the commit is the message moved on the server (to ``processed`` or ``quarantine``);
   a crash before the move leaves a ``done`` row, and the next pass only moves the message;
4. a flow that raises is rolled back; the failure is counted in its own transaction and the
   message is tried again later with a growing delay; after the last try it is quarantined and the
   clerk is told. A failure of the database or of the data directory is not the message's fault: it is
   not counted, and the error goes up to the watcher, which waits for the server or disk to return.

A drain searches the inbox again after the messages it found, until a search finds nothing new: mail
delivered while a drain runs is processed in the same drain, not after the next IDLE notification.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import traceback
from dataclasses import dataclass

from sqlalchemy import func, select

from vanthu.mailflows import dispatch
from vanthu.mailflows.message import MalformedMessage, parse
from vanthu.mailflows.outcomes import Folder, Outcome, must_forget
from vanthu.mailflows.quarantine import quarantine, quarantine_malformed
from vanthu.models import ledger
from vanthu.models.ledger import Claim, MessageKey
from vanthu.models.tables import MailLedger
from vanthu.worker.app import App
from vanthu.worker.config import MailboxConfig
from vanthu.worker.pdf_inspect import PdfInspector
from vanthu.worker.resilience import StopFlag, is_infrastructure_fault
from vanthu.worker.sources import MailSource

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Result:
    """What became of one message: its outcome, and the folder it was moved to (None: left in the inbox)."""

    uid: int
    outcome: Outcome
    moved_to: str | None
    attempts: int = 0  # for Outcome.RETRY: how many tries have failed so far

    @property
    def label(self) -> str:
        """The outcome as logged: ``failed.attempt-<n>`` for a retry, the outcome's name otherwise."""
        return f"{self.outcome}-{self.attempts}" if self.outcome is Outcome.RETRY else str(self.outcome)


class Processor:
    """Processes the messages of one mailbox; safe to run in several processes against one database."""

    def __init__(self, app: App, mailbox: MailboxConfig, stop: StopFlag | None = None) -> None:
        self.app = app
        self.mailbox = mailbox
        self.stop: StopFlag = stop or threading.Event()
        self._pdf: PdfInspector | None = None

    @property
    def pdf(self) -> PdfInspector:
        """This processor's PDF service, made on first use in the thread that runs the processor."""
        if self._pdf is None:
            self._pdf = self.app.pdf_inspector()
        return self._pdf

    def close(self) -> None:
        if self._pdf is not None:
            self._pdf.close()
            self._pdf = None

    def drain(self, source: MailSource) -> list[Result]:
        """Process every message waiting in the inbox (until asked to stop); return what happened.

        When this returns without a stop, a search made after the last message was handled found no
        message this drain has not tried: whatever arrived during the drain has been processed too (or,
        if it is not due for another try, left for later).
        """
        results = []
        tried: set[int] = set()
        while not self.stop.is_set():
            fresh = [uid for uid in source.uids() if uid not in tried]
            if not fresh:
                break
            for uid in fresh:
                if self.stop.is_set():
                    break
                tried.add(uid)
                result = self.process(source, uid)
                if result is not None:
                    results.append(result)
        return results

    def next_retry_due(self) -> dt.datetime | None:
        """When the earliest failed message of this mailbox may be tried again, if any."""
        with self.app.uow() as uow:
            return uow.session.execute(
                select(func.min(MailLedger.next_attempt_at)).where(
                    MailLedger.mailbox == self.mailbox.name, MailLedger.state == "failed"
                )
            ).scalar_one_or_none()

    def process(self, source: MailSource, uid: int) -> Result | None:
        """Process message ``uid``; None if it vanished or is not yet due for another try."""
        app = self.app
        limit = int(app.config.intake.max_message_mb * 1024 * 1024)
        size = source.size(uid)
        if size is not None and size > limit:
            return self._oversize(source, uid, size, limit)
        raw = source.fetch(uid)
        if raw is None:
            return None
        sha = app.rawstore.put(raw)
        key = MessageKey(self.mailbox.name, source.uidvalidity(), uid)
        attempts = 0
        try:
            outcome = self._decide(key, raw, sha)
        except Exception as exc:  # any failure of one message must not stop the worker
            if is_infrastructure_fault(exc):
                raise  # the database or the disk, not the message: the watcher waits for it to return
            log.warning("message %s uid=%s failed: %s", self.mailbox.name, uid, exc)
            outcome, attempts = self._record_failure(key, raw, sha, exc)
        if outcome is None:
            return None  # not yet due for another try
        folder = self.folder_of(outcome)
        if folder is not None:
            source.move(uid, folder)
        result = Result(uid, outcome, folder, attempts)
        log.info("message %s uid=%s sha256=%s: %s", self.mailbox.name, uid, sha[:12], result.label)
        app.wake_outbox()
        return result

    def folder_of(self, outcome: Outcome) -> str | None:
        """The mailbox folder ``outcome`` sends a message to; None when it stays in the inbox."""
        return {
            Folder.PROCESSED: self.mailbox.processed,
            Folder.QUARANTINE: self.mailbox.quarantine,
            Folder.INBOX: None,
        }[outcome.folder]

    def _decide(self, key: MessageKey, raw: bytes, sha: str) -> Outcome | None:
        """Claim, run the flow and commit; the outcome, or None when the message is not yet due again."""
        app, mb = self.app, self.mailbox
        now = app.clock.now()
        with app.uow() as uow:
            claimed = ledger.claim(uow.session, key, sha256=sha, now=now)
            if claimed.claim is Claim.DONE:
                uow.commit()
                return Outcome.ALREADY_DONE
            if claimed.claim is Claim.QUARANTINED:
                uow.commit()
                if claimed.row is not None and must_forget(claimed.row.outcome):
                    # Killed between the commit and the deletion last time: finish forgetting it now.
                    app.rawstore.delete(sha)
                return Outcome.ALREADY_QUARANTINED
            if claimed.claim is Claim.NOT_DUE:
                return None
            row = claimed.row
            assert row is not None
            ctx = app.flow_context(uow, mb, ledger_id=row.id, sha256=sha, pdf=self.pdf)
            try:
                msg = parse(raw)
            except MalformedMessage as exc:
                outcome = quarantine_malformed(ctx, exc, folder=mb.quarantine)
                forget = outcome.secret
                row.state, row.finished_at = "quarantined", now
                row.outcome = outcome.ledger
                row.last_error = "" if forget else str(exc)
                row.sender, row.subject = exc.sender[:255], "" if forget else exc.subject
                uow.commit()
                if forget:
                    app.rawstore.delete(sha)
                return outcome
            row.message_id = msg.message_id[:998]
            row.sender = msg.sender[:255]
            row.subject = msg.subject
            outcome = dispatch.handle(ctx, msg)
            forget = outcome.secret
            if forget:
                row.subject = ""
                row.message_id = ""
            row.state = "quarantined" if outcome.folder is Folder.QUARANTINE else "done"
            row.outcome, row.finished_at = outcome.ledger, now
            uow.commit()
        if forget:
            # A secret document must not stay on an internet-connected system: only its hash remains.
            app.rawstore.delete(sha)
        return outcome

    def _oversize(self, source: MailSource, uid: int, size: int, limit: int) -> Result | None:
        """A message too large to download is set aside on the server, untouched, and the clerk is told.

        Parsing a message costs about ten times its size in memory, so the size the server reports is
        checked before anything is fetched. The mail itself stays in the quarantine folder.
        """
        app, mb = self.app, self.mailbox
        now = app.clock.now()
        key = MessageKey(mb.name, source.uidvalidity(), uid)
        with app.uow() as uow:
            claimed = ledger.claim(uow.session, key, sha256="", now=now)
            if claimed.claim is Claim.NOT_DUE:
                return None
            if claimed.claim is Claim.CLAIMED:
                row = claimed.row
                assert row is not None
                row.state, row.outcome, row.finished_at = "quarantined", Outcome.PDF_TOO_LARGE.ledger, now
                ctx = app.flow_context(uow, mb, ledger_id=row.id, sha256="")
                quarantine(
                    ctx,
                    sender="",
                    subject="",
                    message_id="",
                    reason_code="too-large",
                    reason=(
                        f"Thư dung lượng {size / 1048576:.1f} MB, vượt giới hạn {limit / 1048576:.0f} MB; "
                        "hệ thống không tải thư về, thư được giữ nguyên trong thư mục cách ly."
                    ),
                    folder=mb.quarantine,
                )
            uow.commit()
        source.move(uid, mb.quarantine)
        log.info("message %s uid=%s (%s bytes): %s", mb.name, uid, size, Outcome.PDF_TOO_LARGE)
        app.wake_outbox()
        return Result(uid, Outcome.PDF_TOO_LARGE, mb.quarantine)

    def _record_failure(self, key: MessageKey, raw: bytes, sha: str, exc: Exception) -> tuple[Outcome, int]:
        """Count the failure; the outcome (a retry, or quarantined after the last try) and the tries so far."""
        app, mb = self.app, self.mailbox
        now = app.clock.now()
        error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        with app.uow() as uow:
            row = ledger.record_failure(
                uow.session,
                key,
                sha256=sha,
                error=error,
                now=now,
                max_attempts=app.config.service.max_attempts,
                retry_base=dt.timedelta(seconds=app.config.service.retry_base_seconds),
            )
            if row.state != "quarantined":
                uow.commit()
                return Outcome.RETRY, row.attempts
            try:
                msg = parse(raw)
                sender, subject = msg.sender, msg.subject
            except MalformedMessage as malformed:
                sender, subject = malformed.sender[:255], malformed.subject
            ctx = app.flow_context(uow, mb, ledger_id=row.id, sha256=sha)
            quarantine(
                ctx,
                sender=sender,
                subject=subject,
                message_id="",
                reason_code="failed",
                reason=f"Xử lý không thành công sau {row.attempts} lần thử: {error[:300]}",
                folder=mb.quarantine,
            )
            uow.commit()
            return Outcome.FAILED, row.attempts
