"""Sync runs: one active run per job, retries and schedules, cancellation.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 11:40:00

Why: two triggers of the same job must never run at once, and only the
database can promise that across workers: a partial unique index allows one
queued-or-running execution per job. A run now records what started it
(manual, schedule, retry), when a retry is due, and whether someone asked to
cancel it (a running worker checks between batches). Documents edited in the
workbench get a small partial index: each synced batch looks for them, and
only they can conflict.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = sa.text("status IN ('queued', 'running')")
EDITED = sa.text("edited_at IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("sync_executions") as batch:
        batch.add_column(sa.Column("trigger", sa.String(length=16), nullable=False, server_default="manual"))
        batch.add_column(sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("cancel_requested", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.create_check_constraint(
            op.f("ck_sync_executions_trigger_allowed"), "trigger IN ('manual', 'schedule', 'retry')"
        )
    with op.batch_alter_table("sync_executions") as batch:
        batch.alter_column("trigger", server_default=None)
        batch.alter_column("cancel_requested", server_default=None)
    op.create_index(
        "uq_sync_executions_active_job",
        "sync_executions",
        ["job_id"],
        unique=True,
        postgresql_where=ACTIVE,
        sqlite_where=ACTIVE,
    )
    op.create_index(
        "ix_documents_source_id_edited",
        "documents",
        ["source_id", "external_id"],
        postgresql_where=EDITED,
        sqlite_where=EDITED,
    )


def downgrade() -> None:
    op.drop_index("ix_documents_source_id_edited", table_name="documents")
    op.drop_index("uq_sync_executions_active_job", table_name="sync_executions")
    with op.batch_alter_table("sync_executions") as batch:
        batch.drop_constraint(op.f("ck_sync_executions_trigger_allowed"), type_="check")
        batch.drop_column("cancel_requested")
        batch.drop_column("scheduled_for")
        batch.drop_column("trigger")
