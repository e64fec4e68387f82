"""How many documents arrived each day from each source, per tenant, kept by the writers.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 08:00:00

Why: the overview's "documents per day" chart grouped every document of the tenant by
day and source whenever its cached figure had expired, which every write does: 513-558 ms
at 200,000 documents on PostgreSQL, about 2.5 s at a million (issue 18). The writers now
add what a batch inserts and take away what a delete removes, in the same transaction;
the chart reads these rows. This backfills the documents already there.

A day is the UTC date of a document's own date (PostgreSQL's date() would follow the
session's time zone). A document without a source (the schema allows it, no writer makes
one; the chart calls it "uploads") counts under source 0: every document then has a key
that is never NULL, so the primary key is the ON CONFLICT target on both stores (a unique
key takes two NULLs for different values, and SQLite has no NULLS NOT DISTINCT). Source 0
is no data source, so there is no foreign key: deleting a source deletes its rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The writers' day (superinsight.documents.arrivals.arrival_day) in each store's words, frozen here.
BACKFILL = {
    "postgresql": """
        INSERT INTO document_arrivals (tenant_id, source_id, day, documents)
        SELECT tenant_id, coalesce(source_id, 0), CAST(created_at AT TIME ZONE 'UTC' AS date), count(*)
        FROM documents
        GROUP BY 1, 2, 3
    """,
    "sqlite": """
        INSERT INTO document_arrivals (tenant_id, source_id, day, documents)
        SELECT tenant_id, coalesce(source_id, 0), date(created_at), count(*)
        FROM documents
        GROUP BY 1, 2, 3
    """,
}


def upgrade() -> None:
    op.create_table(
        "document_arrivals",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("source_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "source_id", "day", name=op.f("pk_document_arrivals")),
    )
    op.execute(BACKFILL[op.get_bind().dialect.name])


def downgrade() -> None:
    op.drop_table("document_arrivals")
