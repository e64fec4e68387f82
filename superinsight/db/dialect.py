"""What PostgreSQL and SQLite spell differently, in one place, so services never ask which store they run on.

Both stores speak `INSERT ... ON CONFLICT`, JSON key and array functions and
statistics, each in its own words; PostgreSQL alone has COPY, which the bulk
writers use and SQLite replaces with batched inserts.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from sqlalchemy import Engine, Table, Text, case, cast, false, func, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
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


def json_object_kinds(session: Session, column: Any) -> tuple[Any, Any]:
    """A JSON object column's entries (a table-valued function with a `key` column) and each
    one's kind in `vocabulary.JSON_KINDS`: a boolean is "true" or "false", not "boolean"."""
    if is_postgresql(session):
        entries = func.jsonb_each(column).table_valued("key", "value")
        kind = func.jsonb_typeof(entries.c.value)
        return entries, case((kind == "boolean", cast(entries.c.value, Text)), else_=kind)
    items = func.json_each(column).table_valued("key", "type")
    stored = items.c.type
    return items, case(
        (stored.in_(("integer", "real")), "number"), (stored == "text", "string"), else_=stored
    )


def write_first(session: Session, table: Any) -> None:
    """Make the transaction's first touch of the database a write (SQLite), before it reads anything.

    In WAL mode a transaction that read and then finds another connection
    committed since cannot write at all: SQLite answers "database is locked" at
    once rather than waiting. A write statement that changes nothing takes the
    write lock first (waiting its turn), so what the transaction reads next is current.
    PostgreSQL's row locks need no such care.
    """
    if not is_postgresql(session):
        columns: Table = getattr(table, "__table__", table)
        key = next(iter(columns.primary_key))
        session.execute(update(columns).where(false()).values({key: key}))


def analyze(session: Session, table: str) -> None:
    """Refresh the planner's statistics after a bulk load (SQLite plans without them)."""
    if is_postgresql(session):
        session.execute(text(f"ANALYZE {table}"))


def estimated_rows(session: Session, table: str) -> int | None:
    """The planner's row count for a table (PostgreSQL's `reltuples`), None where none is kept."""
    if not is_postgresql(session):
        return None
    rows = session.scalar(
        text("SELECT reltuples FROM pg_class WHERE oid = CAST(:table AS regclass)"), {"table": table}
    )
    return int(rows) if rows is not None and rows >= 0 else None


def _driver_connection(session: Session) -> Any:
    raw = session.connection().connection.driver_connection
    if raw is None:
        raise RuntimeError("the session has no live driver connection")
    return raw


def copy_rows(session: Session, statement: str, payload: bytes) -> None:
    """Stream a COPY ... FROM STDIN payload over the session's own connection (PostgreSQL only)."""
    with _driver_connection(session).cursor() as cursor, cursor.copy(statement) as copy:
        copy.write(payload)


def copy_rows_unless_duplicate(session: Session, statement: str, payload: bytes) -> bool:
    """`copy_rows` in a savepoint; False (and nothing written) if a row hit a unique key."""
    from psycopg.errors import UniqueViolation  # PostgreSQL's driver: the embedded store never loads it

    try:
        with session.begin_nested():
            copy_rows(session, statement, payload)
    except UniqueViolation:
        return False
    return True


@contextmanager
def time_limited(session: Session, seconds: float) -> Iterator[None]:
    """Statements of the session inside the block stop after `seconds` on either store.

    PostgreSQL gets a statement timeout for the rest of the transaction, with JIT
    off (compiling a large expression does not answer a cancel); SQLite gets a
    progress handler that interrupts a statement past the deadline. A statement
    stopped this way raises an OperationalError that `timed_out` recognises.
    """
    if is_postgresql(session):
        session.execute(text(f"SET LOCAL statement_timeout = {int(seconds * 1000)}"))
        session.execute(text("SET LOCAL jit = off"))
        yield
        return
    raw = _driver_connection(session)
    deadline = time.monotonic() + seconds
    raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    try:
        yield
    finally:
        # A commit inside the block hands the connection back to the pool, which closes
        # it when it was one beyond the pool's size: a closed connection has no handler left.
        with suppress(sqlite3.ProgrammingError):
            raw.set_progress_handler(None, 0)


def timed_out(exc: BaseException) -> bool:
    """Whether a statement was stopped by `time_limited` (PostgreSQL 57014, SQLite's interrupt)."""
    if not isinstance(exc, OperationalError):
        return False
    code = getattr(exc.orig, "sqlstate", None)
    return code == "57014" or "interrupted" in str(exc.orig)
