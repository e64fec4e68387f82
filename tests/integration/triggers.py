"""For the migrations that keep counts by triggers: a database just before one, and what it left."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from superinsight.db import migrate, revisions
from superinsight.db.engine import build_engine
from superinsight.db.models import DataSource


def just_before(url: str, revision: str) -> tuple[Engine, str]:
    """An engine on the empty database at `url`, migrated to the revision before `revision` (returned)."""
    engine = build_engine(url)
    before = ScriptDirectory(str(revisions.MIGRATIONS_DIR)).get_revision(revision).down_revision
    assert isinstance(before, str)
    migrate.upgrade(engine, before)
    return engine, before


def two_sources(session: Session, tenant_id: str) -> list[DataSource]:
    """Sources "A" and "B" of the tenant, flushed so that they have their ids."""
    sources = [DataSource(tenant_id=tenant_id, name=name, source_type="csv") for name in ("A", "B")]
    session.add_all(sources)
    session.flush()
    return sources


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
