"""How many triggers, and trigger functions, a migration left in the database."""

from __future__ import annotations

from sqlalchemy import Engine, text


def triggers_and_functions(engine: Engine, prefix: str) -> tuple[int, int]:
    """Those whose names start with `prefix` (SQLite has triggers but no functions)."""
    if engine.dialect.name == "sqlite":
        query = "SELECT count(*), 0 FROM sqlite_master WHERE type = 'trigger' AND name LIKE :names"
    else:
        query = (
            "SELECT (SELECT count(*) FROM pg_trigger WHERE tgname LIKE :names), "
            "(SELECT count(*) FROM pg_proc WHERE proname LIKE :names)"
        )
    with engine.connect() as connection:
        triggers, functions = connection.execute(text(query), {"names": f"{prefix}%"}).one()
    return int(triggers), int(functions)
