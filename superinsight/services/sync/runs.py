"""Sync runs as a user starts and reads them: queue, cancel, status, history and logs."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from superinsight.db.base import utcnow
from superinsight.db.models import SyncExecution
from superinsight.resources import Resources
from superinsight.services.context import Actor, require
from superinsight.services.documents.masking import masker
from superinsight.services.errors import InvalidInputError, NotFoundError
from superinsight.services.sync import log as sync_log
from superinsight.services.sync.job_views import counts_of
from superinsight.services.sync.jobs import tenant_job
from superinsight.services.sync.run_state import fail_if_stale, finish_run
from superinsight.services.sync.runner import run_execution_job
from superinsight.vocabulary import ACTIVE_RUN_STATES

HIDDEN_ERROR = "a record was refused; its values are masked for your role"


def enqueue_run(resources: Resources, actor: Actor, execution_id: int) -> None:
    """Hand a queued run of the actor's tenant, on a source within their reach, to a worker."""
    require(actor, "sync.run")
    with resources.uow() as uow:
        _tenant_execution(uow.session, actor, execution_id)
    with resources.active():
        resources.jobs.enqueue(run_execution_job, actor.tenant_id, actor.user_id, execution_id)


def _active_run(session: Session, job_id: int) -> SyncExecution | None:
    return session.scalar(
        select(SyncExecution).where(
            SyncExecution.job_id == job_id, SyncExecution.status.in_(ACTIVE_RUN_STATES)
        )
    )


def start_run(resources: Resources, actor: Actor, job_id: int, trigger: str = "manual") -> int:
    """Queue a run of the job and hand it to a worker; returns the run's id."""
    execution_id = queue_run(resources, actor, job_id, trigger)
    enqueue_run(resources, actor, execution_id)
    return execution_id


def queue_run(resources: Resources, actor: Actor, job_id: int, trigger: str = "manual") -> int:
    """Record a queued run; refused while another run of the job is active.

    A retry waiting for its delay is not a second run: it is queued to start at once.
    """
    require(actor, "sync.run")
    timeout = resources.settings.sync_heartbeat_timeout_seconds
    with resources.uow() as uow:
        job = tenant_job(uow.session, actor, job_id)
        active = _active_run(uow.session, job.id)
        if active is not None and fail_if_stale(uow.session, active, timeout, utcnow()):
            uow.session.flush()  # its retry, if any, is now the active run: started at once below
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
        if execution.status not in ACTIVE_RUN_STATES:
            raise InvalidInputError(f"run #{execution_id} already ended ({execution.status})")
        if execution.status == "queued":
            finish_run(execution, "cancelled", "cancelled before it started")
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
        lines = sync_log.lines(
            uow.session, actor.tenant_id, job_id=execution.job_id, execution_id=execution_id
        )
        mask = masker(resources, uow.session, actor)
    if not mask.active:
        return lines
    # A refused record's reason quotes its values, which masking may hide from this actor.
    return [
        replace(line, details=line.details | {"error": HIDDEN_ERROR})
        if line.action == "record.error"
        else line
        for line in lines
    ]


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
