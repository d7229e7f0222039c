"""The composition root: everything a running vanthu needs, built once from the configuration."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from vanthu.mailflows.context import FlowContext, FlowSettings, IntakePolicy, MailboxInfo
from vanthu.models.calendar import WorkCalendar
from vanthu.models.catalog import TitleCatalog
from vanthu.models.clock import Clock, ShiftedClock, SystemClock
from vanthu.models.db import make_engine, make_session_factory
from vanthu.models.doctypes import DocTypeCatalog
from vanthu.models.ports import PdfService
from vanthu.models.routing import DEFAULT_RULE_PACK, Rule, load_rule_pack
from vanthu.models.uow import UnitOfWork
from vanthu.templates import MailTemplates
from vanthu.worker.blobstore import BlobStore
from vanthu.worker.config import Config, MailboxConfig
from vanthu.worker.pdf_inspect import PdfInspector, TrustMaterial, TrustSettings, load_trust
from vanthu.worker.transports import LocalTransport, SmtpTransport, Transport


@dataclass
class App:
    config: Config
    engine: Engine
    session_factory: sessionmaker[Session]
    clock: Clock
    settings: FlowSettings
    templates: MailTemplates
    rawstore: BlobStore
    files: BlobStore
    trust: TrustMaterial
    wake_outbox: Callable[[], None] = field(default=lambda: None)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory)

    def pdf_inspector(self) -> PdfInspector:
        """A PDF service for one thread (it owns an event loop for pyHanko's async validation)."""
        return PdfInspector(self.trust)

    def flow_context(
        self,
        uow: UnitOfWork,
        mailbox: MailboxConfig,
        *,
        ledger_id: int | None,
        sha256: str,
        pdf: PdfService | None = None,
    ) -> FlowContext:
        return FlowContext(
            uow=uow,
            clock=self.clock,
            settings=self.settings,
            templates=self.templates,
            mailbox=MailboxInfo(mailbox.name, mailbox.unit, mailbox.address, mailbox.quarantine),
            pdf=pdf,
            files=self.files,
            raw=self.rawstore,
            ledger_id=ledger_id,
            sha256=sha256,
        )

    def transport(self) -> Transport:
        smtp = self.config.smtp
        if smtp.transport == "local":
            return LocalTransport(self.config.data_path / "mail")
        return SmtpTransport(
            host=smtp.host,
            port=smtp.port,
            tls=smtp.tls,
            user=smtp.user,
            password=os.environ.get(smtp.password_env, "") if smtp.password_env else "",
            timeout=smtp.timeout,
        )

    def close(self) -> None:
        self.engine.dispose()


def load_rules(config: Config) -> tuple[Rule, ...]:
    """The deployment's own rules first, then (unless switched off) the default pack."""
    rules: list[Rule] = []
    if config.routing.rules_file:
        rules += load_rule_pack(config.path(config.routing.rules_file))
    if config.routing.default_pack:
        rules += load_rule_pack(DEFAULT_RULE_PACK, default_unit=config.routing.default_pack_unit)
    return tuple(rules)


def configured_clock(config: Config) -> Clock:
    """The real clock, or (``service.clock_start``, for rehearsals and tests) one shifted to start then."""
    if config.service.clock_start:
        return ShiftedClock(dt.datetime.fromisoformat(config.service.clock_start))
    return SystemClock()


def build_app(config: Config, *, clock: Clock | None = None) -> App:
    data = config.data_path
    data.mkdir(parents=True, exist_ok=True)
    engine = make_engine(config.service.database_url)
    titles = TitleCatalog.load(config.path(config.service.titles_csv)) if config.service.titles_csv else None
    calendar = WorkCalendar(
        extra_days_off={dt.date.fromisoformat(d) for d in config.routing.extra_days_off},
        extra_working_days={dt.date.fromisoformat(d) for d in config.routing.extra_working_days},
    )
    trust = load_trust(
        TrustSettings(
            roots=tuple(config.path(p) for p in config.trust.roots),
            crls=tuple(config.path(p) for p in config.trust.crls),
            allow_sha1=config.trust.allow_sha1,
            max_bytes=int(config.intake.max_attachment_mb * 1024 * 1024),
        )
    )
    return App(
        config=config,
        engine=engine,
        session_factory=make_session_factory(engine),
        clock=clock or configured_clock(config),
        settings=FlowSettings(
            tz=config.tz,
            mail_domain=config.service.mail_domain,
            reply_cap_per_hour=config.service.reply_cap_per_hour,
            doc_types=DocTypeCatalog(),
            titles=titles or TitleCatalog.load(),
            authserv_id=config.service.authserv_id,
            intake=IntakePolicy(
                untrusted=config.intake.untrusted,
                unsigned=config.intake.unsigned,
                invalid=config.intake.invalid,
                notify_sender_status=config.intake.notify_sender_status,
                receipts_to_machines=config.intake.receipts_to_machines,
            ),
            rules=load_rules(config),
            calendar=calendar,
            organ_id=config.intake.organ_id,
        ),
        templates=MailTemplates(config.tz),
        rawstore=BlobStore(data / "raw", ".eml"),
        files=BlobStore(data / "files"),
        trust=trust,
    )
