"""The composition root: everything a running vanthu needs, built once from the configuration."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from mailflows.context import FlowContext, FlowSettings, MailboxInfo
from models.catalog import TitleCatalog
from models.clock import Clock, SystemClock
from models.db import make_engine, make_session_factory
from models.doctypes import DocTypeCatalog
from models.uow import UnitOfWork
from templates import MailTemplates
from worker.config import Config, MailboxConfig
from worker.rawstore import RawStore
from worker.transports import LocalTransport, SmtpTransport, Transport


@dataclass
class App:
    config: Config
    engine: Engine
    session_factory: sessionmaker[Session]
    clock: Clock
    settings: FlowSettings
    templates: MailTemplates
    rawstore: RawStore
    wake_outbox: Callable[[], None] = field(default=lambda: None)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory)

    def flow_context(
        self, uow: UnitOfWork, mailbox: MailboxConfig, *, ledger_id: int | None, sha256: str
    ) -> FlowContext:
        return FlowContext(
            uow=uow,
            clock=self.clock,
            settings=self.settings,
            templates=self.templates,
            mailbox=MailboxInfo(mailbox.name, mailbox.unit, mailbox.address),
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


def build_app(config: Config, *, clock: Clock | None = None) -> App:
    data = config.data_path
    data.mkdir(parents=True, exist_ok=True)
    engine = make_engine(config.service.database_url)
    titles_path = Path(config.service.titles_csv) if config.service.titles_csv else None
    if titles_path is not None and not titles_path.is_absolute():
        titles_path = Path(config.base_dir) / titles_path
    return App(
        config=config,
        engine=engine,
        session_factory=make_session_factory(engine),
        clock=clock or SystemClock(),
        settings=FlowSettings(
            tz=config.tz,
            mail_domain=config.service.mail_domain,
            reply_cap_per_hour=config.service.reply_cap_per_hour,
            doc_types=DocTypeCatalog(),
            titles=TitleCatalog.load(titles_path) if titles_path else TitleCatalog.load(),
            authserv_id=config.service.authserv_id,
        ),
        templates=MailTemplates(config.tz),
        rawstore=RawStore(data / "raw"),
    )
