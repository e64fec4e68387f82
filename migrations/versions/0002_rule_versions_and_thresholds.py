"""Rule versions and thresholds.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 09:30:16.686591

Why: every edit of a rule becomes a version (history and diff), and validation
rules get pass thresholds (`mostly`) and warn/error levels on failure counts.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "business_rule_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "body",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("mostly", sa.Float(), nullable=True),
        sa.Column("warn_after", sa.Integer(), nullable=True),
        sa.Column("error_after", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_business_rule_versions_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["business_rules.id"],
            name=op.f("fk_business_rule_versions_rule_id_business_rules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_rule_versions")),
        sa.UniqueConstraint("rule_id", "version", name=op.f("uq_business_rule_versions_rule_id_version")),
    )
    op.create_index(
        op.f("ix_business_rule_versions_tenant_id"), "business_rule_versions", ["tenant_id"], unique=False
    )
    with op.batch_alter_table("business_rules") as batch:
        batch.add_column(sa.Column("mostly", sa.Float(), nullable=True))
        batch.add_column(sa.Column("warn_after", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("error_after", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("business_rules") as batch:
        batch.drop_column("error_after")
        batch.drop_column("warn_after")
        batch.drop_column("mostly")
    op.drop_index(op.f("ix_business_rule_versions_tenant_id"), table_name="business_rule_versions")
    op.drop_table("business_rule_versions")
