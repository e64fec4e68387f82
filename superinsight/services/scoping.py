"""Narrowing queries to the sources an actor may see."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session

from superinsight.db.models import DataSource, Document, SyncJob
from superinsight.services.context import Actor, internal
from superinsight.services.errors import NotFoundError


@internal("a cache key made from the actor alone; it reads and changes nothing")
def reach_key(actor: Actor) -> str:
    """The actor's reach as part of a cache key: figures for a narrowed user are their own."""
    return ",".join(map(str, sorted(actor.source_ids))) if actor.source_ids is not None else "all"


@internal("builds a condition for a query inside a guarded call and reads nothing itself")
def visible_sources(actor: Actor, source_column: Any) -> ColumnElement[bool]:
    """True for rows from sources the actor may see (every row when they are not narrowed)."""
    if actor.source_ids is None:
        return true()
    return source_column.in_(sorted(actor.source_ids))  # type: ignore[no-any-return]


def visible_source(session: Session, actor: Actor, source_id: int) -> DataSource:
    """The source, if it is the actor's tenant's and within their reach; otherwise not found."""
    source = session.get(DataSource, source_id)
    if source is None or source.tenant_id != actor.tenant_id or not actor.sees_source(source_id):
        raise NotFoundError(f"data source {source_id} does not exist")
    return source


SourcedRow = TypeVar("SourcedRow", Document, SyncJob)


def visible_row(
    session: Session, actor: Actor, model: type[SourcedRow], row_id: int, noun: str
) -> SourcedRow:
    """A row that belongs to a source, if it is the actor's tenant's and within their reach."""
    row = session.scalar(
        select(model).where(
            model.id == row_id,
            model.tenant_id == actor.tenant_id,
            visible_sources(actor, model.source_id),
        )
    )
    if row is None:
        raise NotFoundError(f"{noun} {row_id} does not exist")
    return row
