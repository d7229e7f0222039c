"""SQLAlchemy tables of vanthu.

The schema is created and changed only by the Alembic migrations in ``models/migrations``; these
classes describe it for the ORM. All timestamps are stored as timezone-aware UTC; local dates (the
date a number was given, a register year) are computed in the configured time zone and stored as
plain dates where the law speaks of dates.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class Base(DeclarativeBase):
    """Declarative base; naming convention keeps constraint names identical on SQLite and PostgreSQL."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[str]: JSON}


Base.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp that is always timezone-aware UTC in Python, whatever the database keeps.

    SQLite has no time zones: values are stored as UTC and given back with ``tzinfo=UTC``.
    A naive value is refused, so that no server-local time can slip in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Unit(Base):
    """An organisational unit: a province procuracy, one of its departments, or a regional procuracy."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    symbol: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))  # province | department | regional
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True)
    mailbox_address: Mapped[str | None] = mapped_column(String(255), nullable=True)

    parent: Mapped[Unit | None] = relationship(remote_side=[id])


class Person(Base):
    """Someone in the directory, identified by their official email address (lower case)."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    full_name: Mapped[str] = mapped_column(String(255))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    unit: Mapped[Unit] = relationship()

    def has_role(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)


class Register(Base):
    """A register (sổ): its own counter per register year, its own symbol pattern."""

    __tablename__ = "registers"
    __table_args__ = (UniqueConstraint("unit_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(255))
    direction: Mapped[str] = mapped_column(String(8))  # in | out
    category: Mapped[str] = mapped_column(String(16))  # administrative | procedural | incoming
    doc_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    year_start_month: Mapped[int] = mapped_column(Integer, default=1)
    year_start_day: Mapped[int] = mapped_column(Integer, default=1)
    pattern: Mapped[str] = mapped_column(String(128))
    untyped_pattern: Mapped[str] = mapped_column(String(128))
    secret: Mapped[bool] = mapped_column(Boolean, default=False)

    unit: Mapped[Unit] = relationship()


class Counter(Base):
    """The last number given in one register year. Locked by the allocating transaction."""

    __tablename__ = "counters"

    register_id: Mapped[int] = mapped_column(ForeignKey("registers.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class Document(Base):
    """A document with a number in a register (reserved, issued, cancelled, or registered incoming)."""

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("register_id", "register_year", "number", "suffix"),
        Index("ix_documents_case_ref", "case_ref"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tag: Mapped[str | None] = mapped_column(String(32), unique=True, nullable=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    register_id: Mapped[int] = mapped_column(ForeignKey("registers.id"))
    register_year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    suffix: Mapped[str] = mapped_column(String(4), default="")
    number_str: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))  # reserved | issued | cancelled | registered
    type_code: Mapped[str] = mapped_column(String(16), default="")
    type_name: Mapped[str] = mapped_column(String(128), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    requester_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    signer_name: Mapped[str] = mapped_column(String(255), default="")
    case_ref: Mapped[str] = mapped_column(String(64), default="")
    secret: Mapped[bool] = mapped_column(Boolean, default=False)
    doc_date: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    insert_reason: Mapped[str] = mapped_column(Text, default="")
    source_message_id: Mapped[str] = mapped_column(String(512), default="")
    # Incoming documents (registered in an incoming register):
    direction: Mapped[str] = mapped_column(String(8), default="out")  # in | out
    paper: Mapped[bool] = mapped_column(Boolean, default=False)
    issuer: Mapped[str] = mapped_column(String(512), default="")
    orig_number: Mapped[str] = mapped_column(String(128), default="")  # số, ký hiệu as the issuer wrote it
    orig_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    urgency: Mapped[str] = mapped_column(String(16), default="")  # "" | Khẩn | Thượng khẩn | Hỏa tốc
    sender_email: Mapped[str] = mapped_column(String(255), default="")
    received_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    field_sources: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Folded (lower case, no diacritics) number, symbols, issuer, summary and case: what Tra cứu searches.
    search_text: Mapped[str] = mapped_column(Text, default="")
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    register: Mapped[Register] = relationship()
    unit: Mapped[Unit] = relationship()
    requester: Mapped[Person | None] = relationship(foreign_keys=[requester_id])


class DocumentFile(Base):
    """A file of a document, kept in the file store by SHA-256."""

    __tablename__ = "document_files"
    __table_args__ = (Index("ix_document_files_sha256", "sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(BigInteger)


class SignatureCheck(Base):
    """The validation result of one signature field of one file."""

    __tablename__ = "signature_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("document_files.id"))
    field_name: Mapped[str] = mapped_column(String(255), default="")
    signer_name: Mapped[str] = mapped_column(String(255), default="")
    signer_org: Mapped[str] = mapped_column(String(255), default="")
    signing_time: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    intact: Mapped[bool] = mapped_column(Boolean, default=False)
    valid: Mapped[bool] = mapped_column(Boolean, default=False)
    trusted: Mapped[bool] = mapped_column(Boolean, default=False)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    expired: Mapped[bool] = mapped_column(Boolean, default=False)
    coverage: Mapped[str] = mapped_column(String(32), default="")
    modification_level: Mapped[str] = mapped_column(String(32), default="")
    sub_filter: Mapped[str] = mapped_column(String(64), default="")
    problem: Mapped[str] = mapped_column(String(64), default="")
    summary: Mapped[str] = mapped_column(Text, default="")


class Assignment(Base):
    """Who must handle (or see) a document, by when, and on what legal basis."""

    __tablename__ = "assignments"
    __table_args__ = (Index("ix_assignments_status_deadline_at", "status", "deadline_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    role: Mapped[str] = mapped_column(String(16))  # main | copy | decide
    status: Mapped[str] = mapped_column(String(16))  # open | done | cancelled
    deadline_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    deadline_label: Mapped[str] = mapped_column(String(255), default="")
    legal_basis: Mapped[str] = mapped_column(String(255), default="")
    rule_name: Mapped[str] = mapped_column(String(255), default="")
    assigned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    assigned_by: Mapped[str] = mapped_column(String(255), default="")
    opinion: Mapped[str] = mapped_column(Text, default="")  # the leader's Ý kiến
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("assignments.id"), nullable=True)  # forwarded from
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    done_by: Mapped[str] = mapped_column(String(255), default="")
    answer_number: Mapped[str] = mapped_column(String(128), default="")  # số of the answering document


class ExtensionRequest(Base):
    """An assignee's request for a later deadline, decided by a leader (Đồng ý / Không đồng ý)."""

    __tablename__ = "extension_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"))
    requested_by: Mapped[str] = mapped_column(String(255))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    old_deadline: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    new_deadline: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16))  # pending | approved | refused
    decided_by: Mapped[str] = mapped_column(String(255), default="")
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class QuarantineItem(Base):
    """A message set aside for the clerk to decide; the tag ties the clerk's reply to it."""

    __tablename__ = "quarantine_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tag: Mapped[str | None] = mapped_column(String(32), unique=True, nullable=True)
    mailbox: Mapped[str] = mapped_column(String(255))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    ledger_id: Mapped[int | None] = mapped_column(ForeignKey("mail_ledger.id"), nullable=True)
    sha256: Mapped[str] = mapped_column(String(64))
    sender: Mapped[str] = mapped_column(String(255), default="")
    subject: Mapped[str] = mapped_column(Text, default="")
    message_id: Mapped[str] = mapped_column(String(998), default="")
    reason_code: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16))  # pending | registered | returned | closed | paper
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decided_by: Mapped[str] = mapped_column(String(255), default="")
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), nullable=True)


class MailLedger(Base):
    """One row per message seen in a watched mailbox, claimed before the message is processed.

    The unique key (mailbox, uidvalidity, uid) is what stops two workers, or one worker after a crash,
    from processing the same message twice.
    """

    __tablename__ = "mail_ledger"
    __table_args__ = (
        UniqueConstraint("mailbox", "uidvalidity", "uid"),
        Index("ix_mail_ledger_mailbox_sha256", "mailbox", "sha256"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(255))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    uid: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str] = mapped_column(String(998), default="")
    sender: Mapped[str] = mapped_column(String(255), default="")
    subject: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16))  # done | failed | quarantined
    outcome: Mapped[str] = mapped_column(String(64), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    first_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class OutboxMessage(Base):
    """An email to send, written by a flow inside its own transaction and delivered later."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state_next_attempt_at", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    from_addr: Mapped[str] = mapped_column(String(255))
    to_addr: Mapped[str] = mapped_column(String(255))
    cc_addrs: Mapped[list[str]] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    in_reply_to: Mapped[str] = mapped_column(String(998), default="")
    references: Mapped[str] = mapped_column(Text, default="")
    auto_submitted: Mapped[str] = mapped_column(String(32), default="auto-replied")
    priority: Mapped[str] = mapped_column(String(16), default="normal")  # normal | urgent
    # [{"filename", "content_type", "sha256"} (from the file store) or {"filename", "content_type", "text"}]
    attachments: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), nullable=True)
    ledger_id: Mapped[int | None] = mapped_column(ForeignKey("mail_ledger.id"), nullable=True)
    state: Mapped[str] = mapped_column(String(16))  # pending | sent | failed | suppressed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class AuditEntry(Base):
    """One entry of the append-only audit log, chained to the previous entry by hash."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    at_local: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(128))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The single row naming the last audit entry; locking it serialises appends."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


class ReportRun(Base):
    """A scheduled report claimed for one period; the unique key makes every report go out once."""

    __tablename__ = "report_runs"
    __table_args__ = (UniqueConstraint("kind", "unit_code", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    unit_code: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(32))
    claimed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    worker: Mapped[str] = mapped_column(String(128), default="")


class MailboxLease(Base):
    """Which worker watches a mailbox, until when: one holder at a time (see ``models.mailbox_leases``)."""

    __tablename__ = "mailbox_leases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(255), unique=True)
    holder: Mapped[str] = mapped_column(String(128))
    acquired_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
