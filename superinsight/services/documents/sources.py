"""Data sources as containers of documents: the upload folders and the list every page shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from superinsight.db.models import DataSource
from superinsight.db.uow import UnitOfWork
from superinsight.resources import Resources
from superinsight.services import audit
from superinsight.services.context import Actor, require, require_whole_tenant, system_actor
from superinsight.services.errors import InvalidInputError
from superinsight.services.scoping import visible_sources
from superinsight.vocabulary import SOURCE_TYPES


def ensure_source(
    uow: UnitOfWork,
    actor: Actor,
    name: str,
    source_type: str,
    connection_config: dict[str, Any] | None = None,
) -> int:
    """The id of the tenant's source with this name, creating it if it does not exist yet."""
    require(actor, "sources.manage")
    require_whole_tenant(actor, "add data sources")
    name = name.strip()
    if not name or len(name) > 255:
        raise InvalidInputError("a source name must be 1 to 255 characters")
    if source_type not in SOURCE_TYPES:
        raise InvalidInputError(f"source type must be one of {', '.join(SOURCE_TYPES)}")
    with uow:
        existing = uow.session.scalar(
            select(DataSource.id).where(DataSource.tenant_id == actor.tenant_id, DataSource.name == name)
        )
        if existing is not None:
            return existing
        source = add_source(uow.session, actor, name, source_type, connection_config or {})
        uow.commit()
        return source.id


def add_source(
    session: Session,
    actor: Actor,
    name: str,
    source_type: str,
    config: dict[str, Any],
    encrypted_credentials: str | None = None,
) -> DataSource:
    """A new source in the caller's transaction, with its audit entry (credentials never logged)."""
    source = DataSource(
        tenant_id=actor.tenant_id,
        name=name,
        source_type=source_type,
        connection_config=config,
        encrypted_credentials=encrypted_credentials,
        created_by=actor.user_id,
    )
    session.add(source)
    session.flush()
    audit.record(
        session,
        actor,
        "source.create",
        "data_source",
        source.id,
        after={"name": name, "source_type": source_type, "config": config},
    )
    return source


@dataclass(frozen=True)
class SourceRow:
    id: int
    name: str
    source_type: str
    status: str


def list_sources(resources: Resources, actor: Actor) -> list[SourceRow]:
    require(actor, "documents.view")
    with resources.uow() as uow:
        rows = uow.session.execute(
            select(DataSource.id, DataSource.name, DataSource.source_type, DataSource.status)
            .where(DataSource.tenant_id == actor.tenant_id, visible_sources(actor, DataSource.id))
            .order_by(DataSource.name)
        ).all()
    return [SourceRow(*row) for row in rows]


def ensure_upload_source(resources: Resources, actor: Actor, name: str) -> int:
    """The source that uploaded files go into; anyone who may add documents may create it."""
    require(actor, "documents.edit")
    require_whole_tenant(actor, "upload files")
    return ensure_source(resources.uow(), system_actor(actor.tenant_id, actor.user_id), name, "upload")
