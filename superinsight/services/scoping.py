"""Narrowing queries to the sources an actor may see."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, true
from sqlalchemy.orm import Session

from superinsight.db.models import DataSource
from superinsight.services.context import Actor
from superinsight.services.errors import NotFoundError


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
