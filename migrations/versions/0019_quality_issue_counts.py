"""Quality issue counts per source, dimension and status, kept by triggers on quality_issues.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 09:00:00

Why: the Quality page counted a source's issues by (dimension, status) on every render,
128-141 ms at 200,000 documents on PostgreSQL and ~0.6 s at a million, over issue 18's
"a page visited again in under 0.5 s". The counts are now kept in step with the issues
by the database itself, in the statement that changes them: issues change through
several writers (scoring files and resolves them, rules open them, triage moves them)
and through foreign-key cascades no writer sees (deleting a document or a source deletes
its issues), so hooks in the writers could not keep them exact.

PostgreSQL: one statement-level trigger per event, whose transition tables give the
statement's old and new rows; the deltas are grouped and added in one upsert per
statement. SQLite: row-level triggers do the same per row (foreign-key actions fire them:
the app's connections turn `foreign_keys` on). A group that reaches 0 is deleted, so the
table holds exactly what a GROUP BY over quality_issues gives, and nothing is left
behind for a deleted source. Issues with no source are not counted: the page only ever
asks per source.

SQLite's batch mode rebuilds a table without its triggers: a later migration that
alters quality_issues must add a column plainly or create these triggers again.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GROUP = "tenant_id, source_id, dimension, status"

BACKFILL = """
    INSERT INTO quality_issue_counts (tenant_id, source_id, dimension, status, issues)
    SELECT tenant_id, source_id, dimension, status, count(*) FROM quality_issues
    WHERE source_id IS NOT NULL
    GROUP BY tenant_id, source_id, dimension, status
"""

# PostgreSQL -----------------------------------------------------------------------
# Each event's rows as +1 for a row the statement leaves and -1 for one it takes away.
# Transition tables allow one event per trigger and no column list, so an UPDATE of the
# assignee fires too; its +1 and -1 cancel out and nothing is written.
PG_CHANGES = {
    "INSERT": (
        "NEW TABLE AS new_issues",
        "SELECT tenant_id, source_id, dimension, status, 1 AS issues FROM new_issues",
    ),
    "DELETE": (
        "OLD TABLE AS old_issues",
        "SELECT tenant_id, source_id, dimension, status, -1 AS issues FROM old_issues",
    ),
    "UPDATE": (
        "NEW TABLE AS new_issues OLD TABLE AS old_issues",
        "SELECT tenant_id, source_id, dimension, status, 1 AS issues FROM new_issues "
        "UNION ALL SELECT tenant_id, source_id, dimension, status, -1 FROM old_issues",
    ),
}

# Groups are upserted in key order, so two transactions counting into the same groups
# lock their rows in the same order; a group the statement empties is deleted after.
PG_FUNCTION = """
    CREATE FUNCTION quality_issue_counts_after_{event}() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        emptied record;
    BEGIN
        FOR emptied IN
            WITH applied AS (
                INSERT INTO quality_issue_counts AS counted ({group}, issues)
                SELECT {group}, sum(issues) FROM ({changes}) AS change
                WHERE source_id IS NOT NULL
                GROUP BY {group}
                HAVING sum(issues) <> 0
                ORDER BY {group}
                ON CONFLICT ({group}) DO UPDATE SET issues = counted.issues + excluded.issues
                RETURNING counted.*
            )
            SELECT * FROM applied WHERE issues = 0
        LOOP
            DELETE FROM quality_issue_counts
            WHERE ({group}) = (emptied.tenant_id, emptied.source_id, emptied.dimension, emptied.status);
        END LOOP;
        RETURN NULL;
    END
    $$
"""

PG_TRIGGER = """
    CREATE TRIGGER quality_issue_counts_after_{event} AFTER {EVENT} ON quality_issues
    REFERENCING {referencing} FOR EACH STATEMENT
    EXECUTE FUNCTION quality_issue_counts_after_{event}()
"""

# TRUNCATE fires no DELETE trigger; it empties every tenant's issues, so every count goes.
PG_TRUNCATE = (
    """
    CREATE FUNCTION quality_issue_counts_after_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM quality_issue_counts;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER quality_issue_counts_after_truncate AFTER TRUNCATE ON quality_issues
    FOR EACH STATEMENT EXECUTE FUNCTION quality_issue_counts_after_truncate()
    """,
)

PG_EVENTS = ("insert", "update", "delete", "truncate")


def postgres_statements() -> list[str]:
    statements: list[str] = []
    for event, (referencing, changes) in PG_CHANGES.items():
        names = {"event": event.lower(), "EVENT": event, "group": GROUP}
        statements.append(PG_FUNCTION.format(changes=changes, **names))
        statements.append(PG_TRIGGER.format(referencing=referencing, **names))
    return [*statements, *PG_TRUNCATE]


# SQLite ---------------------------------------------------------------------------
SQLITE_ADD_NEW = """
    INSERT INTO quality_issue_counts (tenant_id, source_id, dimension, status, issues)
    SELECT new.tenant_id, new.source_id, new.dimension, new.status, 1 WHERE new.source_id IS NOT NULL
    ON CONFLICT (tenant_id, source_id, dimension, status) DO UPDATE SET issues = issues + 1;
"""
SQLITE_TAKE_OLD = """
    UPDATE quality_issue_counts SET issues = issues - 1
    WHERE tenant_id = old.tenant_id AND source_id = old.source_id
      AND dimension = old.dimension AND status = old.status;
    DELETE FROM quality_issue_counts
    WHERE tenant_id = old.tenant_id AND source_id = old.source_id
      AND dimension = old.dimension AND status = old.status AND issues = 0;
"""
SQLITE_TRIGGERS = (
    f"CREATE TRIGGER quality_issue_counts_after_insert AFTER INSERT ON quality_issues "
    f"BEGIN {SQLITE_ADD_NEW} END",
    f"CREATE TRIGGER quality_issue_counts_after_delete AFTER DELETE ON quality_issues "
    f"BEGIN {SQLITE_TAKE_OLD} END",
    f"CREATE TRIGGER quality_issue_counts_after_update "
    f"AFTER UPDATE OF {GROUP} ON quality_issues "
    f"WHEN old.tenant_id IS NOT new.tenant_id OR old.source_id IS NOT new.source_id "
    f"OR old.dimension IS NOT new.dimension OR old.status IS NOT new.status "
    f"BEGIN {SQLITE_TAKE_OLD} {SQLITE_ADD_NEW} END",
)
SQLITE_EVENTS = ("insert", "update", "delete")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "quality_issue_counts",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("dimension", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("issues", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "source_id", "dimension", "status", name=op.f("pk_quality_issue_counts")
        ),
    )
    if dialect == "postgresql":
        # No writer may slip an issue in between the backfill and the triggers.
        op.execute("LOCK TABLE quality_issues IN SHARE ROW EXCLUSIVE MODE")
    op.execute(BACKFILL)
    for statement in postgres_statements() if dialect == "postgresql" else SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for event in PG_EVENTS:
            op.execute(f"DROP TRIGGER IF EXISTS quality_issue_counts_after_{event} ON quality_issues")
            op.execute(f"DROP FUNCTION IF EXISTS quality_issue_counts_after_{event}()")
    else:
        for event in SQLITE_EVENTS:
            op.execute(f"DROP TRIGGER IF EXISTS quality_issue_counts_after_{event}")
    op.drop_table("quality_issue_counts")
