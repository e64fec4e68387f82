"""Narrowing queries to the sources an actor may see."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, true

from superinsight.services.context import Actor


def visible_sources(actor: Actor, source_column: Any) -> ColumnElement[bool]:
    """True for rows from sources the actor may see (every row when they are not narrowed)."""
    if actor.source_ids is None:
        return true()
    return source_column.in_(sorted(actor.source_ids))  # type: ignore[no-any-return]
