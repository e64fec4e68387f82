"""Documents carry the labels annotators gave them, so rules can read them as `labels.<name>`.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 03:15:00

Why: pulled annotations live in `annotations` as Label Studio's nested results; a
rule needs them as plain fields that the evaluator and the SQL compiler read the
same way as metadata. Each pull recomputes `documents.labels`: label name -> how
many annotations gave it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN on both stores: SQLite's batch mode would rebuild the table and its search triggers.
    op.add_column(
        "documents",
        sa.Column(
            "labels",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
    )


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("labels")
