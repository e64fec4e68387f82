"""Notifications: read and dismissed per user, not for the whole workspace.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 21:30:00

Why: a notification for nobody in particular (a rule run, a quality drop) is seen
by everyone in the workspace; one user marking it read or dismissing it must not
take it from the others.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notification_receipts",
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "status IN ('read', 'dismissed')", name=op.f("ck_notification_receipts_status_allowed")
        ),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["business_logic_notifications.id"],
            name=op.f("fk_notification_receipts_notification_id_business_logic_notifications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notification_receipts_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("notification_id", "user_id", name=op.f("pk_notification_receipts")),
    )
    op.create_index(op.f("ix_notification_receipts_tenant_id"), "notification_receipts", ["tenant_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_notification_receipts_tenant_id"), table_name="notification_receipts")
    op.drop_table("notification_receipts")
