"""Any database SQLAlchemy reaches (PostgreSQL, MySQL/MariaDB, SQLite): a table or a query.

Reads are keyset pages ordered by (cursor, key) or by key, one short query per
batch, so a long sync holds no transaction open on the source and a resumed run
starts exactly after the last committed record.

A source is only ever read. A query is checked before it is sent
(`select_text`); then each driver is set so that the server itself refuses a
second statement (PostgreSQL gets every statement prepared, the extended
protocol; PyMySQL never asks for multi-statements; sqlite3 runs one) and every
transaction is read-only from its start (PostgreSQL and MySQL session defaults,
SQLite's `query_only`). The connection goes to the address resolved when the
source was checked, not to whatever the host name answers later.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from sqlalchemy import (
    Engine,
    column,
    create_engine,
    event,
    func,
    literal_column,
    select,
    table,
    text,
    tuple_,
)
from sqlalchemy.exc import DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import NullPool
from sqlalchemy.sql import Select

from superinsight.redaction import redact, url_password
from superinsight.sync.connectors.address import Target
from superinsight.sync.connectors.base import ReadSpec, SourceError, SourceRecord, changed_at, position_of
from superinsight.sync.connectors.identity import refuse_the_workbench
from superinsight.sync.connectors.select_text import SelectTextError, check_select
from superinsight.sync.transforms import Record

CONNECT_TIMEOUT_SECONDS = 10
STATEMENT_TIMEOUT_SECONDS = 300
_HINTS = (
    (re.compile(r"password authentication failed|access denied"), "the user name or password was refused"),
    (re.compile(r"connection refused"), "nothing answers at that host and port; is the database running?"),
    (re.compile(r"could not translate host name|name or service not known"), "the host name cannot be found"),
    (re.compile(r"timeout expired|timed out"), "the database did not answer in time"),
    (re.compile(r'database "[^"]*" does not exist|unknown database'), "the database does not exist"),
    (
        re.compile(r'relation "[^"]*" does not exist|no such table|table .* doesn\'t exist'),
        "the table does not exist",
    ),
    (re.compile(r"column .* does not exist|no such column|unknown column"), "a column does not exist"),
    (re.compile(r"permission denied"), "the user may not read that table"),
)


def _connect_args(target: Target) -> dict[str, Any]:
    """Driver settings: connect to the pinned address, one statement at a time, read-only."""
    if target.url.startswith("postgresql"):
        return {
            "connect_timeout": CONNECT_TIMEOUT_SECONDS,
            "hostaddr": target.address,
            "prepare_threshold": 0,
            "options": "-c default_transaction_read_only=on "
            f"-c statement_timeout={STATEMENT_TIMEOUT_SECONDS * 1000}",
        }
    if target.url.startswith(("mysql", "mariadb")):
        return {
            "connect_timeout": CONNECT_TIMEOUT_SECONDS,
            "host": target.address,
            "init_command": "SET SESSION TRANSACTION READ ONLY",
        }
    return {}


def _query_only(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA query_only = ON")


class DatabaseConnector:
    def __init__(self, target: Target, config: dict[str, Any], workbench_url: str | None = None) -> None:
        url = target.url
        self._secrets = [url] + ([password] if (password := url_password(url)) else [])
        table_name = str(config.get("table") or "").strip()
        query = str(config.get("query") or "").strip()
        if bool(table_name) == bool(query):
            raise SourceError("give either a table or a query")
        self._table = table_name
        try:
            self._query = check_select(query) if query else ""
        except SelectTextError as exc:
            raise SourceError(str(exc)) from None
        try:
            self._engine: Engine = create_engine(url, poolclass=NullPool, connect_args=_connect_args(target))
        except NoSuchModuleError:
            raise SourceError("no driver for that kind of database is installed") from None
        except Exception as exc:  # noqa: BLE001 - any parse failure is a bad address
            raise SourceError(f"that is not a database address: {self._clean(exc)}") from None
        if self._engine.dialect.name == "sqlite":
            event.listen(self._engine, "connect", _query_only)
        if workbench_url is not None:
            refuse_the_workbench(self._engine, workbench_url)

    def _clean(self, exc: BaseException) -> str:
        detail = str(exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc)
        first = redact(
            detail.strip().splitlines()[0] if detail.strip() else type(exc).__name__, self._secrets
        )
        lowered = detail.lower()
        hint = next((hint for pattern, hint in _HINTS if pattern.search(lowered)), None)
        return f"{hint} ({first})" if hint else first

    def _relation(self) -> Any:
        if self._table:
            schema, _, name = self._table.rpartition(".")
            return table(name, schema=schema or None)
        # On lines of its own, so a trailing comment in the query cannot swallow what follows it.
        return text(f"\n{self._query}\n").columns().subquery("source_query")

    def _select(self, *columns: Any) -> Select[Any]:
        return select(*columns).select_from(self._relation())

    def _run(self, statement: Select[Any]) -> list[Record]:
        try:
            with self._engine.connect() as connection:
                result = connection.execute(statement)
                names = list(result.keys())
                return [dict(zip(names, row, strict=True)) for row in result]
        except SQLAlchemyError as exc:
            raise SourceError(f"reading the source failed: {self._clean(exc)}") from None

    def test(self) -> str:
        try:
            with self._engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            raise SourceError(f"could not connect: {self._clean(exc)}") from None
        count = self._run(self._select(func.count().label("n")))[0]["n"]
        fields = self.fields()
        return (
            f"connected; {count:,} rows, fields: {', '.join(fields[:12])}{' …' if len(fields) > 12 else ''}"
        )

    def fields(self) -> list[str]:
        try:
            with self._engine.connect() as connection:
                return list(connection.execute(self._select(literal_column("*")).limit(0)).keys())
        except SQLAlchemyError as exc:
            raise SourceError(f"reading the source failed: {self._clean(exc)}") from None

    def sample(self, limit: int = 20) -> list[Record]:
        return self._run(self._select(literal_column("*")).limit(limit))

    def _past(self, statement: Select[Any], spec: ReadSpec) -> Select[Any]:
        if spec.since is None:
            return statement
        if spec.cursor_field is None:
            return statement.where(column(spec.key_field) > spec.since.value)
        return statement.where(
            tuple_(column(spec.cursor_field), column(spec.key_field))
            > tuple_(spec.since.value, spec.since.key)
        )

    def count(self, spec: ReadSpec) -> int | None:
        return int(self._run(self._past(self._select(func.count().label("n")), spec))[0]["n"])

    def read(self, spec: ReadSpec, batch_size: int) -> Iterator[list[SourceRecord]]:
        fields = [spec.key_field] if spec.cursor_field is None else [spec.cursor_field, spec.key_field]
        order: list[Any] = [column(name) for name in fields]
        since = spec.since
        while True:
            page = self._past(
                self._select(literal_column("*")), ReadSpec(spec.key_field, spec.cursor_field, since)
            )
            rows = self._run(page.order_by(*order).limit(batch_size))
            if not rows:
                return
            positions = [position_of(row, spec) for row in rows]
            yield [SourceRecord(row, at, changed_at(at)) for row, at in zip(rows, positions, strict=True)]
            since = positions[-1]
            if len(rows) < batch_size:
                return
