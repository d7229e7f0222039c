"""What a flow receives from the worker: one unit of work, the clock, settings, templates and services.

Flows never reach for the mail servers, the file system or the real clock themselves; the worker
builds this context, and tests build one with a frozen clock. The PDF service and the stores are
described here as protocols, so that ``mailflows`` does not import ``worker``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol
from zoneinfo import ZoneInfo

from models.calendar import WorkCalendar
from models.catalog import TitleCatalog
from models.clock import Clock
from models.doctypes import DocTypeCatalog
from models.routing import Rule
from models.uow import UnitOfWork
from templates import MailTemplates


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
    def inspect(self, data: bytes) -> PdfReportView: ...


class BlobStore(Protocol):
    """Bytes kept by SHA-256 (the raw messages, the documents' files)."""

    def put(self, data: bytes) -> str: ...
    def get(self, sha256: str) -> bytes: ...


@dataclass(frozen=True)
class MailboxInfo:
    """The watched mailbox a message arrived in: its unit and the address replies come from."""

    name: str
    unit_code: str
    address: str
    quarantine_folder: str = "Quarantine"


@dataclass(frozen=True)
class IntakePolicy:
    """What happens to incoming documents whose signatures are not simply valid and trusted.

    Each is ``register`` (register, with a warning to the clerk and in the register) or ``return``
    (send back to the sender with the reason, status 02).
    """

    untrusted: str = "register"  # valid signature, unknown or expired certificate chain
    unsigned: str = "register"  # no signature at all
    invalid: str = "return"  # broken, modified after signing, revoked, weak hash
    notify_sender_status: bool = True  # send edXML status updates to outside senders
    receipts_to_machines: bool = False  # also to automatic senders (no-reply@, Auto-Submitted, lists …)


@dataclass(frozen=True)
class FlowSettings:
    tz: ZoneInfo
    mail_domain: str
    reply_cap_per_hour: int
    doc_types: DocTypeCatalog
    titles: TitleCatalog
    authserv_id: str = ""  # when set, directory senders must pass DKIM or SPF at this server
    intake: IntakePolicy = IntakePolicy()
    rules: tuple[Rule, ...] = ()
    calendar: WorkCalendar = field(default_factory=WorkCalendar)
    organ_id: str = ""  # the unit's edXML agency code, when configured


@dataclass
class FlowContext:
    uow: UnitOfWork
    clock: Clock
    settings: FlowSettings
    templates: MailTemplates
    mailbox: MailboxInfo
    pdf: PdfService | None = None
    files: BlobStore | None = None
    raw: BlobStore | None = None
    ledger_id: int | None = None
    sha256: str = ""

    def now(self) -> dt.datetime:
        return self.clock.now()
