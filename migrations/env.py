"""Alembic environment: runs against the engine the workbench hands it, or settings."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from superinsight.config import get_settings
from superinsight.db import models  # noqa: F401 - registers every table on Base.metadata
from superinsight.db.base import Base
from superinsight.db.engine import build_engine

config = context.config


def _engine() -> Engine:
    engine = config.attributes.get("engine")
    if isinstance(engine, Engine):
        return engine
    return build_engine(get_settings().effective_database_url)


def run_migrations_online() -> None:
    engine = _engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            compare_type=True,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
