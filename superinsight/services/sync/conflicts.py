"""Conflicts between a workbench edit and a changed source record: listed and resolved."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from superinsight.db.base import utcnow
from superinsight.db.models import DataConflict, Document, SyncJob
from superinsight.resources import Resources
from superinsight.services import audit
from superinsight.services.context import Actor, internal, require
from superinsight.services.documents import key_kinds
from superinsight.services.documents import writer as document_writer
from superinsight.services.documents.masking import masker
from superinsight.services.errors import InvalidInputError
from superinsight.services.scoping import visible_sources
from superinsight.services.sync import log as sync_log

Choice = Literal["source", "workbench"]
MAX_BULK = 1000


@dataclass(frozen=True)
class ConflictRow:
    id: int
    document_id: int
    external_id: str
    job: str | None
    status: str
    strategy: str | None
    source_version: dict[str, Any]
    workbench_version: dict[str, Any]
    created_at: datetime
    resolved_at: datetime | None


def _visible() -> Any:
    return (
        select(DataConflict, Document.external_id, SyncJob.name)
        .join(Document, Document.id == DataConflict.document_id)
        .outerjoin(SyncJob, SyncJob.id == DataConflict.job_id)
    )


def list_conflicts(
    resources: Resources, actor: Actor, *, status: str | None = "pending", limit: int = 200
) -> list[ConflictRow]:
    require(actor, "documents.view")
    query = _visible().where(
        DataConflict.tenant_id == actor.tenant_id, visible_sources(actor, Document.source_id)
    )
    if status is not None:
        query = query.where(DataConflict.status == status)
    with resources.uow() as uow:
        rows = uow.session.execute(
            query.order_by(DataConflict.id.desc()).limit(min(max(limit, 1), 1000))
        ).all()
        mask = masker(resources, uow.session, actor)
        return [
            ConflictRow(
                conflict.id,
                conflict.document_id,
                mask.value("external_id", external_id),
                job,
                conflict.status,
                conflict.resolution_strategy,
                mask(conflict.source_version),
                mask(conflict.workbench_version),
                conflict.created_at,
                conflict.resolved_at,
            )
            for conflict, external_id, job in rows
        ]


def pending_count(resources: Resources, actor: Actor) -> int:
    require(actor, "documents.view")
    with resources.uow() as uow:
        return pending_in(uow.session, actor)


@internal("counted for a caller that checked the actor's permission itself (the Overview's attention list)")
def pending_in(session: Session, actor: Actor) -> int:
    """Conflicts waiting for a person in the sources the actor sees (ix_data_conflicts_tenant_id_status)."""
    query = (
        select(func.count())
        .select_from(DataConflict)
        .join(Document, Document.id == DataConflict.document_id)
        .where(
            DataConflict.tenant_id == actor.tenant_id,
            DataConflict.status == "pending",
            visible_sources(actor, Document.source_id),
        )
    )
    return int(session.scalar(query) or 0)


def resolve(resources: Resources, actor: Actor, conflict_ids: Sequence[int], keep: Choice) -> int:
    """Keep the source's or the workbench's version of each listed pending conflict; all or none."""
    require(actor, "documents.edit")
    require(actor, "sync.run")
    if keep not in ("source", "workbench"):
        raise InvalidInputError("keep either the source's version or the workbench's")
    ids = sorted(set(conflict_ids))
    if not ids or len(ids) > MAX_BULK:
        raise InvalidInputError(f"choose 1 to {MAX_BULK} conflicts")
    now = utcnow()
    with resources.uow() as uow:
        found = uow.session.execute(
            select(DataConflict, Document)
            .join(Document, Document.id == DataConflict.document_id)
            .where(
                DataConflict.id.in_(ids),
                DataConflict.tenant_id == actor.tenant_id,
                visible_sources(actor, Document.source_id),
            )
        ).all()
        if len(found) != len(ids):
            raise InvalidInputError("some of those conflicts do not exist; nothing was changed")
        if any(conflict.status != "pending" for conflict, _ in found):
            raise InvalidInputError("some of those conflicts were already resolved; nothing was changed")
        for conflict, document in found:
            incoming = conflict.source_version
            if keep == "source":
                document.title, document.content = incoming["title"], incoming["content"]
                document.meta, document.tags = incoming["metadata"], incoming["tags"]
                document.edited_at = None
                document.sync_version += 1
                key_kinds.record_document(uow.session, document)
            document.content_hash = incoming["content_hash"]
            document.sync_status = "synced"
            document.last_synced_at = now
            conflict.status, conflict.resolved_by, conflict.resolved_at = (
                "manually_resolved",
                actor.user_id,
                now,
            )
            conflict.resolution_strategy = f"manual:{keep}"
            audit.record(
                uow.session, actor, "conflict.resolve", "data_conflict", conflict.id, after={"kept": keep}
            )
            if conflict.job_id is not None:
                sync_log.record(
                    uow.session,
                    actor,
                    conflict.job_id,
                    "conflict.resolve",
                    {"conflict": conflict.id, "kept": keep},
                )
        uow.commit()
    document_writer.bump_version(resources, actor.tenant_id)
    return len(ids)
