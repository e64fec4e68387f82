"""The JSON kinds each metadata key holds, per tenant and source, kept by the writers.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 09:00:00

Why: a compiled rule reads a metadata value through a CASE over every JSON kind,
because nothing said which kinds a key holds; that CASE made a rule 1.4x slower than
the same SQL written by hand (issue 13). And the rule editor's list of metadata keys
scanned every document's metadata (issue 18). The writers now add a row for every
(key, kind) a batch or an edit brings; this backfills the documents already there.
Keys longer than 255 characters are left out: no rule can name them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("number", "string", "true", "false", "null", "object", "array")

# The writers' own statements (superinsight.services.documents.key_kinds), frozen here.
BACKFILL = {
    "postgresql": """
        INSERT INTO metadata_key_kinds (tenant_id, source_id, key, kind)
        SELECT DISTINCT d.tenant_id, d.source_id, e.key,
               CASE jsonb_typeof(e.value) WHEN 'boolean' THEN e.value #>> '{}' ELSE jsonb_typeof(e.value) END
        FROM documents AS d, jsonb_each(d.metadata) AS e
        WHERE d.source_id IS NOT NULL AND length(e.key) <= 255
        ON CONFLICT DO NOTHING
    """,
    "sqlite": """
        INSERT INTO metadata_key_kinds (tenant_id, source_id, key, kind)
        SELECT DISTINCT d.tenant_id, d.source_id, e.key,
               CASE e.type WHEN 'integer' THEN 'number' WHEN 'real' THEN 'number'
                           WHEN 'text' THEN 'string' ELSE e.type END
        FROM documents AS d, json_each(d.metadata) AS e
        WHERE d.source_id IS NOT NULL AND length(e.key) <= 255
        ON CONFLICT DO NOTHING
    """,
}


def upgrade() -> None:
    op.create_table(
        "metadata_key_kinds",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.CheckConstraint(
            f"kind IN ({', '.join(repr(kind) for kind in KINDS)})",
            name=op.f("ck_metadata_key_kinds_kind_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["data_sources.id"],
            name=op.f("fk_metadata_key_kinds_source_id_data_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "source_id", "key", "kind", name=op.f("pk_metadata_key_kinds")),
    )
    op.create_index(op.f("ix_metadata_key_kinds_source_id"), "metadata_key_kinds", ["source_id"])
    op.execute(BACKFILL[op.get_bind().dialect.name])


def downgrade() -> None:
    op.drop_index(op.f("ix_metadata_key_kinds_source_id"), table_name="metadata_key_kinds")
    op.drop_table("metadata_key_kinds")
