"""Running sync jobs: one click, one run at a time, batches that commit with their cursor.

A run is a `sync_executions` row before it is a job on the queue, so the page
can show it at once and the database can refuse a second active run of the
same job (a partial unique index). The worker claims the row, reads the source
in batches and commits each batch together with the job's cursor and the
run's counts and heartbeat. A worker that dies leaves a run whose heartbeat
stops; `tick` marks it failed and schedules a retry, which resumes after the
last committed cursor. Cancelling is a flag the worker reads between batches.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from superinsight.adapters.jobs import report_progress
from superinsight.config import redact
from superinsight.db.base import aware, utcnow
from superinsight.db.models import DataSource, Document, SyncExecution, SyncJob
from superinsight.db.models.sync import ACTIVE_EXECUTION_STATUSES
from superinsight.resources import Resources, current_resources
from superinsight.services import connections, documents, sync_follow_ups, sync_log
from superinsight.services.context import Actor, require, system_actor
from superinsight.services.errors import InvalidInputError, NotFoundError
from superinsight.services.sync_jobs import counts_of, load_draft_from, tenant_job
from superinsight.services.sync_writer import (
    BatchCounts,
    StagedRecord,
    Target,
    copy_payload,
    refresh_statistics,
    remove_missing,
    write_batch,
)
from superinsight.sync import cursor, mapping, retry, schedule, transforms
from superinsight.sync.connectors import ReadSpec, SourceError, SourceRecord
from superinsight.sync.modes import mode
from superinsight.sync.pipeline import prefetch
from superinsight.sync.transforms import RecordError

MAX_LOGGED_RECORD_ERRORS = 100
log = logging.getLogger(__name__)


class RunStopped(Exception):
    """The run was cancelled, or taken for dead and failed by `tick`; stop without writing more."""


def _enqueue(resources: Resources, actor: Actor, execution_id: int) -> None:
    with resources.active():
        resources.jobs.enqueue(run_execution_job, actor.tenant_id, actor.user_id, execution_id)


def _active_run(session: Session, job_id: int) -> SyncExecution | None:
    return session.scalar(
        select(SyncExecution).where(
            SyncExecution.job_id == job_id, SyncExecution.status.in_(ACTIVE_EXECUTION_STATUSES)
        )
    )


def start_run(resources: Resources, actor: Actor, job_id: int, trigger: str = "manual") -> int:
    """Queue a run of the job and hand it to a worker; returns the run's id."""
    execution_id = queue_run(resources, actor, job_id, trigger)
    _enqueue(resources, actor, execution_id)
    return execution_id


def queue_run(resources: Resources, actor: Actor, job_id: int, trigger: str = "manual") -> int:
    """Record a queued run; refused while another run of the job is active.

    A retry waiting for its delay is not a second run: it is queued to start at once.
    """
    require(actor, "sync.run")
    reap_stale(resources)
    with resources.uow() as uow:
        job = tenant_job(uow.session, actor, job_id)
        active = _active_run(uow.session, job.id)
        if active is not None and active.scheduled_for is not None:
            active.scheduled_for = None
            sync_log.record(uow.session, actor, job.id, "run.retry_now", execution_id=active.id)
            uow.commit()
            return active.id
        if active is not None:
            raise InvalidInputError(
                f"{job.name} is already {active.status} (run #{active.id}); wait or cancel it"
            )
        name = job.name
        execution = SyncExecution(tenant_id=actor.tenant_id, job_id=job.id, status="queued", trigger=trigger)
        uow.session.add(execution)
        try:
            uow.session.flush()
        except IntegrityError:
            raise InvalidInputError(f"{name} was started by someone else a moment ago") from None
        sync_log.record(uow.session, actor, job.id, "run.queue", {"trigger": trigger}, execution.id)
        uow.commit()
        return execution.id


def cancel_run(resources: Resources, actor: Actor, execution_id: int) -> None:
    """Cancel a queued run at once; ask a running one to stop after its current batch."""
    require(actor, "sync.run")
    with resources.uow() as uow:
        execution = _tenant_execution(uow.session, actor, execution_id)
        if execution.status not in ACTIVE_EXECUTION_STATUSES:
            raise InvalidInputError(f"run #{execution_id} already ended ({execution.status})")
        if execution.status == "queued":
            _finish(execution, "cancelled", "cancelled before it started")
        else:
            execution.cancel_requested = True
        sync_log.record(
            uow.session, actor, execution.job_id, "run.cancel", {"was": execution.status}, execution.id
        )
        uow.commit()


def _tenant_execution(session: Session, actor: Actor, execution_id: int) -> SyncExecution:
    execution = session.get(SyncExecution, execution_id)
    if execution is None or execution.tenant_id != actor.tenant_id:
        raise NotFoundError(f"sync run {execution_id} does not exist")
    tenant_job(session, actor, execution.job_id)
    return execution


def _finish(execution: SyncExecution, status: str, error: str | None = None) -> None:
    now = utcnow()
    execution.status = status
    execution.finished_at = now
    execution.error_message = error
    if execution.started_at is not None:
        execution.duration_ms = int((now - aware(execution.started_at)).total_seconds() * 1000)


def run_execution_job(tenant_id: str, user_id: int | None, execution_id: int) -> None:
    """What a worker runs (importable by name, so RQ finds it)."""
    run_execution(current_resources(), system_actor(tenant_id, user_id), execution_id)


def _worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _claim(resources: Resources, execution_id: int) -> bool:
    """Move the run from queued to running, unless it was cancelled (or claimed) meanwhile."""
    with resources.uow() as uow:
        now = utcnow()
        claimed = uow.session.execute(
            update(SyncExecution)
            .where(
                SyncExecution.id == execution_id,
                SyncExecution.status == "queued",
                SyncExecution.cancel_requested.is_(False),
            )
            .values(status="running", started_at=now, heartbeat_at=now, worker_id=_worker_id())
        )
        uow.commit()
        return bool(claimed.rowcount)  # type: ignore[attr-defined]


@dataclass
class _Plan:
    """A run's settings, read once when it starts."""

    job_id: int
    source_id: int
    execution_id: int
    attempt: int
    mapper: Callable[[transforms.Record], mapping.MappedRecord]
    steps: list[transforms.Step]
    spec: ReadSpec
    target: Target
    batch_size: int
    max_retries: int
    retry_delay_seconds: int


def _plan(session: Session, actor: Actor, execution: SyncExecution) -> _Plan:
    job = tenant_job(session, actor, execution.job_id)
    draft = load_draft_from(session, job)
    chosen = mode(job.mode)
    since = cursor.loads(job.cursor_value) if chosen.incremental else None
    execution.cursor_start = job.cursor_value
    return _Plan(
        job_id=job.id,
        source_id=job.source_id,
        execution_id=execution.id,
        attempt=execution.attempt,
        mapper=mapping.compile_mapping(draft.field_mapping),
        steps=transforms.parse_steps(draft.steps),
        spec=ReadSpec(draft.field_mapping["external_id"], job.cursor_field, since),
        target=Target(
            tenant_id=actor.tenant_id,
            source_id=job.source_id,
            job_id=job.id,
            execution_id=execution.id,
            mode=chosen,
            strategy=job.conflict_resolution,
            now=utcnow(),
            fresh=session.scalar(select(Document.id).where(Document.source_id == job.source_id).limit(1))
            is None,
        ),
        batch_size=job.batch_size,
        max_retries=job.max_retries,
        retry_delay_seconds=job.retry_delay_seconds,
    )


def run_execution(resources: Resources, actor: Actor, execution_id: int) -> str:
    """Run a queued sync to its end; returns the status it ended with."""
    if not _claim(resources, execution_id):
        return "not started"
    started = time.perf_counter()
    secrets: list[str] = []
    try:
        with resources.uow() as uow:
            execution = uow.session.get(SyncExecution, execution_id)
            assert execution is not None
            plan = _plan(uow.session, actor, execution)
            source = uow.session.get(DataSource, plan.source_id)
            assert source is not None
            secrets = list(connections.saved_secret_values(resources, source))
            connector = connections.connector_for(resources, source)
            sync_log.record(
                uow.session,
                actor,
                plan.job_id,
                "run.start",
                {"attempt": plan.attempt, "from": cursor.describe(plan.spec.since)},
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
        return _end_run(
            resources, execution_id, lambda session, run: _end_failed(session, actor, run, reason)
        )
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


def _prepare(plan: _Plan, batch: list[SourceRecord], key: bytes) -> tuple[list[StagedRecord], list[str], int]:
    """Transform and map one batch; returns (records to write, record errors, duplicates dropped)."""
    by_id: dict[str, StagedRecord] = {}
    errors: list[str] = []
    for record in batch:
        try:
            mapped = plan.mapper(transforms.apply_steps(plan.steps, record.data, key))
            metadata_json = documents.canonical_json(mapped.metadata)
            tags_json = documents.canonical_json(mapped.tags)
            documents.check_document(
                documents.DocumentInput(mapped.external_id, mapped.title, mapped.content, mapped.metadata),
                metadata_json=metadata_json,
                tags_json=tags_json,
            )
        except (RecordError, InvalidInputError) as exc:
            errors.append(str(exc).removeprefix("record 1: "))
            continue
        by_id[mapped.external_id] = StagedRecord(
            mapped.external_id,
            mapped.title,
            mapped.content,
            mapped.metadata,
            mapped.tags,
            documents.hash_parts(mapped.title, mapped.content, metadata_json, tags_json),
            record.changed_at,
            metadata_json,
            tags_json,
        )
    duplicates = len(batch) - len(errors) - len(by_id)
    return list(by_id.values()), errors, duplicates


@dataclass(frozen=True)
class _Prepared:
    records: int
    last: SourceRecord
    staged: list[StagedRecord]
    errors: list[str]
    duplicates: int
    payload: bytes | None


def _prepared(
    plan: _Plan, batches: Iterable[list[SourceRecord]], key: bytes, dialect: str
) -> Iterator[_Prepared]:
    for batch in batches:
        staged, errors, duplicates = _prepare(plan, batch, key)
        payload = copy_payload(staged, plan.target, dialect)
        yield _Prepared(len(batch), batch[-1], staged, errors, duplicates, payload)


def _run_batches(
    resources: Resources, actor: Actor, plan: _Plan, batches: Iterable[list[SourceRecord]], total: int | None
) -> None:
    """Write batch after batch, while the next one is read and prepared on a background thread."""
    key = resources.settings.effective_secret_key().encode()
    read = logged_errors = 0
    for batch in prefetch(_prepared(plan, batches, key, resources.engine.dialect.name)):
        with resources.uow() as uow:
            execution = _guard(uow.session, plan.execution_id)
            counts = write_batch(uow.session, plan.target, batch.staged, batch.payload)
            counts.skipped += batch.duplicates
            if plan.target.mode.incremental:
                job = uow.session.get(SyncJob, plan.job_id)
                assert job is not None
                job.cursor_value = cursor.dumps(batch.last.position)
                execution.cursor_end = job.cursor_value
            read += batch.records
            _add_counts(execution, counts, batch.records, len(batch.errors))
            execution.progress = min(read / total, 1.0) if total else 0.0
            for message in batch.errors[: max(MAX_LOGGED_RECORD_ERRORS - logged_errors, 0)]:
                sync_log.record(
                    uow.session, actor, plan.job_id, "record.error", {"error": message}, plan.execution_id
                )
            logged_errors += len(batch.errors)
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
        documents.bump_version(resources, actor.tenant_id)
        report_progress(execution.progress, f"{read:,} records read")


def _add_counts(execution: SyncExecution, counts: BatchCounts, read: int, errors: int) -> None:
    execution.records_read += read
    execution.records_inserted += counts.inserted
    execution.records_updated += counts.updated
    execution.records_unchanged += counts.unchanged
    execution.records_skipped += counts.skipped
    execution.conflicts += counts.conflicts
    execution.errors += errors


def _succeeded(resources: Resources, actor: Actor, plan: _Plan, seconds: float) -> str:
    with resources.uow() as uow:
        execution = _guard(uow.session, plan.execution_id)
        removed = 0
        if plan.target.mode.deletes_missing:
            removed = remove_missing(uow.session, plan.source_id, plan.job_id, plan.target.now)
        _finish(execution, "succeeded")
        refresh_statistics(uow.session, execution.records_inserted)
        job = uow.session.get(SyncJob, plan.job_id)
        assert job is not None
        _tally(job, execution)
        changed = execution.records_inserted + execution.records_updated + removed
        sync_log.record(
            uow.session,
            actor,
            plan.job_id,
            "run.succeed",
            counts_of(execution) | {"removed": removed, "seconds": round(seconds, 3)},
            plan.execution_id,
        )
        uow.commit()
    documents.bump_version(resources, actor.tenant_id)
    if changed:
        sync_follow_ups.enqueue_after_sync(resources, actor, plan.source_id)
    return "succeeded"


def _tally(job: SyncJob, execution: SyncExecution) -> None:
    job.total_executions += 1
    job.total_records += execution.records_read
    job.last_executed_at = execution.finished_at
    if execution.status == "succeeded":
        job.total_successes += 1
    elif execution.status in ("failed", "partial"):
        job.total_failures += 1


def _end_run(resources: Resources, execution_id: int, end: Callable[[Session, SyncExecution], str]) -> str:
    """End a still-running run the way `end` says; a run someone else ended keeps its status."""
    with resources.uow() as uow:
        execution = uow.session.get(SyncExecution, execution_id)
        assert execution is not None
        if execution.status != "running":
            return execution.status
        status = end(uow.session, execution)
        uow.commit()
    return status


def _end_cancelled(session: Session, actor: Actor, execution: SyncExecution) -> str:
    _finish(execution, "cancelled")
    job = session.get(SyncJob, execution.job_id)
    assert job is not None
    _tally(job, execution)
    sync_log.record(session, actor, execution.job_id, "run.cancelled", counts_of(execution), execution.id)
    return "cancelled"


def _end_failed(session: Session, actor: Actor, execution: SyncExecution, reason: str) -> str:
    """Failed, or partial if some batches were committed; then a retry if any are left."""
    status = "partial" if execution.records_read > 0 else "failed"
    _finish(execution, status, reason)
    job = session.get(SyncJob, execution.job_id)
    assert job is not None
    _tally(job, execution)
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


def reap_stale(resources: Resources, now: datetime | None = None) -> int:
    """Fail runs whose worker stopped beating (killed, machine lost); each may get a retry."""
    now = now or utcnow()
    cutoff = now - timedelta(seconds=resources.settings.sync_heartbeat_timeout_seconds)
    reaped = 0
    with resources.uow() as uow:
        stale = uow.session.scalars(
            select(SyncExecution).where(
                SyncExecution.status == "running", SyncExecution.heartbeat_at < cutoff
            )
        ).all()
        for execution in stale:
            actor = system_actor(execution.tenant_id)
            seconds = resources.settings.sync_heartbeat_timeout_seconds
            _end_failed(
                uow.session,
                actor,
                execution,
                f"the worker stopped answering (no heartbeat for {seconds} s); "
                "committed batches are kept and a re-run resumes after them",
            )
            reaped += 1
        uow.commit()
    return reaped


def tick(resources: Resources, now: datetime | None = None) -> dict[str, int]:
    """Housekeeping a scheduler runs every few seconds: reap the dead, start due retries and schedules."""
    now = now or utcnow()
    reaped = reap_stale(resources, now)
    retried = _dispatch_due_retries(resources, now)
    scheduled = _start_due_schedules(resources, now)
    return {"reaped": reaped, "retried": retried, "scheduled": scheduled}


def tick_forever(
    resources: Resources,
    interval: float,
    stop: threading.Event,
    report: Callable[[dict[str, int]], None] | None = None,
) -> None:
    """Tick every `interval` seconds until `stop` is set; a failed round is logged, not fatal."""
    while True:
        try:
            done = tick(resources)
        except Exception:  # the next round tries again; the log says what broke
            log.exception("a scheduler round failed")
        else:
            if report is not None:
                report(done)
        if stop.wait(interval):
            return


def _dispatch_due_retries(resources: Resources, now: datetime) -> int:
    with resources.uow() as uow:
        due = uow.session.execute(
            select(SyncExecution.id, SyncExecution.tenant_id).where(
                SyncExecution.status == "queued", SyncExecution.scheduled_for <= now
            )
        ).all()
        claimed = []
        for execution_id, tenant_id in due:
            moved = uow.session.execute(
                update(SyncExecution)
                .where(SyncExecution.id == execution_id, SyncExecution.scheduled_for.is_not(None))
                .values(scheduled_for=None)
            )
            if moved.rowcount:  # type: ignore[attr-defined]
                claimed.append((execution_id, tenant_id))
        uow.commit()
    for execution_id, tenant_id in claimed:
        _enqueue(resources, system_actor(tenant_id), execution_id)
    return len(claimed)


def _start_due_schedules(resources: Resources, now: datetime) -> int:
    with resources.uow() as uow:
        due = uow.session.scalars(
            select(SyncJob).where(
                SyncJob.status == "active",
                SyncJob.schedule_cron.is_not(None),
                SyncJob.next_scheduled_at <= now,
            )
        ).all()
        starts = []
        for job in due:
            assert job.schedule_cron is not None
            job.next_scheduled_at = schedule.next_run(job.schedule_cron, job.timezone, now)
            starts.append((job.id, job.tenant_id))
        uow.commit()
    started = 0
    for job_id, tenant_id in starts:
        try:
            start_run(resources, system_actor(tenant_id), job_id, trigger="schedule")
        except InvalidInputError:
            continue
        started += 1
    return started


@dataclass(frozen=True)
class RunRow:
    id: int
    job_id: int
    status: str
    trigger: str
    attempt: int
    progress: float
    counts: dict[str, int]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration_ms: int | None
    scheduled_for: datetime | None
    error_message: str | None
    cancel_requested: bool


def _row(execution: SyncExecution) -> RunRow:
    return RunRow(
        id=execution.id,
        job_id=execution.job_id,
        status=execution.status,
        trigger=execution.trigger,
        attempt=execution.attempt,
        progress=1.0 if execution.status == "succeeded" else execution.progress,
        counts=counts_of(execution),
        created_at=execution.created_at,
        started_at=execution.started_at,
        finished_at=execution.finished_at,
        duration_ms=execution.duration_ms,
        scheduled_for=execution.scheduled_for,
        error_message=execution.error_message,
        cancel_requested=execution.cancel_requested,
    )


def get_run(resources: Resources, actor: Actor, execution_id: int) -> RunRow:
    require(actor, "documents.view")
    with resources.uow() as uow:
        return _row(_tenant_execution(uow.session, actor, execution_id))


def runs(resources: Resources, actor: Actor, job_id: int, limit: int = 50) -> list[RunRow]:
    """A job's runs, newest first."""
    require(actor, "documents.view")
    with resources.uow() as uow:
        tenant_job(uow.session, actor, job_id)
        found = uow.session.scalars(
            select(SyncExecution)
            .where(SyncExecution.job_id == job_id)
            .order_by(SyncExecution.id.desc())
            .limit(min(max(limit, 1), 500))
        )
        return [_row(execution) for execution in found]


def run_log(resources: Resources, actor: Actor, execution_id: int) -> list[sync_log.LogLine]:
    require(actor, "documents.view")
    with resources.uow() as uow:
        execution = _tenant_execution(uow.session, actor, execution_id)
        return sync_log.lines(
            uow.session, actor.tenant_id, job_id=execution.job_id, execution_id=execution_id
        )


def job_log(resources: Resources, actor: Actor, job_id: int) -> list[sync_log.LogLine]:
    """Changes to the job's settings (runs have their own logs)."""
    require(actor, "documents.view")
    with resources.uow() as uow:
        tenant_job(uow.session, actor, job_id)
        return [
            line
            for line in sync_log.lines(uow.session, actor.tenant_id, job_id=job_id)
            if line.action.startswith("job.")
        ]
