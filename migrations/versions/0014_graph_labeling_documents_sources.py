"""The graph backlog also notes labeling projects, imported documents and sources.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 07:00:00

Why: a labeling project launched, extended or pulled puts its documents in the
graph (LABELLED_IN, entities from named-entity labels); documents written by an
upload or the demo reach it one by one instead of only on a rebuild; a deleted
source takes its nodes with it. Each is a new word in graph_backlog.kind, whose
CHECK lists them: SQLite changes a CHECK only by rebuilding the table (batch mode).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = ("run", "rule", "issue", "source_issues")
AFTER = (*BEFORE, "labeling", "document", "source")


def _allow(kinds: Sequence[str]) -> None:
    with op.batch_alter_table("graph_backlog") as batch:
        batch.drop_constraint(op.f("ck_graph_backlog_kind_allowed"), type_="check")
        batch.create_check_constraint(
            op.f("ck_graph_backlog_kind_allowed"), f"kind IN ({', '.join(repr(k) for k in kinds)})"
        )


def upgrade() -> None:
    _allow(AFTER)


def downgrade() -> None:
    # Notes of the new kinds cannot be kept under the old CHECK; a rebuild projects what they named.
    backlog = sa.table("graph_backlog", sa.column("kind", sa.String))
    op.execute(sa.delete(backlog).where(backlog.c.kind.not_in(BEFORE)))
    _allow(BEFORE)
