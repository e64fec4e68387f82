"""CHECK constraints for columns that hold one of a fixed set of words."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import CheckConstraint


def one_of(column: str, values: Iterable[str]) -> CheckConstraint:
    """Refuse in the database itself any word the domain does not know."""
    allowed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=f"{column}_allowed")
