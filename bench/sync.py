"""How fast a sync moves rows from a PostgreSQL source table into documents, against a plain COPY.

    .venv/bin/python -m bench.sync [--rows 1000000] [--batch 10000]

Targets (issue 7): sync rows/s / COPY rows/s > 0.5; an incremental run with 1%
of the rows changed takes < 5% of the full run.

The reference streams the same rows with `COPY ... TO STDOUT` from the source
straight into `COPY ... FROM STDIN` of an empty table, in the same run, on the
same server. Two references are printed: a bare table (just the columns), and
a table shaped like `documents` (its indexes, its stored full-text vector, its
foreign keys),
because landing a row in `documents` costs that index work whichever way it
arrives. The target is judged against the documents-shaped one; both ratios are
shown so neither hides the other.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from tempfile import TemporaryDirectory

from sqlalchemy import Engine, create_engine, text

from bench.common import elapsed, measure, postgres, report, seeded_in
from superinsight.config import Settings
from superinsight.db.engine import normalize_url
from superinsight.resources import build_resources
from superinsight.services.context import role_actor
from superinsight.services.sync import connections
from superinsight.services.sync import jobs as sync_jobs
from superinsight.services.sync import runner as sync_runner
from superinsight.services.sync import runs as sync_runs

TENANT = "bench"
SOURCE_ROWS_SQL = """
    SELECT n, 'Order ' || n || ' for customer ' || (n % 5000),
           'Customer ' || (n % 5000) || ' ordered ' || (n % 17) || ' items about '
               || (ARRAY['billing', 'refund', 'export', 'renewal'])[1 + n % 4],
           (ARRAY['EMEA', 'NA', 'APAC', 'LATAM'])[1 + n % 4],
           (n::bigint * 7919) % 100000,
           timestamptz '2026-01-01' + n * interval '1 second'
    FROM generate_series(1, :rows) AS n
"""
SELECT_FOR_COPY = (
    "SELECT id::text, title, body, jsonb_build_object('region', region, 'amount', amount), '[]'::jsonb, "
    "md5(title || body), 'synced', 1, now(), now(), 'bench', {source_id}, {job_id} FROM items"
)
COPY_COLUMNS = (
    "external_id, title, content, metadata, tags, content_hash, sync_status, sync_version, "
    "created_at, updated_at, tenant_id, source_id, sync_job_id"
)


def seed_source(source: Engine, rows: int) -> None:
    with source.begin() as connection:
        connection.execute(
            text(
                "CREATE TABLE items (id integer PRIMARY KEY, title text, body text, region text, "
                "amount integer, updated_at timestamptz NOT NULL)"
            )
        )
        connection.execute(text(f"INSERT INTO items {SOURCE_ROWS_SQL}"), {"rows": rows})
        connection.execute(text("CREATE INDEX items_cursor ON items (updated_at, id)"))
        connection.execute(text("ANALYZE items"))


def copy_reference(
    source: Engine, target: Engine, table: str, like_documents: bool, source_id: int, job_id: int
) -> float:
    """Seconds to stream every source row into an empty table with COPY.

    The documents-shaped table has what `documents` has: columns, unique and
    other indexes, the stored full-text vector, and its foreign keys (which
    `LIKE` does not copy, so they are added).
    """
    with target.begin() as connection:
        connection.execute(text(f"DROP TABLE IF EXISTS {table}"))
        if like_documents:
            connection.execute(text(f"CREATE TABLE {table} (LIKE documents INCLUDING ALL)"))
            connection.execute(
                text(
                    f"ALTER TABLE {table} ADD FOREIGN KEY (source_id) REFERENCES data_sources (id), "
                    "ADD FOREIGN KEY (sync_job_id) REFERENCES sync_jobs (id)"
                )
            )
        else:
            connection.execute(
                text(
                    f"CREATE TABLE {table} (external_id text, title text, content text, metadata jsonb, "
                    "tags jsonb, content_hash text, sync_status text, sync_version int, "
                    "created_at timestamptz, updated_at timestamptz, tenant_id text, source_id int, "
                    "sync_job_id int)"
                )
            )

    rows = SELECT_FOR_COPY.format(source_id=source_id, job_id=job_id)

    def stream() -> None:
        with source.connect() as src, target.begin() as dst:
            reader = src.connection.driver_connection
            writer = dst.connection.driver_connection
            assert reader is not None and writer is not None
            with (
                reader.cursor() as out_cursor,
                writer.cursor() as in_cursor,
                out_cursor.copy(f"COPY ({rows}) TO STDOUT") as out,
                in_cursor.copy(f"COPY {table} ({COPY_COLUMNS}) FROM STDIN") as into,
            ):
                for chunk in out:
                    into.write(chunk)

    return elapsed(stream)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    args = parser.parse_args()
    with postgres() as workbench, TemporaryDirectory() as scratch:
        admin_url = workbench.url.set(database="postgres")
        admin = create_engine(
            normalize_url(admin_url.render_as_string(hide_password=False)), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as connection:
            connection.execute(text("DROP DATABASE IF EXISTS bench_source"))
            connection.execute(text("CREATE DATABASE bench_source"))
        admin.dispose()
        source_url = workbench.url.set(database="bench_source").render_as_string(hide_password=False)
        source = create_engine(normalize_url(source_url))
        seeding = seeded_in(lambda: seed_source(source, args.rows))

        settings = Settings(
            _env_file=None,
            data_dir=Path(scratch),
            database_url=workbench.url.render_as_string(hide_password=False),
            sync_allow_internal=True,
            sync_follow_ups=False,
        )
        resources = build_resources(settings)
        actor = role_actor(TENANT, "analyst")
        source_id = connections.create_source(
            resources,
            actor,
            connections.SourceDraft("Orders", "database", {"table": "items"}, {"url": source_url}),
        )
        job_id = sync_jobs.create_job(
            resources,
            actor,
            sync_jobs.JobDraft(
                "Orders",
                source_id,
                "incremental_dedup",
                {"external_id": "id", "title": "title", "content": "body", "metadata.*": ""},
                [{"type": "trim", "field": "title"}],
                cursor_field="updated_at",
                batch_size=args.batch,
            ),
        )

        def run() -> sync_runs.RunRow:
            execution_id = sync_runs.queue_run(resources, actor, job_id)
            sync_runner.run_execution(resources, actor, execution_id)
            return sync_runs.get_run(resources, actor, execution_id)

        full_seconds, full = measure(run)
        assert full.status == "succeeded" and full.counts["inserted"] == args.rows, full

        changed = max(args.rows // 100, 1)
        with source.begin() as connection:
            connection.execute(
                text(
                    "UPDATE items SET title = title || ' (amended)', updated_at = now() "
                    "WHERE id IN (SELECT id FROM items ORDER BY random() LIMIT :n)"
                ),
                {"n": changed},
            )
        incremental_seconds, incremental = measure(run)
        assert incremental.counts["updated"] == changed, incremental

        with workbench.begin() as connection:
            connection.execute(text("CHECKPOINT"))
        bare = copy_reference(source, workbench, "copy_reference_bare", False, source_id, job_id)
        shaped = copy_reference(source, workbench, "copy_reference_documents", True, source_id, job_id)
        resources.close()
        source.dispose()

    sync_rate = args.rows / full_seconds
    report(
        f"Sync of {args.rows:,} rows from a PostgreSQL table "
        f"(batches of {args.batch:,}; source seeded in {seeding:.1f} s)",
        [
            ("full sync", f"{full_seconds:.1f} s  ({sync_rate:,.0f} rows/s)"),
            ("COPY into a documents-shaped table", f"{shaped:.1f} s  ({args.rows / shaped:,.0f} rows/s)"),
            ("COPY into a bare table", f"{bare:.1f} s  ({args.rows / bare:,.0f} rows/s)"),
            ("sync / COPY (documents-shaped)", f"{sync_rate / (args.rows / shaped):.2f}  (target > 0.5)"),
            ("sync / COPY (bare table)", f"{sync_rate / (args.rows / bare):.2f}"),
            (f"incremental, {changed:,} rows changed", f"{incremental_seconds:.2f} s"),
            ("incremental / full", f"{incremental_seconds / full_seconds:.3%}  (target < 5%)"),
        ],
    )


if __name__ == "__main__":
    main()
