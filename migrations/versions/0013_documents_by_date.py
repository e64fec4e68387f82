"""Documents are listed newest first by their own date, so that order gets an index.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 06:00:00

Why: "newest" used to mean the highest id (the newest to arrive). A document now
carries its source's date (a sync mapping's `created_at` field, an upload's or the
demo's dates), and search pages are keyset pages on (created_at, id): without this
index the first page of a million documents would sort them all.
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


def downgrade() -> None:
    op.drop_index("ix_documents_tenant_id_created_at_id", table_name="documents")
