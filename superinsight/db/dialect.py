"""What PostgreSQL and SQLite spell differently, in one place, so services never ask which store they run on.

Both stores speak `INSERT ... ON CONFLICT`, JSON key and array functions and
statistics, each in its own words; PostgreSQL alone has COPY, which the bulk
writers use and SQLite replaces with batched inserts.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def is_postgresql(bind: Session | Engine) -> bool:
    return (bind.get_bind() if isinstance(bind, Session) else bind).dialect.name == "postgresql"


def insert(session: Session, table: Any) -> Any:
    """An INSERT that takes `on_conflict_do_nothing` / `on_conflict_do_update` on either store."""
    return (postgresql if is_postgresql(session) else sqlite).insert(table)


def json_array_texts(session: Session, column: Any) -> Any:
    """A table-valued function of a JSON array column's elements as text, in a `value` column."""
    elements = func.jsonb_array_elements_text if is_postgresql(session) else func.json_each
    return elements(column).table_valued("value")


def json_object_entries(session: Session, column: Any) -> Any:
    """A table-valued function of a JSON object column's entries, in `key` and `value` columns."""
    entries = func.jsonb_each if is_postgresql(session) else func.json_each
    return entries(column).table_valued("key", "value")


def analyze(session: Session, table: str) -> None:
    """Refresh the planner's statistics after a bulk load (SQLite plans without them)."""
    if is_postgresql(session):
        session.execute(text(f"ANALYZE {table}"))


def copy_rows(session: Session, statement: str, payload: bytes) -> None:
    """Stream a COPY ... FROM STDIN payload over the session's own connection (PostgreSQL only)."""
    raw = session.connection().connection.driver_connection
    if raw is None:
        raise RuntimeError("the session has no live driver connection to COPY through")
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        copy.write(payload)
