"""Labeling projects launched from the workbench, and annotation billing per annotator and project.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 02:53:07

Why: a launch must be retried and extended without duplicate tasks, so the project,
its selection and its Label Studio id are kept; billing rows say whose work in which
project and how long Label Studio measured it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "labeling_projects",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("template", sa.String(length=16), nullable=False),
        sa.Column("label_config", sa.Text(), nullable=False),
        sa.Column(
            "selection",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("labelstudio_project_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("last_pulled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('importing', 'ready', 'failed')", name=op.f("ck_labeling_projects_status_allowed")
        ),
        sa.CheckConstraint(
            "template IN ('classification', 'entities', 'sentiment', 'custom')",
            name=op.f("ck_labeling_projects_template_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_labeling_projects_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["business_rules.id"],
            name=op.f("fk_labeling_projects_rule_id_business_rules"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_labeling_projects")),
    )
    with op.batch_alter_table("labeling_projects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_labeling_projects_tenant_id"), ["tenant_id"], unique=False)

    with op.batch_alter_table("billing_records", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("project_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True)
        )
        batch_op.add_column(sa.Column("annotator", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("seconds", sa.Float(), server_default="0", nullable=False))
        batch_op.create_index(batch_op.f("ix_billing_records_project_id"), ["project_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_billing_records_project_id_labeling_projects"),
            "labeling_projects",
            ["project_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    with op.batch_alter_table("billing_records", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_billing_records_project_id_labeling_projects"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_billing_records_project_id"))
        batch_op.drop_column("seconds")
        batch_op.drop_column("annotator")
        batch_op.drop_column("project_id")

    with op.batch_alter_table("labeling_projects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_labeling_projects_tenant_id"))

    op.drop_table("labeling_projects")
