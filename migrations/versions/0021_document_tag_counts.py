"""Documents per tag, per tenant, source and UTC day, kept by triggers on documents.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 09:00:00

Why: the Documents page's "most frequent tags" grouped every document's tags on its first
view and on every source or date filter: 249 ms at 200,000 documents on PostgreSQL, about
1.2 s at a million (issue 18, bench/pages). The counts are now kept as the documents
change, and a search narrowed by nothing but sources and dates sums these rows, as the
counts by source already sum `document_arrivals`. Tags change through writers that know
nothing of each other (a sync's upsert, a rule that tags, an edit, settling a conflict)
and go with a deleted source by a foreign-key cascade, so the database keeps the counts,
as 0019 does for quality issues.

What is counted is what the page's GROUP BY over `jsonb_array_elements_text(tags)` counts:
one per element of each document's tags array that is text of at most 255 characters,
under the UTC date of its own date and source 0 for a document without a source.

PostgreSQL: INSERT and DELETE are statement-level with transition tables (a COPY of a
batch is one grouped upsert). An UPDATE fires per row only when it changes a tags array,
a source, a date or a tenant (a column list and a WHEN, both tested in C before any
function runs), so the sync's touch of every unchanged document or a labels pull fires
no row trigger (measured for the touch: no dearer within noise); such a row notes the counts it moves in `document_tag_changes` (and that it
did, in a transaction-local setting), and one statement-level trigger folds the notes
into the counts when the statement ends (or returns at once if no row noted anything). Notes
are never committed (the fold deletes them in the transaction that wrote them), and a
transaction sees no other's, so writers at the same time fold only their own. Transition
tables for UPDATE would have copied every updated row of every update (6-13% more on a
sync's touch of 200,000 unchanged documents, measured); a row's note costs 60 µs or so
in PL/pgSQL instead, so the one writer that changes tags in bulk — a rule that tags its
matches — sets COUNTED_BY_WRITER for its statement, which the WHEN reads, and adds what
its UPDATE ... RETURNING says it tagged, grouped, itself. Each upsert takes its groups
in key order, so two single-statement writers lock shared groups in the same order; a
statement that both inserts and updates (a sync's upsert) upserts twice, so it can still
deadlock with another writer of the same groups, as writers of quality issues can
(0019), and PostgreSQL then fails one of them. A group that reaches 0 is deleted, so the
table holds what the GROUP BY gives.

SQLite: row-level triggers per event (its writes are one row at a time anyway). Its batch
mode rebuilds a table without its triggers: a later migration that alters documents must
add a column plainly or create these triggers again.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GROUP = "tenant_id, source_id, day, tag"

# The key a document's tags count under, and its tags as rows, in each store's words.
# A tag is counted if it is text of at most 255 characters (what an edit allows): a longer
# one would not fit a B-tree key (2,704 bytes), and a write must never fail for a count.
PG_TAGS = """
    SELECT d.tenant_id, coalesce(d.source_id, 0) AS source_id,
           CAST(d.created_at AT TIME ZONE 'UTC' AS date) AS day, t.tag, {sign} AS documents
    FROM {table} AS d CROSS JOIN LATERAL jsonb_array_elements_text(
        CASE WHEN jsonb_typeof(d.tags) = 'array' THEN d.tags ELSE '[]'::jsonb END
    ) AS t(tag)
    WHERE length(t.tag) <= 255
"""
SQLITE_TAGS = """
    SELECT {row}.tenant_id, coalesce({row}.source_id, 0), date({row}.created_at), value, {sign}
    FROM json_each(CASE WHEN json_type({row}.tags) = 'array' THEN {row}.tags ELSE '[]' END)
    WHERE length(value) <= 255
"""

# S608 below: every fragment put into these statements is one of this module's constants.
BACKFILL = {
    "postgresql": f"INSERT INTO document_tag_counts ({GROUP}, documents) "  # noqa: S608
    f"SELECT {GROUP}, count(*) FROM ({PG_TAGS.format(sign=1, table='documents')}) AS tagged "
    f"GROUP BY {GROUP}",
    "sqlite": f"INSERT INTO document_tag_counts ({GROUP}, documents) "  # noqa: S608
    f"SELECT tenant_id, source_id, day, tag, count(*) FROM ("
    f"SELECT d.tenant_id, coalesce(d.source_id, 0) AS source_id, date(d.created_at) AS day, "
    f"value AS tag FROM documents AS d, json_each(CASE WHEN json_type(d.tags) = 'array' "
    f"THEN d.tags ELSE '[]' END) WHERE length(value) <= 255) GROUP BY {GROUP}",
}

# PostgreSQL -----------------------------------------------------------------------
# Sums the signed rows of `changes` (read from a `noted` of its own, if given) into the counts,
# and deletes the groups left at 0.
PG_ADD = """
    FOR emptied IN
        WITH {noted} applied AS (
            INSERT INTO document_tag_counts AS counted ({group}, documents)
            SELECT {group}, sum(documents) FROM ({changes}) AS change
            GROUP BY {group}
            HAVING sum(documents) <> 0
            ORDER BY {group}
            ON CONFLICT ({group}) DO UPDATE SET documents = counted.documents + excluded.documents
            RETURNING counted.*
        )
        SELECT * FROM applied WHERE documents = 0
    LOOP
        DELETE FROM document_tag_counts
        WHERE ({group}) = (emptied.tenant_id, emptied.source_id, emptied.day, emptied.tag);
    END LOOP;
"""

PG_FUNCTION = """
    CREATE FUNCTION document_tag_counts_{name}() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        emptied record;
    BEGIN
        {body}
        RETURN NULL;
    END
    $$
"""

PG_NOTE_ROW = """
    PERFORM set_config('superinsight.tag_changes_noted', 'yes', true);
    INSERT INTO document_tag_changes ({group}, documents)
    SELECT {group}, sum(documents) FROM ({old} UNION ALL {new}) AS change
    GROUP BY {group}
    HAVING sum(documents) <> 0;
""".format(  # noqa: S608
    group=GROUP,
    old=PG_TAGS.format(sign=-1, table="(SELECT OLD.*)"),
    new=PG_TAGS.format(sign=1, table="(SELECT NEW.*)"),
)

# Every UPDATE statement fires the fold; one whose rows noted nothing returns at once.
PG_SKIP_UNNOTED = """
    IF current_setting('superinsight.tag_changes_noted', true) IS DISTINCT FROM 'yes' THEN
        RETURN NULL;
    END IF;
    PERFORM set_config('superinsight.tag_changes_noted', '', true);
"""
PG_FOLD = PG_SKIP_UNNOTED + PG_ADD.format(
    group=GROUP,
    noted=f"noted AS (DELETE FROM document_tag_changes RETURNING {GROUP}, documents),",  # noqa: S608
    changes="SELECT * FROM noted",
)

# Set (transaction-local) by a writer that counts the tags its statement adds itself:
# superinsight.services.documents.tag_counts, whose name for it must stay this one.
COUNTED_BY_WRITER = "superinsight.tags_counted_by_writer"

CHANGED = (
    "OLD.tags IS DISTINCT FROM NEW.tags OR OLD.source_id IS DISTINCT FROM NEW.source_id "
    "OR OLD.created_at IS DISTINCT FROM NEW.created_at OR OLD.tenant_id IS DISTINCT FROM NEW.tenant_id"
)

POSTGRES = {
    "after_insert": (
        PG_ADD.format(group=GROUP, noted="", changes=PG_TAGS.format(sign=1, table="new_documents")),
        "AFTER INSERT ON documents REFERENCING NEW TABLE AS new_documents FOR EACH STATEMENT",
    ),
    "after_delete": (
        PG_ADD.format(group=GROUP, noted="", changes=PG_TAGS.format(sign=-1, table="old_documents")),
        "AFTER DELETE ON documents REFERENCING OLD TABLE AS old_documents FOR EACH STATEMENT",
    ),
    "note_update": (
        PG_NOTE_ROW,
        f"AFTER UPDATE OF tenant_id, source_id, created_at, tags ON documents FOR EACH ROW "
        f"WHEN (({CHANGED}) AND current_setting('{COUNTED_BY_WRITER}', true) IS DISTINCT FROM 'yes')",
    ),
    "after_update": (PG_FOLD, "AFTER UPDATE ON documents FOR EACH STATEMENT"),
    # TRUNCATE fires no DELETE trigger; it empties every tenant's documents, so every count goes.
    "after_truncate": ("DELETE FROM document_tag_counts;", "AFTER TRUNCATE ON documents FOR EACH STATEMENT"),
}


def postgres_statements() -> list[str]:
    statements: list[str] = []
    for name, (body, when) in POSTGRES.items():
        statements.append(PG_FUNCTION.format(name=name, body=body))
        statements.append(
            f"CREATE TRIGGER document_tag_counts_{name} {when} EXECUTE FUNCTION document_tag_counts_{name}()"
        )
    return statements


# SQLite ---------------------------------------------------------------------------
SQLITE_ADD_NEW = f"""
    INSERT INTO document_tag_counts ({GROUP}, documents)
    SELECT * FROM ({SQLITE_TAGS.format(row="new", sign="count(*)")} GROUP BY value) WHERE true
    ON CONFLICT ({GROUP}) DO UPDATE SET documents = documents + excluded.documents;
"""  # noqa: S608
SQLITE_TAKE_OLD = """
    UPDATE document_tag_counts
    SET documents = documents - (
        SELECT count(*) FROM json_each(old.tags)
        WHERE json_type(old.tags) = 'array' AND value = document_tag_counts.tag
    )
    WHERE tenant_id = old.tenant_id AND source_id = coalesce(old.source_id, 0)
      AND day = date(old.created_at) AND tag IN (SELECT value FROM json_each(old.tags));
    DELETE FROM document_tag_counts
    WHERE tenant_id = old.tenant_id AND source_id = coalesce(old.source_id, 0)
      AND day = date(old.created_at) AND documents <= 0;
"""
SQLITE_TRIGGERS = (
    f"CREATE TRIGGER document_tag_counts_after_insert AFTER INSERT ON documents BEGIN {SQLITE_ADD_NEW} END",
    f"CREATE TRIGGER document_tag_counts_after_delete AFTER DELETE ON documents BEGIN {SQLITE_TAKE_OLD} END",
    f"CREATE TRIGGER document_tag_counts_after_update "
    f"AFTER UPDATE OF tenant_id, source_id, created_at, tags ON documents "
    f"WHEN {CHANGED.replace('IS DISTINCT FROM', 'IS NOT').replace('OLD.', 'old.').replace('NEW.', 'new.')} "
    f"BEGIN {SQLITE_TAKE_OLD} {SQLITE_ADD_NEW} END",
)


def _columns() -> list[sa.Column[object]]:
    return [
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("source_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("tag", sa.Text(), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
    ]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "document_tag_counts",
        *_columns(),
        sa.PrimaryKeyConstraint("tenant_id", "source_id", "day", "tag", name=op.f("pk_document_tag_counts")),
    )
    if dialect == "postgresql":
        # Notes live only inside the statement that writes them: no key, no index.
        op.create_table("document_tag_changes", *_columns())
        # No writer may slip a document in between the backfill and the triggers.
        op.execute("LOCK TABLE documents IN SHARE ROW EXCLUSIVE MODE")
    op.execute(BACKFILL[dialect])
    for statement in postgres_statements() if dialect == "postgresql" else SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in POSTGRES:
            op.execute(f"DROP TRIGGER IF EXISTS document_tag_counts_{name} ON documents")
            op.execute(f"DROP FUNCTION IF EXISTS document_tag_counts_{name}()")
        op.drop_table("document_tag_changes")
    else:
        for name in ("after_insert", "after_delete", "after_update"):
            op.execute(f"DROP TRIGGER IF EXISTS document_tag_counts_{name}")
    op.drop_table("document_tag_counts")
