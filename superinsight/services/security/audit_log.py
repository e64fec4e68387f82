"""The audit log as an admin reads it: filtered, paged, exported."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select

from superinsight.db.models import AuditLog, User
from superinsight.exports import csv_lines
from superinsight.resources import Resources
from superinsight.services import inputs
from superinsight.services.context import Actor, require

EXPORT_BATCH = 1000


@dataclass(frozen=True)
class AuditFilter:
    action: str | None = None
    user_email: str | None = None
    entity_type: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    user: str | None
    action: str
    entity_type: str
    entity_id: str | None
    ip_address: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


COLUMNS = ("id", "at", "user", "action", "entity_type", "entity_id", "ip_address", "before", "after")


def _query(actor: Actor, filters: AuditFilter) -> Select[Any]:
    for value, what in (
        (filters.action, "action"),
        (filters.user_email, "email"),
        (filters.entity_type, "entity"),
    ):
        inputs.text(value or "", what)
    query = (
        select(
            AuditLog.id,
            AuditLog.created_at,
            User.email,
            AuditLog.action,
            AuditLog.entity_type,
            AuditLog.entity_id,
            AuditLog.ip_address,
            AuditLog.before,
            AuditLog.after,
        )
        .outerjoin(User, User.id == AuditLog.user_id)
        .where(AuditLog.tenant_id == actor.tenant_id)
    )
    if filters.action:
        query = query.where(AuditLog.action.startswith(filters.action.strip(), autoescape=True))
    if filters.user_email:
        query = query.where(User.email == filters.user_email.strip().lower())
    if filters.entity_type:
        query = query.where(AuditLog.entity_type == filters.entity_type.strip())
    if filters.since:
        query = query.where(AuditLog.created_at >= filters.since)
    if filters.until:
        query = query.where(AuditLog.created_at <= filters.until)
    return query.order_by(AuditLog.id.desc())


def search(resources: Resources, actor: Actor, filters: AuditFilter, limit: int = 200) -> list[AuditRow]:
    require(actor, "audit.view")
    with resources.uow() as uow:
        return [AuditRow(*row) for row in uow.session.execute(_query(actor, filters).limit(min(limit, 1000)))]


def export_csv(resources: Resources, actor: Actor, filters: AuditFilter) -> Iterator[str]:
    """Every matching entry as CSV lines, streamed from the database in batches."""
    require(actor, "audit.view")
    with resources.uow() as uow:
        rows = uow.session.execute(_query(actor, filters).execution_options(yield_per=EXPORT_BATCH))
        yield from csv_lines(COLUMNS, rows)
