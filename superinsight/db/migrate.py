"""Bring a database to the code's schema, and refuse one that is newer than the code."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


# What the migrations create for one store only, which has no model: SQLite's FTS5
# index (and its shadow tables), PostgreSQL's stored search vector and its index,
# PostgreSQL's GIN index on tags, and the notes its tag-count triggers fold within a
# statement (migration 0021). Autogenerate must not offer to drop them.
UNMODELLED = {
    "table": ("documents_fts", "document_tag_changes"),
    "column": ("search_vector",),
    "index": ("ix_documents_search_vector", "ix_documents_tags"),
}


def include_name(name: str | None, type_: str, _parent_names: object) -> bool:
    return name is None or not name.startswith(UNMODELLED.get(type_, ()))


class SchemaAheadError(RuntimeError):
    """The database was migrated by a newer release than the one running."""


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def head_revision(engine: Engine) -> str:
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def check_not_ahead(engine: Engine) -> None:
    current = current_revision(engine)
    if current is None:
        return
    script = ScriptDirectory.from_config(alembic_config(engine))
    if current not in {rev.revision for rev in script.walk_revisions()}:
        raise SchemaAheadError(
            f"the database is at schema revision {current!r}, which this version of "
            f"SuperInsight does not know (its newest is {head_revision(engine)!r}); "
            "upgrade SuperInsight instead of running an older release against it"
        )


def upgrade(engine: Engine, revision: str = "head") -> None:
    check_not_ahead(engine)
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)


def is_up_to_date(engine: Engine) -> bool:
    return current_revision(engine) == head_revision(engine)
