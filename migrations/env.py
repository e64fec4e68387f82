"""Alembic environment: runs against the engine the workbench hands it, or settings."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, text

from superinsight.config import get_settings
from superinsight.db import (
    migrate,
    models,  # noqa: F401 - registers every table on Base.metadata
)
from superinsight.db.base import Base
from superinsight.db.engine import build_engine

config = context.config
MIGRATION_LOCK_KEY = 7_150_001


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
            include_name=migrate.include_name,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        if connection.dialect.name == "postgresql" and connection.connection.driver_connection.autocommit:
            # Each statement would commit on its own: the lock below would end at once, and a
            # migration failing half way would leave its first half.
            raise RuntimeError("migrations need a transaction: build the engine without AUTOCOMMIT")
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # The app, the CLI and workers may all start at once: one migrates,
                # the others wait here and then find nothing left to do.
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            context.run_migrations()
        connection.commit()


run_migrations_online()
