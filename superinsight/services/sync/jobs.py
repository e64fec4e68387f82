"""Sync jobs: mapping, steps, mode and schedule; created, changed, paused, their cursor reset."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from superinsight.db.base import utcnow
from superinsight.db.models import SyncJob, SyncRule, TransformationRule
from superinsight.resources import Resources
from superinsight.services.context import Actor, require
from superinsight.services.errors import InvalidInputError
from superinsight.services.graph import backlog as graph_backlog
from superinsight.services.inputs import unstorable
from superinsight.services.scoping import visible_row, visible_source
from superinsight.services.sync import connections
from superinsight.services.sync import log as sync_log
from superinsight.sync import mapping, schedule, transforms
from superinsight.sync.modes import mode
from superinsight.vocabulary import CONFLICT_STRATEGIES

MAX_BATCH = 50_000
MAX_RETRIES = 10
MODIFIED_TIME = "modified time"


@dataclass(frozen=True)
class JobDraft:
    name: str
    source_id: int
    mode: str = "incremental_dedup"
    field_mapping: dict[str, str] = field(default_factory=dict)
    steps: list[dict[str, Any]] = field(default_factory=list)
    cursor_field: str | None = None
    schedule_cron: str | None = None
    timezone: str = "UTC"
    conflict_resolution: str = "source_wins"
    batch_size: int = 1000
    max_retries: int = 3
    retry_delay_seconds: int = 30


# The draft's fields a sync_jobs row holds itself; the mapping and steps live in rows of their own.
JOB_COLUMNS = tuple(f.name for f in fields(JobDraft) if f.name not in ("source_id", "field_mapping", "steps"))


def _checked(draft: JobDraft) -> JobDraft:
    name = draft.name.strip()
    if not name or len(name) > 255:
        raise InvalidInputError("a job name must be 1 to 255 characters")
    if problem := unstorable([name, draft.field_mapping, draft.steps, draft.cursor_field or ""]):
        raise InvalidInputError(f"the job settings: a value {problem}")
    try:
        chosen = mode(draft.mode)
        checked_mapping = mapping.check(draft.field_mapping)
        transforms.parse_steps(draft.steps)
        cron = schedule.check(draft.schedule_cron, draft.timezone) if draft.schedule_cron else None
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None
    cursor_field = (draft.cursor_field or "").strip() or None
    if chosen.incremental and cursor_field is None:
        raise InvalidInputError(
            f"{chosen.label} needs a cursor field (a column that grows when a record changes, "
            "such as updated_at); file sources may use 'modified time'"
        )
    if draft.conflict_resolution not in CONFLICT_STRATEGIES:
        raise InvalidInputError(f"conflict resolution must be one of {', '.join(CONFLICT_STRATEGIES)}")
    if not 1 <= draft.batch_size <= MAX_BATCH:
        raise InvalidInputError(f"batch size must be 1 to {MAX_BATCH:,}")
    if not 0 <= draft.max_retries <= MAX_RETRIES:
        raise InvalidInputError(f"retries must be 0 to {MAX_RETRIES}")
    if not 1 <= draft.retry_delay_seconds <= 3600:
        raise InvalidInputError("the first retry delay must be 1 to 3600 seconds")
    return replace(
        draft,
        name=name,
        field_mapping=checked_mapping,
        cursor_field=None if cursor_field == MODIFIED_TIME else cursor_field,
        schedule_cron=cron,
    )


def _next_run(draft: JobDraft) -> datetime | None:
    if draft.schedule_cron is None:
        return None
    return schedule.next_run(draft.schedule_cron, draft.timezone, utcnow())


def _replace_rules(session: Session, actor: Actor, job_id: int, draft: JobDraft) -> None:
    session.execute(delete(SyncRule).where(SyncRule.job_id == job_id))
    session.execute(delete(TransformationRule).where(TransformationRule.job_id == job_id))
    session.flush()
    for target, source_field in draft.field_mapping.items():
        session.add(
            SyncRule(tenant_id=actor.tenant_id, job_id=job_id, source_field=source_field, target_field=target)
        )
    for position, step in enumerate(transforms.parse_steps(draft.steps), start=1):
        session.add(
            TransformationRule(
                tenant_id=actor.tenant_id,
                job_id=job_id,
                position=position,
                transformation_type=step.kind,
                config=transforms.step_config(step),
            )
        )


def _apply(job: SyncJob, draft: JobDraft) -> None:
    for name in JOB_COLUMNS:
        setattr(job, name, getattr(draft, name))
    job.primary_key = draft.field_mapping["external_id"]
    job.next_scheduled_at = _next_run(draft)


def _name_taken(session: Session, actor: Actor, name: str, job_id: int | None) -> bool:
    query = select(SyncJob.id).where(SyncJob.tenant_id == actor.tenant_id, SyncJob.name == name)
    if job_id is not None:
        query = query.where(SyncJob.id != job_id)
    return session.scalar(query) is not None


def create_job(resources: Resources, actor: Actor, draft: JobDraft) -> int:
    require(actor, "sources.manage")
    draft = _checked(draft)
    with resources.uow() as uow:
        source = visible_source(uow.session, actor, draft.source_id)
        if source.source_type not in connections.CONFIG_KEYS:
            raise InvalidInputError(f"{source.name} is filled by uploads; it has nothing to sync")
        if _name_taken(uow.session, actor, draft.name, None):
            raise InvalidInputError(f"a job named {draft.name!r} already exists")
        job = SyncJob(tenant_id=actor.tenant_id, source_id=source.id, status="active")
        _apply(job, draft)
        uow.session.add(job)
        uow.session.flush()
        _replace_rules(uow.session, actor, job.id, draft)
        sync_log.record(uow.session, actor, job.id, "job.create", asdict(draft))
        graph_backlog.note(uow.session, actor.tenant_id, "source", source.id)  # its jobs come along
        uow.commit()
    graph_backlog.drain_soon(resources, actor.tenant_id)
    return job.id


def tenant_job(session: Session, actor: Actor, job_id: int) -> SyncJob:
    """The job, if it is this tenant's and on a source the actor may see; else not found."""
    return visible_row(session, actor, SyncJob, job_id, "sync job")


def update_job(resources: Resources, actor: Actor, job_id: int, draft: JobDraft) -> None:
    """Save new settings. A changed cursor field or key starts the next incremental run from the beginning."""
    require(actor, "sources.manage")
    draft = _checked(draft)
    with resources.uow() as uow:
        job = tenant_job(uow.session, actor, job_id)
        if draft.source_id != job.source_id:
            raise InvalidInputError("a job's source cannot change; add a new job instead")
        if _name_taken(uow.session, actor, draft.name, job_id):
            raise InvalidInputError(f"a job named {draft.name!r} already exists")
        before = asdict(load_draft_from(uow.session, job))
        reset = (draft.cursor_field, draft.field_mapping["external_id"], draft.mode) != (
            job.cursor_field,
            job.primary_key,
            job.mode,
        )
        _apply(job, draft)
        if reset and job.cursor_value is not None:
            job.cursor_value = None
        _replace_rules(uow.session, actor, job.id, draft)
        sync_log.record(
            uow.session,
            actor,
            job.id,
            "job.update",
            {"before": before, "after": asdict(draft), "cursor_reset": reset},
        )
        graph_backlog.note(uow.session, actor.tenant_id, "source", job.source_id)  # a new name
        uow.commit()
    graph_backlog.drain_soon(resources, actor.tenant_id)


def set_paused(resources: Resources, actor: Actor, job_id: int, paused: bool) -> None:
    """A paused job keeps its settings and cursor but is not run by its schedule."""
    require(actor, "sources.manage")
    with resources.uow() as uow:
        job = tenant_job(uow.session, actor, job_id)
        job.status = "paused" if paused else "active"
        sync_log.record(uow.session, actor, job.id, "job.pause" if paused else "job.resume")
        uow.commit()


def reset_cursor(resources: Resources, actor: Actor, job_id: int) -> None:
    """The next incremental run reads the source from the beginning (changed documents are updated)."""
    require(actor, "sources.manage")
    with resources.uow() as uow:
        job = tenant_job(uow.session, actor, job_id)
        sync_log.record(uow.session, actor, job.id, "job.cursor_reset", {"was": job.cursor_value})
        job.cursor_value = None
        uow.commit()


def load_draft_from(session: Session, job: SyncJob) -> JobDraft:
    rules = session.scalars(select(SyncRule).where(SyncRule.job_id == job.id).order_by(SyncRule.id))
    steps = session.scalars(
        select(TransformationRule)
        .where(TransformationRule.job_id == job.id)
        .order_by(TransformationRule.position)
    )
    return JobDraft(
        source_id=job.source_id,
        field_mapping={rule.target_field: rule.source_field for rule in rules},
        steps=[dict(step.config) for step in steps],
        **{name: getattr(job, name) for name in JOB_COLUMNS},
    )


def job_draft(resources: Resources, actor: Actor, job_id: int) -> JobDraft:
    require(actor, "documents.view")
    with resources.uow() as uow:
        return load_draft_from(uow.session, tenant_job(uow.session, actor, job_id))
