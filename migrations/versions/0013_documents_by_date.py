"""Documents are listed newest first by their own date, and filtered by tag: both get an index.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 06:00:00

Why: "newest" used to mean the highest id (the newest to arrive). A document now
carries its source's date (a sync mapping's `created_at` field, an upload's or the
demo's dates), and search pages are keyset pages on (created_at, id): without this
index the first page of a million documents would sort them all. The tag filter
(`tags @> '["vip"]'` on PostgreSQL) read every document of the tenant; a GIN index
with jsonb_path_ops answers containment (SQLite has no such index; its tables are small).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_documents_tenant_id_created_at_id", "documents", ["tenant_id", "created_at", "id"])
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_documents_tags",
            "documents",
            ["tags"],
            postgresql_using="gin",
            postgresql_ops={"tags": "jsonb_path_ops"},
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_documents_tags", table_name="documents")
    op.drop_index("ix_documents_tenant_id_created_at_id", table_name="documents")
