"""An index for the Data quality page's issue list: a source's issues by dimension and status, newest first.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 09:00:00

Why: the list asks for the newest 200 issues of one source, dimension and status. The
only index that applied was (tenant_id, status), so PostgreSQL read every open issue of
the tenant, kept the source's and sorted them: 194 ms warm and 919 ms cold at 200,000
documents (bench/pages, issue 18). With (tenant_id, source_id, dimension, status, id) it
walks the index backwards and stops at the 200th.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_quality_issues_source_dimension_status_id"


def upgrade() -> None:
    op.create_index(NAME, "quality_issues", ["tenant_id", "source_id", "dimension", "status", "id"])


def downgrade() -> None:
    op.drop_index(NAME, table_name="quality_issues")
