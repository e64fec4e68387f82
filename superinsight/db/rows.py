"""Fetching a row that must exist, with an error that says so instead of an `assert`."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.orm import Session

Row = TypeVar("Row")


class RowGoneError(LookupError):
    """A row the work depends on was deleted while the work was under way."""


def existing(session: Session, model: type[Row], row_id: Any) -> Row:
    """The row, or RowGoneError naming it (it was there when the work began)."""
    found = session.get(model, row_id)
    if found is None:
        raise RowGoneError(f"{getattr(model, '__tablename__', model.__name__)} {row_id} no longer exists")
    return found
