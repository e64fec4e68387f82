"""Bring a database to the code's schema, and refuse one that is newer than the code."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from superinsight.db.revisions import MIGRATIONS_DIR, check_not_ahead

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


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    check_not_ahead(engine)
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)
