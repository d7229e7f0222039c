"""Where a report job's mail goes: into the outbox for real, or into a directory as a rehearsal.

The jobs in ``cron.digest`` and ``cron.overdue`` never decide this themselves: the composition root
(``worker.cli`` for ``vanthu report [--dry-run DIR]``, the scheduler for ``vanthu run``) hands them a
:class:`ReportSink`, and the job claims, delivers, finishes and commits through it.

* :class:`OutboxSink` claims the run (``models.report_runs``), queues each mail in the outbox
  (``Auto-Submitted: auto-generated``) and commits both in the job's one transaction, so a report goes out
  exactly once.
* :class:`DirectorySink` claims nothing, queues nothing and commits nothing (the job's transaction is
  rolled back when it ends); it writes each mail to ``<dir>/<file_stem>.txt`` (To and Subject lines, a blank
  line, the text part) and ``<dir>/<file_stem>.html``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.orm import Session

from vanthu.models import report_runs
from vanthu.models.outbox import enqueue
from vanthu.models.ports import ReportContext
from vanthu.models.tables import Document


class ReportSink(Protocol):
    """What a report job writes through."""

    @property
    def queues(self) -> bool:
        """True when delivered mail waits in the outbox (the sender loop should be woken)."""
        ...

    def claim(self, session: Session, kind: str, key: str, period: str, *, worker: str, now: dt.datetime) -> bool:
        """True when the job may make this report (the key is its own for ``period``), False to skip it."""
        ...

    def deliver(
        self,
        ctx: ReportContext,
        *,
        kind: str,
        to: str,
        template: str,
        file_stem: str,
        priority: str = "normal",
        document: Document | None = None,
        **variables: Any,
    ) -> None:
        """Send one report mail rendered from ``template`` to ``to`` (``file_stem`` names it in a rehearsal)."""
        ...

    def finish(self, session: Session, kind: str, key: str, period: str, *, now: dt.datetime) -> None:
        """Record that the claimed report was made."""
        ...

    def commit(self, ctx: ReportContext) -> None:
        """End the job's transaction: keep what it did, or (a rehearsal) nothing."""
        ...


class OutboxSink:
    """The real thing: claims in ``report_runs``, mail into the outbox, one commit for both."""

    queues = True

    def claim(self, session: Session, kind: str, key: str, period: str, *, worker: str, now: dt.datetime) -> bool:
        return report_runs.claim(session, kind, key, period, worker, now=now)

    def deliver(
        self,
        ctx: ReportContext,
        *,
        kind: str,
        to: str,
        template: str,
        file_stem: str,
        priority: str = "normal",
        document: Document | None = None,
        **variables: Any,
    ) -> None:
        enqueue(
            ctx,
            kind=kind,
            to=to,
            template=template,
            document=document,
            auto_submitted="auto-generated",
            priority=priority,
            **variables,
        )

    def finish(self, session: Session, kind: str, key: str, period: str, *, now: dt.datetime) -> None:
        report_runs.finish(session, kind, key, period, now=now)

    def commit(self, ctx: ReportContext) -> None:
        ctx.uow.commit()


@dataclass(frozen=True)
class DirectorySink:
    """A rehearsal (``vanthu report --dry-run DIR``): every claim succeeds and is not recorded, nothing is
    queued or committed, and each mail is written as text and HTML files into ``directory`` (created)."""

    directory: Path
    queues = False

    def claim(self, session: Session, kind: str, key: str, period: str, *, worker: str, now: dt.datetime) -> bool:
        return True

    def deliver(
        self,
        ctx: ReportContext,
        *,
        kind: str,
        to: str,
        template: str,
        file_stem: str,
        priority: str = "normal",
        document: Document | None = None,
        **variables: Any,
    ) -> None:
        tag = document.tag if document is not None else None
        rendered = ctx.templates.render(template, tag=tag, mailbox_address=ctx.mailbox.address, **variables)
        self.directory.mkdir(parents=True, exist_ok=True)
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in file_stem)
        (self.directory / f"{safe}.txt").write_text(
            f"To: {to}\nSubject: {rendered.subject}\n\n{rendered.text}", encoding="utf-8"
        )
        (self.directory / f"{safe}.html").write_text(rendered.html, encoding="utf-8")

    def finish(self, session: Session, kind: str, key: str, period: str, *, now: dt.datetime) -> None:
        return None

    def commit(self, ctx: ReportContext) -> None:
        return None


#: The sink of the scheduled jobs.
OUTBOX = OutboxSink()
