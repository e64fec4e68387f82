"""Which database a connection really reached, asked of the server itself.

The address check (`address._is_workbench`) compares host, port and database name,
so a proxy, a forwarded port or a second name for the same server passes it. The
server knows better: PostgreSQL's start time with the database's oid, MySQL's
server uuid with the database name, name one database of one running server.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool

from superinsight.sync.connectors.base import SourceError

_QUESTIONS = {
    "postgresql": "SELECT pg_postmaster_start_time()::text || '/' || d.oid::text "
    "FROM pg_database d WHERE d.datname = current_database()",
    "mysql": "SELECT CONCAT(@@server_uuid, '/', DATABASE())",
    "mariadb": "SELECT CONCAT(@@server_uuid, '/', DATABASE())",
}
OWN_DATABASE = "that is the workbench's own database (reached by another address); it cannot be a data source"


def _asked(dbapi_connection: Any, backend: str) -> str | None:
    question = _QUESTIONS.get(backend)
    if question is None:
        return None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(question)
        row = cursor.fetchone()
    finally:
        cursor.close()
        dbapi_connection.rollback()
    return str(row[0]) if row and row[0] is not None else None


@lru_cache(maxsize=8)
def _workbench(workbench_url: str) -> str | None:
    """The workbench's own database, asked once per process (None for SQLite: its path is checked)."""
    url = make_url(workbench_url)
    if url.get_backend_name() not in _QUESTIONS:
        return None
    if url.drivername in ("postgres", "postgresql"):
        url = url.set(drivername="postgresql+psycopg")
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return _asked(connection.connection.dbapi_connection, url.get_backend_name())
    finally:
        engine.dispose()


def refuse_the_workbench(source: Engine, workbench_url: str) -> None:
    """Every new connection of `source` asks its server which database it is, and is refused
    (before any query of the source's runs) when that is the workbench's own."""
    backend = source.dialect.name

    def check(dbapi_connection: Any, _record: Any) -> None:
        reached = _asked(dbapi_connection, backend)
        if reached is not None and reached == _workbench(workbench_url):
            raise SourceError(OWN_DATABASE)

    event.listen(source, "connect", check)
