"""The sync audit log: job changes, runs, batches and record errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from superinsight.db.models import SyncAuditLog
from superinsight.services import audit
from superinsight.services.context import Actor

# What a person (or the scheduler) did to a job, as opposed to what a run did batch by
# batch: these also go to the workspace's audit log, with who did it and from where.
AUDITED = frozenset(
    {"job.create", "job.update", "job.pause", "job.resume", "job.cursor_reset"}
    | {"run.queue", "run.retry_now", "run.cancel"}
)


def _changed(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the settings an edit changed, so the audit entry reads as what was done."""
    keys = [key for key in after if before.get(key) != after[key]]
    return {key: before.get(key) for key in keys}, {key: after[key] for key in keys}


def _to_audit(actor: Actor, session: Session, job_id: int, action: str, details: dict[str, Any]) -> None:
    entity, verb = action.split(".", 1)
    if action == "job.update":
        before, after = _changed(details["before"], details["after"])
    else:
        before, after = None, details
    audit.record(session, actor, f"sync_{entity}.{verb}", "sync_job", job_id, before=before, after=after)


def record(
    session: Session,
    actor: Actor,
    job_id: int,
    action: str,
    details: dict[str, Any] | None = None,
    execution_id: int | None = None,
) -> None:
    if action in AUDITED:
        _to_audit(
            actor, session, job_id, action, (details or {}) | ({"run": execution_id} if execution_id else {})
        )
    session.add(
        SyncAuditLog(
            tenant_id=actor.tenant_id,
            job_id=job_id,
            execution_id=execution_id,
            user_id=actor.user_id,
            action=action,
            details=details or {},
        )
    )


@dataclass(frozen=True)
class LogLine:
    at: datetime
    action: str
    details: dict[str, Any]
    execution_id: int | None


def lines(session: Session, tenant_id: str, *, job_id: int, execution_id: int | None = None) -> list[LogLine]:
    query = select(SyncAuditLog).where(SyncAuditLog.tenant_id == tenant_id, SyncAuditLog.job_id == job_id)
    if execution_id is not None:
        query = query.where(SyncAuditLog.execution_id == execution_id)
    rows = session.scalars(query.order_by(SyncAuditLog.id).limit(2000))
    return [LogLine(row.created_at, row.action, row.details, row.execution_id) for row in rows]
