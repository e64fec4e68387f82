"""Running one sync: claim the run, read the source in batches, commit each with its cursor."""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable, Iterable
from functools import partial

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from superinsight.adapters.jobs import report_progress
from superinsight.db import dialect
from superinsight.db.base import utcnow
from superinsight.db.deadlocks import retrying_deadlocks
from superinsight.db.models import DataSource, SyncExecution, SyncJob
from superinsight.db.rows import existing
from superinsight.redaction import redact
from superinsight.resources import Resources, current_resources
from superinsight.services.context import Actor, job_entry, require, system_actor
from superinsight.services.documents import writer as document_writer
from superinsight.services.documents.batch_writer import refresh_statistics, remove_missing, write_batch
from superinsight.services.documents.staging import WriteCounts
from superinsight.services.errors import InvalidInputError, NotFoundError
from superinsight.services.graph import backlog as graph_backlog
from superinsight.services.sync import connections
from superinsight.services.sync import follow_ups as sync_follow_ups
from superinsight.services.sync import log as sync_log
from superinsight.services.sync.job_views import counts_of
from superinsight.services.sync.plan import Plan, Prepared, plan_run, prepared
from superinsight.services.sync.run_state import count_rows, end_failed, finish_run, tally
from superinsight.sync import cursor
from superinsight.sync.connectors import SourceError, SourceRecord
from superinsight.sync.pipeline import prefetch

MAX_LOGGED_RECORD_ERRORS = 100


log = logging.getLogger(__name__)


class RunStopped(Exception):
    """The run was cancelled, or taken for dead and failed by `tick`; stop without writing more."""


@job_entry("a Run-now or the scheduler, after requiring sync.run")
def run_execution_job(tenant_id: str, user_id: int | None, execution_id: int) -> None:
    """What a worker runs (importable by name, so RQ finds it)."""
    run_execution(current_resources(), system_actor(tenant_id, user_id), execution_id)


def _worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _claim(resources: Resources, tenant_id: str, execution_id: int) -> bool:
    """Move the run from queued to running, unless it was cancelled (or claimed) meanwhile."""
    with resources.uow() as uow:
        now = utcnow()
        claimed = uow.session.execute(
            update(SyncExecution)
            .where(
                SyncExecution.id == execution_id,
                SyncExecution.tenant_id == tenant_id,
                SyncExecution.status == "queued",
                # A retry waiting out its backoff is not started early, whoever asks.
                or_(SyncExecution.scheduled_for.is_(None), SyncExecution.scheduled_for <= now),
                SyncExecution.cancel_requested.is_(False),
            )
            .values(status="running", started_at=now, heartbeat_at=now, worker_id=_worker_id())
        )
        uow.commit()
        return bool(claimed.rowcount)  # type: ignore[attr-defined]


def run_execution(resources: Resources, actor: Actor, execution_id: int) -> str:
    """Run a queued sync of the actor's tenant to its end; returns the status it ended with."""
    require(actor, "sync.run")
    with resources.uow() as uow:
        queued = uow.session.get(SyncExecution, execution_id)
        if queued is None or queued.tenant_id != actor.tenant_id:
            raise NotFoundError(f"sync run {execution_id} does not exist")
    if not _claim(resources, actor.tenant_id, execution_id):
        return "not started"
    started = time.perf_counter()
    secrets: list[str] = []
    try:
        with resources.uow() as uow:
            execution = existing(uow.session, SyncExecution, execution_id)
            plan = plan_run(uow.session, actor, execution)
            source = existing(uow.session, DataSource, plan.source_id)
            secrets = list(connections.saved_secret_values(resources, source))
            connector = connections.connector_for(resources, source)
            sync_log.record(
                uow.session,
                actor,
                plan.job_id,
                "run.start",
                {
                    "attempt": plan.attempt,
                    "from": cursor.describe(plan.spec.since, plan.spec.cursor_field, plan.spec.key_field),
                },
                execution_id,
            )
            uow.commit()
        total = connector.count(plan.spec)
        _heartbeat(resources, execution_id)
        _run_batches(resources, actor, plan, connector.read(plan.spec, plan.batch_size), total)
    except RunStopped:
        return _end_run(resources, execution_id, lambda session, run: _end_cancelled(session, actor, run))
    except Exception as exc:  # noqa: BLE001 - any failure ends the run as failed, with its reason kept
        reason = _reason(exc, secrets + resources.settings.secret_values())
        return _end_run(resources, execution_id, lambda session, run: end_failed(session, actor, run, reason))
    return _succeeded(resources, actor, plan, time.perf_counter() - started)


def _reason(exc: BaseException, secrets: list[str]) -> str:
    if isinstance(exc, (SourceError, InvalidInputError, ValueError)):
        text = str(exc)
    else:
        text = f"{type(exc).__name__}: {exc}"
    return redact(text, secrets)[:2000]


def _heartbeat(resources: Resources, execution_id: int) -> None:
    with resources.uow() as uow:
        _guard(uow.session, execution_id)
        uow.commit()


def _guard(session: Session, execution_id: int) -> SyncExecution:
    """Lock the run's row, beat its heart, and stop if it was cancelled or given up on."""
    execution = session.scalar(
        select(SyncExecution).where(SyncExecution.id == execution_id).with_for_update()
    )
    if execution is None or execution.status != "running":
        raise RunStopped("the run was failed by the heartbeat check (no sign of life); a retry resumes it")
    if execution.cancel_requested:
        raise RunStopped("cancelled")
    execution.heartbeat_at = utcnow()
    return execution


def _run_batches(
    resources: Resources, actor: Actor, plan: Plan, batches: Iterable[list[SourceRecord]], total: int | None
) -> None:
    """Write batch after batch, while the next one is read and prepared on a background thread.

    A batch PostgreSQL failed to break a deadlock (with a rule tagging the same source) is
    written again (`retrying_deadlocks`): its transaction left nothing behind.
    """
    key = resources.settings.effective_secret_key().encode()
    read = logged_errors = 0
    for batch in prefetch(prepared(plan, batches, key, dialect.is_postgresql(resources.engine))):
        write = partial(_commit_batch, resources, actor, plan, batch, read, logged_errors, total)
        progress = retrying_deadlocks(write)
        read += batch.records
        logged_errors += len(batch.errors)
        document_writer.bump_version(resources, actor.tenant_id)
        report_progress(progress, f"{read:,} records read")


def _commit_batch(
    resources: Resources,
    actor: Actor,
    plan: Plan,
    batch: Prepared,
    read_before: int,
    logged_before: int,
    total: int | None,
) -> float:
    """One batch in one transaction, with the run's counts and log; the run's progress after it."""
    with resources.uow() as uow:
        execution = _guard(uow.session, plan.execution_id)
        counts = write_batch(uow.session, plan.target, batch.staged, batch.payload)
        counts.skipped += batch.duplicates
        if plan.target.mode.incremental:
            job = existing(uow.session, SyncJob, plan.job_id)
            job.cursor_value = cursor.dumps(batch.last.position)
            execution.cursor_end = job.cursor_value
        read = read_before + batch.records
        _add_counts(execution, counts, batch.records, len(batch.errors))
        progress = execution.progress = min(read / total, 1.0) if total else 0.0
        for message in batch.errors[: max(MAX_LOGGED_RECORD_ERRORS - logged_before, 0)]:
            sync_log.record(
                uow.session, actor, plan.job_id, "record.error", {"error": message}, plan.execution_id
            )
        sync_log.record(
            uow.session,
            actor,
            plan.job_id,
            "batch.commit",
            {
                "records": batch.records,
                "inserted": counts.inserted,
                "updated": counts.updated,
                "conflicts": counts.conflicts,
            },
            plan.execution_id,
        )
        uow.commit()
        return progress


def _add_counts(execution: SyncExecution, counts: WriteCounts, read: int, errors: int) -> None:
    execution.records_read += read
    execution.records_inserted += counts.inserted
    execution.records_updated += counts.updated
    execution.records_unchanged += counts.unchanged
    execution.records_skipped += counts.skipped
    execution.conflicts += counts.conflicts
    execution.errors += errors


def _succeeded(resources: Resources, actor: Actor, plan: Plan, seconds: float) -> str:
    # Removing what the source no longer has can meet a tagging rule in a deadlock too.
    execution, changed = retrying_deadlocks(partial(_commit_success, resources, actor, plan, seconds))
    count_rows(execution)
    document_writer.bump_version(resources, actor.tenant_id)
    if changed:
        sync_follow_ups.enqueue_after_sync(resources, actor, plan.source_id)
    return "succeeded"


def _commit_success(
    resources: Resources, actor: Actor, plan: Plan, seconds: float
) -> tuple[SyncExecution, int]:
    """The run's end in one transaction: what the source no longer has removed (an overwrite),
    the counts kept and logged; the run and how many documents it changed."""
    with resources.uow() as uow:
        execution = _guard(uow.session, plan.execution_id)
        removed = 0
        if plan.target.mode.deletes_missing:
            removed = remove_missing(
                uow.session, plan.target.tenant_id, plan.source_id, plan.job_id, plan.target.now
            )
        finish_run(execution, "succeeded")
        refresh_statistics(uow.session, execution.records_inserted)
        job = existing(uow.session, SyncJob, plan.job_id)
        tally(job, execution)
        changed = execution.records_inserted + execution.records_updated + removed
        sync_log.record(
            uow.session,
            actor,
            plan.job_id,
            "run.succeed",
            counts_of(execution) | {"removed": removed, "seconds": round(seconds, 3)},
            plan.execution_id,
        )
        if changed:
            graph_backlog.note(uow.session, actor.tenant_id, "run", plan.execution_id)
        uow.commit()
    return execution, changed


def _end_run(resources: Resources, execution_id: int, end: Callable[[Session, SyncExecution], str]) -> str:
    """End a still-running run the way `end` says; a run someone else ended keeps its status."""
    with resources.uow() as uow:
        execution = existing(uow.session, SyncExecution, execution_id)
        if execution.status != "running":
            return execution.status
        status = end(uow.session, execution)
        uow.commit()
    count_rows(execution)
    return status


def _end_cancelled(session: Session, actor: Actor, execution: SyncExecution) -> str:
    finish_run(execution, "cancelled")
    job = existing(session, SyncJob, execution.job_id)
    tally(job, execution)
    sync_log.record(session, actor, execution.job_id, "run.cancelled", counts_of(execution), execution.id)
    return "cancelled"
