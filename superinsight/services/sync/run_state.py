"""How a run ends (succeeded, failed or partial, cancelled) and what ending it sets in motion (a retry)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from superinsight.adapters import metrics
from superinsight.db.base import aware, utcnow
from superinsight.db.models import SyncExecution, SyncJob
from superinsight.db.rows import existing
from superinsight.resources import Resources
from superinsight.services.context import Actor, internal, system_actor
from superinsight.services.sync import log as sync_log
from superinsight.services.sync.job_views import counts_of
from superinsight.sync import retry


def finish_run(execution: SyncExecution, status: str, error: str | None = None) -> None:
    now = utcnow()
    execution.status = status
    execution.finished_at = now
    execution.error_message = error
    if execution.started_at is not None:
        execution.duration_ms = int((now - aware(execution.started_at)).total_seconds() * 1000)


def count_rows(execution: SyncExecution) -> None:
    """Add an ended run's rows to the metrics, once its end is committed.

    The run's counts are what its batches committed (each batch adds to them in its own
    transaction), so a run that failed part way counts the rows it did write, under
    `partial`. Called by whoever ended the run: the worker that ran it, or the scheduler
    that failed it after its worker died (which therefore never counted it).
    """
    metrics.record_sync_rows(
        execution.status, execution.records_read, execution.records_inserted, execution.records_updated
    )


def tally(job: SyncJob, execution: SyncExecution) -> None:
    job.total_executions += 1
    job.total_records += execution.records_read
    job.last_executed_at = execution.finished_at
    if execution.status == "succeeded":
        job.total_successes += 1
    elif execution.status in ("failed", "partial"):
        job.total_failures += 1


def end_failed(session: Session, actor: Actor, execution: SyncExecution, reason: str) -> str:
    """Failed, or partial if some batches were committed; then a retry if any are left."""
    status = "partial" if execution.records_read > 0 else "failed"
    finish_run(execution, status, reason)
    job = existing(session, SyncJob, execution.job_id)
    tally(job, execution)
    sync_log.record(
        session, actor, job.id, f"run.{status}", counts_of(execution) | {"error": reason}, execution.id
    )
    if retry.should_retry(execution.attempt, job.max_retries):
        session.flush()
        delay = retry.backoff_seconds(execution.attempt, job.retry_delay_seconds)
        follow = SyncExecution(
            tenant_id=execution.tenant_id,
            job_id=job.id,
            status="queued",
            trigger="retry",
            attempt=execution.attempt + 1,
            scheduled_for=utcnow() + timedelta(seconds=delay),
        )
        session.add(follow)
        session.flush()
        sync_log.record(
            session,
            actor,
            job.id,
            "run.retry_scheduled",
            {"attempt": follow.attempt, "in_seconds": round(delay, 1)},
            follow.id,
        )
    return status


def fail_if_stale(session: Session, execution: SyncExecution, timeout_seconds: int, now: datetime) -> bool:
    """End a running run whose worker stopped beating (killed, machine lost); it may get a retry."""
    beat = execution.heartbeat_at
    if (
        execution.status != "running"
        or beat is None
        or aware(beat) >= now - timedelta(seconds=timeout_seconds)
    ):
        return False
    end_failed(
        session,
        system_actor(execution.tenant_id),
        execution,
        f"the worker stopped answering (no heartbeat for {timeout_seconds} s); "
        "committed batches are kept and a re-run resumes after them",
    )
    return True


@internal("the scheduler's round, for every tenant: fails runs whose worker died")
def reap_stale(resources: Resources, now: datetime | None = None) -> int:
    """Fail every run whose worker stopped beating: the scheduler's job, never a click's."""
    now = now or utcnow()
    timeout = resources.settings.sync_heartbeat_timeout_seconds
    with resources.uow() as uow:
        stale = uow.session.scalars(
            select(SyncExecution).where(
                SyncExecution.status == "running",
                SyncExecution.heartbeat_at < now - timedelta(seconds=timeout),
            )
        ).all()
        reaped = [execution for execution in stale if fail_if_stale(uow.session, execution, timeout, now)]
        uow.commit()
    for execution in reaped:
        count_rows(execution)
    return len(reaped)
