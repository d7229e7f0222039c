"""What the domain needs from outside, described as protocols: the worker provides, the domain only uses.

``models`` imports none of the other packages, yet the outbox renders templates, the reports need a unit of
work with a clock, and the intake flow reads what the PDF service found. This module names those services
as structural types, so that:

* ``models.outbox.enqueue`` takes any :class:`MailContext` (a flow's ``FlowContext`` is one, and so is the
  context the worker builds for a report job);
* ``cron`` works against :class:`ReportContext` without importing ``mailflows``;
* ``mailflows`` receives the PDF service and the stores (:class:`PdfService`, :class:`BlobStore`) without
  importing ``worker``, which implements them (``worker.pdf_inspect``, ``worker.blobstore``).

Nothing here does anything; each protocol says what its implementations guarantee.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from vanthu.models.calendar import WorkCalendar
from vanthu.models.uow import UnitOfWork

# --- mail rendering and sending ------------------------------------------------------------------------------


class RenderedMailView(Protocol):
    """One rendered email: a one-line subject, the plain-text part and the HTML part (all NFC)."""

    @property
    def subject(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def html(self) -> str: ...


class MailRenderer(Protocol):
    """Renders mail template ``name`` with ``context`` (``templates.MailTemplates`` is the implementation).

    Raises on a missing template or a missing variable; never returns a half-rendered mail.
    """

    def render(self, name: str, **context: Any) -> RenderedMailView: ...


class SenderMailbox(Protocol):
    """The mailbox mail is sent from: its address is the From of every message queued."""

    @property
    def address(self) -> str: ...


class MailSettings(Protocol):
    """The deployment's settings that outgoing mail depends on."""

    @property
    def tz(self) -> ZoneInfo: ...
    @property
    def mail_domain(self) -> str: ...  # the right-hand side of every Message-ID vanthu writes
    @property
    def reply_cap_per_hour(self) -> int: ...  # the per-address cap of models.outbox


class ReportSettings(MailSettings, Protocol):
    """…and what the scheduled reports judge days by."""

    @property
    def calendar(self) -> WorkCalendar: ...


class MailReference(Protocol):
    """A message being answered: its Message-ID and its References, oldest first."""

    @property
    def message_id(self) -> str: ...
    @property
    def references(self) -> Sequence[str]: ...


class MailContext(Protocol):
    """Everything ``models.outbox.enqueue`` needs: one transaction, the caller's time, templates, the sender.

    ``now()`` is the caller's clock (frozen in tests); ``ledger_id`` is the incoming message the mail
    answers, or None for mail vanthu starts itself (reports).
    """

    @property
    def uow(self) -> UnitOfWork: ...
    @property
    def templates(self) -> MailRenderer: ...
    @property
    def mailbox(self) -> SenderMailbox: ...
    @property
    def settings(self) -> MailSettings: ...
    @property
    def ledger_id(self) -> int | None: ...
    def now(self) -> dt.datetime: ...


class ReportContext(MailContext, Protocol):
    """What a scheduled report job works in: a :class:`MailContext` whose settings include the calendar."""

    @property
    def settings(self) -> ReportSettings: ...


# --- the PDF service and the stores --------------------------------------------------------------------------


class SignatureView(Protocol):
    """One validated signature, as the PDF service reports it."""

    @property
    def field_name(self) -> str: ...
    @property
    def signer_name(self) -> str: ...
    @property
    def signer_org(self) -> str | None: ...
    @property
    def signing_time(self) -> dt.datetime | None: ...
    @property
    def intact(self) -> bool: ...
    @property
    def valid(self) -> bool: ...
    @property
    def trusted(self) -> bool: ...
    @property
    def revoked(self) -> bool: ...
    @property
    def expired(self) -> bool: ...
    @property
    def coverage(self) -> str: ...
    @property
    def modification_level(self) -> str: ...
    @property
    def sub_filter(self) -> str: ...
    @property
    def problem(self) -> str | None: ...
    @property
    def summary(self) -> str: ...


class PdfReportView(Protocol):
    """What the PDF service says about one file (see ``worker.pdf_inspect.PdfReport``)."""

    @property
    def sha256(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def outcome(self) -> str: ...
    @property
    def error(self) -> str | None: ...
    @property
    def signature_fields(self) -> int: ...
    @property
    def signatures(self) -> Sequence[SignatureView]: ...
    @property
    def unsupported_signatures(self) -> int: ...
    @property
    def first_pages_text(self) -> str: ...


class PdfService(Protocol):
    """Reads a PDF's text and validates its signatures (``worker.pdf_inspect`` is the implementation)."""

    def inspect(self, data: bytes) -> PdfReportView: ...


class BlobStore(Protocol):
    """Bytes kept by SHA-256 (the raw messages, the documents' files)."""

    def put(self, data: bytes) -> str: ...
    def get(self, sha256: str) -> bytes: ...
