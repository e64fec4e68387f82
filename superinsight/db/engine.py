"""Engine and session factory for the configured relational store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from superinsight.config import private_file


def normalize_url(url: str) -> str:
    """Accept the plain `postgresql://` form people paste, and drive it with psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """Foreign keys are off by default in SQLite; WAL lets the page read while a job writes.

    SQLite has no regular expressions of its own: REGEXP calls the rule language's (imported
    here: the masking and rule modules it brings are nothing a PostgreSQL process's health
    check needs).
    """
    from superinsight.db import sqlite_functions

    sqlite_functions.register(dbapi_connection)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


# Seconds to wait for PostgreSQL to answer a new connection. Without one, psycopg waits
# about 130 s on a server that accepts the connection and never answers (a blackholed
# database), holding a page, or a health probe's thread, that long. Three seconds is the
# health command's probe deadline; psycopg counts anything under 2 as 2. A DATABASE_URL
# may set its own (`?connect_timeout=10` for a slow link).
CONNECT_TIMEOUT_SECONDS = 3


def postgres_connect_args(url: str) -> dict[str, Any]:
    """What every PostgreSQL connection is opened with, beyond the URL's own parameters."""
    # JIT compiling pays off for long analytic queries; the workbench's are short, and JIT
    # added 150-470 ms to several of them at a million documents (issue 18).
    args: dict[str, Any] = {"options": "-c jit=off"}
    if "connect_timeout" not in make_url(url).query:
        args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    return args


def build_engine(url: str) -> Engine:
    url = normalize_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        database = make_url(url).database
        if database and database != ":memory:" and not database.startswith("file:"):
            # The embedded store holds password hashes and encrypted credentials: owner only.
            # SQLite gives its -wal and -shm files the database file's permissions.
            private_file(Path(database))
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _tune_sqlite)
        return engine
    return create_engine(
        url, pool_pre_ping=True, pool_size=5, max_overflow=10, connect_args=postgres_connect_args(url)
    )


def build_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)
