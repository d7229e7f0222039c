"""incoming documents

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21

Incoming documents: their files, signature checks, assignments with deadlines, the clerk's quarantine
items, and attachments and priority on outgoing mail.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deadline_label", sa.String(length=255), nullable=False),
        sa.Column("legal_basis", sa.String(length=255), nullable=False),
        sa.Column("rule_name", sa.String(length=255), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_by", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name=op.f("fk_assignments_document_id_documents")),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_assignments_person_id_people")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_assignments_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignments")),
    )
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.create_index("ix_assignments_status_deadline_at", ["status", "deadline_at"], unique=False)

    op.create_table(
        "document_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=128), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_document_files_document_id_documents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_files")),
    )
    with op.batch_alter_table("document_files", schema=None) as batch_op:
        batch_op.create_index("ix_document_files_sha256", ["sha256"], unique=False)

    op.create_table(
        "quarantine_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=32), nullable=True),
        sa.Column("mailbox", sa.String(length=255), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("ledger_id", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("sender", sa.String(length=255), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("message_id", sa.String(length=998), nullable=False),
        sa.Column("reason_code", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=255), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_quarantine_items_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["ledger_id"], ["mail_ledger.id"], name=op.f("fk_quarantine_items_ledger_id_mail_ledger")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_quarantine_items_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantine_items")),
        sa.UniqueConstraint("tag", name=op.f("uq_quarantine_items_tag")),
    )
    op.create_table(
        "signature_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("field_name", sa.String(length=255), nullable=False),
        sa.Column("signer_name", sa.String(length=255), nullable=False),
        sa.Column("signer_org", sa.String(length=255), nullable=False),
        sa.Column("signing_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("intact", sa.Boolean(), nullable=False),
        sa.Column("valid", sa.Boolean(), nullable=False),
        sa.Column("trusted", sa.Boolean(), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("expired", sa.Boolean(), nullable=False),
        sa.Column("coverage", sa.String(length=32), nullable=False),
        sa.Column("modification_level", sa.String(length=32), nullable=False),
        sa.Column("sub_filter", sa.String(length=64), nullable=False),
        sa.Column("problem", sa.String(length=64), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"], ["document_files.id"], name=op.f("fk_signature_checks_file_id_document_files")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signature_checks")),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("direction", sa.String(length=8), nullable=False, server_default="out"))
        batch_op.add_column(sa.Column("paper", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("issuer", sa.String(length=512), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("orig_number", sa.String(length=128), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("orig_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("urgency", sa.String(length=16), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("sender_email", sa.String(length=255), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("received_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("field_sources", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("warnings", sa.JSON(), nullable=False, server_default="[]"))

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("priority", sa.String(length=16), nullable=False, server_default="normal"))
        batch_op.add_column(sa.Column("attachments", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("attachments")
        batch_op.drop_column("priority")

    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_column("warnings")
        batch_op.drop_column("field_sources")
        batch_op.drop_column("received_at")
        batch_op.drop_column("sender_email")
        batch_op.drop_column("urgency")
        batch_op.drop_column("orig_date")
        batch_op.drop_column("orig_number")
        batch_op.drop_column("issuer")
        batch_op.drop_column("paper")
        batch_op.drop_column("direction")

    op.drop_table("signature_checks")
    op.drop_table("quarantine_items")
    with op.batch_alter_table("document_files", schema=None) as batch_op:
        batch_op.drop_index("ix_document_files_sha256")

    op.drop_table("document_files")
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_index("ix_assignments_status_deadline_at")

    op.drop_table("assignments")
