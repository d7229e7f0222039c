"""assignment by reply

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21

Assignment by reply: leaders' opinions, forwarding, completion with the answering number, extension
requests, and the folded search text of documents.
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from alembic import op

SEARCHED = ("number_str", "orig_number", "issuer", "type_name", "summary", "case_ref", "sender_email")

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "extension_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.String(length=255), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("old_deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("new_deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=255), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignment_id"], ["assignments.id"], name=op.f("fk_extension_requests_assignment_id_assignments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extension_requests")),
    )
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("opinion", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("done_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("done_by", sa.String(length=255), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("answer_number", sa.String(length=128), nullable=False, server_default=""))
        batch_op.create_foreign_key(
            batch_op.f("fk_assignments_parent_id_assignments"), "assignments", ["parent_id"], ["id"]
        )

    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("done_at", sa.DateTime(timezone=True), nullable=True))

    _backfill_search_text()


def _backfill_search_text() -> None:
    """Fill the folded search text of documents that existed before this revision."""
    from unidecode import unidecode

    documents = sa.table(
        "documents",
        sa.column("id", sa.Integer),
        *(sa.column(name, sa.Text) for name in SEARCHED),
        sa.column("search_text", sa.Text),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(documents.c.id, *(documents.c[name] for name in SEARCHED))).all()
    for row in rows:
        text = " ".join(str(v) for v in row[1:] if v)
        folded = " ".join(unidecode(unicodedata.normalize("NFC", text)).lower().split())
        bind.execute(documents.update().where(documents.c.id == row[0]).values(search_text=folded))


def downgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_column("done_at")
        batch_op.drop_column("search_text")

    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_assignments_parent_id_assignments"), type_="foreignkey")
        batch_op.drop_column("answer_number")
        batch_op.drop_column("done_by")
        batch_op.drop_column("done_at")
        batch_op.drop_column("parent_id")
        batch_op.drop_column("opinion")

    op.drop_table("extension_requests")
