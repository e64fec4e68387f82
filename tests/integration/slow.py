"""A statement that runs for seconds on either store, for tests of time limits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text


def slow_statement(session: Any) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_sleep(5)"))
    else:
        session.execute(
            text("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n")
        )
