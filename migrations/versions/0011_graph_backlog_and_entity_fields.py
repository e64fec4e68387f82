"""The graph backlog and the metadata fields marked as entities.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 02:58:00

Why: a change to sources, runs, rules or issues is noted in graph_backlog in the
same transaction as the change itself and projected into the graph afterwards,
so a stopped Neo4j loses nothing; graph_entity_fields says which metadata fields
hold entities (customer, vendor, product) that documents mention.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "graph_backlog",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref_id", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('run', 'rule', 'issue', 'source_issues')", name=op.f("ck_graph_backlog_kind_allowed")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_graph_backlog")),
    )
    op.create_index(op.f("ix_graph_backlog_tenant_id"), "graph_backlog", ["tenant_id"])
    op.create_table(
        "graph_entity_fields",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("field", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "field", name=op.f("pk_graph_entity_fields")),
    )


def downgrade() -> None:
    op.drop_table("graph_entity_fields")
    op.drop_index(op.f("ix_graph_backlog_tenant_id"), table_name="graph_backlog")
    op.drop_table("graph_backlog")
