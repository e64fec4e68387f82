"""What the production-stack test does behind the browser's back: the customer's data, the
first admin, and reading what the workers wrote (the database, RQ's own records)."""

from __future__ import annotations

import secrets
import subprocess

from sqlalchemy import create_engine, func, select, text

from superinsight.db.models import Document, SyncExecution
from superinsight.resources import Resources
from superinsight.services.context import role_actor
from superinsight.services.sync import connections
from superinsight.services.sync import jobs as sync_jobs
from tests.servers import ROOT

ADMIN = "admin@example.com"
SMALL_ROWS, BULK_ROWS, BULK_BATCH = 300, 6000, 20
REFUND = "Customer asks for a refund"  # the body of every tenth row
analyst = role_actor("demo", "analyst", user_id=None)


def fill_source(url: str) -> None:
    """Two tables of the customer's: a few orders, and a long archive to kill a worker in."""
    engine = create_engine(url)
    with engine.begin() as connection:
        for table, rows in (("orders", SMALL_ROWS), ("archive", BULK_ROWS)):
            connection.execute(
                text(
                    f"CREATE TABLE {table} (id integer PRIMARY KEY, title text, body text, "
                    "updated_at timestamptz)"
                )
            )
            connection.execute(
                text(
                    f"INSERT INTO {table} SELECT n, 'Order ' || n, CASE WHEN n % 10 = 0 THEN :refund "
                    "ELSE 'Delivered on time' END, timestamptz '2026-01-01' + n * interval '1 second' "
                    "FROM generate_series(1, :rows) AS n"
                ),
                {"refund": REFUND, "rows": rows},
            )
    engine.dispose()


def create_job(res: Resources, source_url: str, name: str, table: str, batch: int) -> int:
    source = connections.create_source(
        res, analyst, connections.SourceDraft(f"{name} DB", "database", {"table": table}, {"url": source_url})
    )
    mapping = {"external_id": "id", "title": "title", "content": "body"}
    draft = sync_jobs.JobDraft(
        name, source, "incremental_dedup", mapping, cursor_field="updated_at", batch_size=batch,
        max_retries=1, retry_delay_seconds=1,
    )  # fmt: skip
    return sync_jobs.create_job(res, analyst, draft)


def create_admin(env: dict[str, str]) -> str:
    """The first admin, made with the CLI as an operator would (in the app's environment)."""
    password = secrets.token_urlsafe(18)
    created = subprocess.run(
        ["superinsight", "create-admin", "--email", ADMIN, "--password-stdin"],
        env=env,
        cwd=ROOT,
        input=f"{password}\n".encode(),
        capture_output=True,
        timeout=60,
    )
    assert created.returncode == 0, created.stderr.decode()
    return password


def runs_of(res: Resources, job_id: int) -> list[SyncExecution]:
    with res.uow() as uow:
        found = uow.session.scalars(
            select(SyncExecution).where(SyncExecution.job_id == job_id).order_by(SyncExecution.id)
        )
        return list(found)


def documents_of(res: Resources, job_id: int) -> tuple[int, int]:
    """(documents, distinct external ids) the job wrote."""
    with res.uow() as uow:
        total, distinct = uow.session.execute(
            select(func.count(), func.count(func.distinct(Document.external_id))).where(
                Document.sync_job_id == job_id
            )
        ).one()
    return int(total), int(distinct)


def rq_workers_of(res: Resources, execution_id: int) -> list[str]:
    """The names of the RQ workers that took a job running this sync run, whatever became of the job."""
    import rq
    from rq.registry import FailedJobRegistry, FinishedJobRegistry, StartedJobRegistry

    queue = res.jobs.queue  # type: ignore[attr-defined]
    ids = set(queue.job_ids)
    for registry in (StartedJobRegistry, FinishedJobRegistry, FailedJobRegistry):
        ids |= set(registry(queue=queue).get_job_ids())
    names = []
    for job in rq.job.Job.fetch_many(sorted(ids), connection=queue.connection):
        args = job.args if job is not None else ()
        if (
            len(args) == 4
            and getattr(args[0], "__name__", "") == "run_execution_job"
            and args[3] == execution_id
        ):
            names.append(job.worker_name or "")
    return names
