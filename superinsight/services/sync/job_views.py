"""Sync jobs as pages read them: the list with run counts, and a preview of mapping and steps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from superinsight.db.models import DataSource, SyncExecution, SyncJob, SyncRule
from superinsight.resources import Resources
from superinsight.services.context import Actor, require
from superinsight.services.errors import InvalidInputError
from superinsight.services.scoping import visible_sources
from superinsight.services.sync import connections
from superinsight.sync import mapping, transforms
from superinsight.sync.cursor import describe, loads
from superinsight.sync.modes import MODES
from superinsight.sync.transforms import Record, RecordError


@dataclass(frozen=True)
class JobRow:
    id: int
    name: str
    source: str
    source_type: str
    mode: str
    status: str
    schedule_cron: str | None
    next_scheduled_at: datetime | None
    cursor: str | None
    last_status: str | None
    last_finished_at: datetime | None
    last_counts: dict[str, int]
    active_execution_id: int | None


_COUNTS = (
    "records_read",
    "records_inserted",
    "records_updated",
    "records_unchanged",
    "records_skipped",
    "conflicts",
    "errors",
)


def counts_of(execution: SyncExecution) -> dict[str, int]:
    return {name.removeprefix("records_"): int(getattr(execution, name)) for name in _COUNTS}


def list_jobs(resources: Resources, actor: Actor) -> list[JobRow]:
    """Every job the actor may see, with the state of its latest run."""
    require(actor, "documents.view")
    latest = (
        select(SyncExecution.job_id, func.max(SyncExecution.id).label("execution_id"))
        .group_by(SyncExecution.job_id)
        .subquery()
    )
    key_field = (
        select(SyncRule.source_field)
        .where(SyncRule.job_id == SyncJob.id, SyncRule.target_field == "external_id")
        .limit(1)
        .scalar_subquery()
    )
    with resources.uow() as uow:
        rows = uow.session.execute(
            select(SyncJob, DataSource.name, DataSource.source_type, SyncExecution, key_field)
            .join(DataSource, DataSource.id == SyncJob.source_id)
            .outerjoin(latest, latest.c.job_id == SyncJob.id)
            .outerjoin(SyncExecution, SyncExecution.id == latest.c.execution_id)
            .where(SyncJob.tenant_id == actor.tenant_id, visible_sources(actor, SyncJob.source_id))
            .order_by(SyncJob.name)
        ).all()
        result = []
        for job, source, source_type, execution, key in rows:
            active = execution is not None and execution.status in ("queued", "running")
            result.append(
                JobRow(
                    id=job.id,
                    name=job.name,
                    source=source,
                    source_type=source_type,
                    mode=MODES[job.mode].label,
                    status=job.status,
                    schedule_cron=job.schedule_cron,
                    next_scheduled_at=job.next_scheduled_at,
                    cursor=describe(loads(job.cursor_value), job.cursor_field, key or "key")
                    if MODES[job.mode].incremental
                    else None,
                    last_status=execution.status if execution is not None else None,
                    last_finished_at=execution.finished_at if execution is not None else None,
                    last_counts=counts_of(execution) if execution is not None else {},
                    active_execution_id=execution.id if active else None,
                )
            )
        return result


@dataclass(frozen=True)
class PreviewRow:
    before: Record
    after: Record | None
    document: dict[str, Any] | None
    error: str | None


def preview(
    resources: Resources,
    actor: Actor,
    source_id: int,
    field_mapping: dict[str, str],
    steps: list[dict[str, Any]],
    limit: int = 10,
) -> list[PreviewRow]:
    """Sample records of the source through these steps and this mapping, before anything is saved."""
    try:
        parsed = transforms.parse_steps(steps)
        checked = mapping.check(field_mapping)
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None
    key = resources.settings.effective_secret_key().encode()
    rows = []
    for record in connections.sample_records(resources, actor, source_id, limit):
        shown = {name: mapping.storable(value) for name, value in record.items()}
        try:
            after = transforms.apply_steps(parsed, record, key)
            mapped = mapping.apply(checked, after)
        except RecordError as exc:
            rows.append(PreviewRow(shown, None, None, str(exc)))
            continue
        rows.append(
            PreviewRow(
                shown,
                {name: mapping.storable(value) for name, value in after.items()},
                {
                    "external_id": mapped.external_id,
                    "title": mapped.title,
                    "content": mapped.content[:500],
                    "tags": mapped.tags,
                    "metadata": mapped.metadata,
                },
                None,
            )
        )
    return rows
