"""The sync audit log: job changes, runs, batches and record errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from superinsight.db.models import SyncAuditLog
from superinsight.services.context import Actor


def record(
    session: Session,
    actor: Actor,
    job_id: int,
    action: str,
    details: dict[str, Any] | None = None,
    execution_id: int | None = None,
) -> None:
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
