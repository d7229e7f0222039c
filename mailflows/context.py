"""What a flow receives from the worker: one unit of work, the clock, settings and templates.

Flows never reach for the mail servers, the file system or the real clock themselves; the worker
builds this context, and tests build one with a frozen clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from models.catalog import TitleCatalog
from models.clock import Clock
from models.doctypes import DocTypeCatalog
from models.uow import UnitOfWork
from templates import MailTemplates


@dataclass(frozen=True)
class MailboxInfo:
    """The watched mailbox a message arrived in: its unit and the address replies come from."""

    name: str
    unit_code: str
    address: str


@dataclass(frozen=True)
class FlowSettings:
    tz: ZoneInfo
    mail_domain: str
    reply_cap_per_hour: int
    doc_types: DocTypeCatalog
    titles: TitleCatalog
    authserv_id: str = ""  # when set, directory senders must pass DKIM or SPF at this server


@dataclass
class FlowContext:
    uow: UnitOfWork
    clock: Clock
    settings: FlowSettings
    templates: MailTemplates
    mailbox: MailboxInfo
    ledger_id: int | None = None
    sha256: str = ""

    def now(self) -> dt.datetime:
        return self.clock.now()
