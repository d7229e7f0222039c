"""mailbox leases

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04

One row per watched mailbox naming the worker that watches it and when its lease runs out.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mailbox_leases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mailbox", sa.String(length=255), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mailbox_leases")),
        sa.UniqueConstraint("mailbox", name=op.f("uq_mailbox_leases_mailbox")),
    )


def downgrade() -> None:
    op.drop_table("mailbox_leases")
