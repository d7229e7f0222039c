"""What a flow receives from the worker: one unit of work, the clock, settings, templates and services.

Flows never reach for the mail servers, the file system or the real clock themselves; the worker
builds this context, and tests build one with a frozen clock. The PDF service and the stores are
protocols of ``models.ports``, so that ``mailflows`` does not import ``worker``; a ``FlowContext`` is also a
``models.ports.MailContext``, what ``models.outbox.enqueue`` takes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from vanthu.models.calendar import WorkCalendar
from vanthu.models.catalog import TitleCatalog
from vanthu.models.clock import Clock
from vanthu.models.doctypes import DocTypeCatalog
from vanthu.models.ports import BlobStore, PdfService
from vanthu.models.routing import Rule
from vanthu.models.uow import UnitOfWork
from vanthu.templates import MailTemplates


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
