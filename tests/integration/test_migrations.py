"""One linear schema history that round-trips and matches the models, on both stores."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from superinsight.db import migrate, revisions
from superinsight.db.base import Base
from superinsight.db.engine import build_engine


def _script() -> ScriptDirectory:
    return ScriptDirectory(str(revisions.MIGRATIONS_DIR))


class TestChain:
    def test_has_one_head_and_one_base(self) -> None:
        script = _script()
        assert len(script.get_heads()) == 1
        assert len(script.get_bases()) == 1

    def test_every_revision_points_at_the_one_before_it(self) -> None:
        revisions = list(_script().walk_revisions())  # newest first
        for newer, older in itertools.pairwise(revisions):
            assert newer.down_revision == older.revision
            assert not newer.is_merge_point
        assert revisions[-1].down_revision is None

    def test_each_revision_file_holds_exactly_one_revision(self) -> None:
        files = sorted(Path(revisions.MIGRATIONS_DIR, "versions").glob("*.py"))
        assert len(files) == len(list(_script().walk_revisions()))

    def test_the_revisions_read_without_alembic_are_alembics(self) -> None:
        """`superinsight health` reads the chain with Python's parser; alembic's reading is the reference."""
        script = _script()
        alembics = {revision.revision: revision.down_revision for revision in script.walk_revisions()}
        assert len(alembics) >= 21
        assert revisions.known_revisions() == alembics
        assert revisions.head_revision() == script.get_current_head()


class TestRoundTrip:
    def test_upgrade_downgrade_upgrade_leaves_schema_matching_models(self, empty_url: str) -> None:
        engine = build_engine(empty_url)
        migrate.upgrade(engine)
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
        migrate.downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}, (
            "downgrade leaves nothing behind"
        )
        migrate.upgrade(engine)
        with engine.connect() as connection:
            diff = compare_metadata(
                MigrationContext.configure(
                    connection, opts={"compare_type": True, "include_name": migrate.include_name}
                ),
                Base.metadata,
            )
        engine.dispose()
        assert diff == []

    def test_every_customer_table_carries_a_tenant(self, empty_url: str) -> None:
        global_tables = {"roles", "permissions", "role_permissions"}
        engine = build_engine(empty_url)
        migrate.upgrade(engine)
        inspector = inspect(engine)
        for table in set(Base.metadata.tables) - global_tables:
            columns = {column["name"] for column in inspector.get_columns(table)}
            assert "tenant_id" in columns, table
        engine.dispose()


class TestRefusals:
    def test_a_database_ahead_of_the_code_is_refused_and_left_alone(self, db_url: str) -> None:
        engine = build_engine(db_url)
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = 'from_the_future'"))
        with pytest.raises(revisions.SchemaAheadError, match="from_the_future"):
            migrate.upgrade(engine)
        assert revisions.current_revision(engine) == "from_the_future"
        engine.dispose()

    @pytest.mark.postgres_only
    def test_an_autocommit_engine_is_refused_before_anything_is_created(self, empty_pg_url: str) -> None:
        """Its advisory lock would end with its statement, and a failure half way would stay half done."""
        engine = build_engine(empty_pg_url).execution_options(isolation_level="AUTOCOMMIT")
        with pytest.raises(RuntimeError, match="need a transaction"):
            migrate.upgrade(engine)
        assert revisions.current_revision(engine) is None
        assert inspect(engine).get_table_names() == []
        engine.dispose()

    def test_a_database_never_migrated_is_at_no_revision(self, empty_url: str) -> None:
        engine = build_engine(empty_url)
        assert revisions.current_revision(engine) is None
        migrate.upgrade(engine, "0001")
        assert revisions.current_revision(engine) == "0001"
        engine.dispose()

    def test_upgrading_an_up_to_date_database_changes_nothing(self, db_url: str) -> None:
        engine = build_engine(db_url)
        before = revisions.current_revision(engine)
        migrate.upgrade(engine)
        assert revisions.current_revision(engine) == before == revisions.head_revision()
        engine.dispose()


@pytest.mark.postgres_only
def test_postgresql_documents_have_a_full_text_index(pg_url: str) -> None:
    engine = build_engine(pg_url)
    with engine.connect() as connection:
        definition = connection.scalar(text("SELECT pg_get_indexdef('ix_documents_search_vector'::regclass)"))
        connection.execute(text("SET enable_seqscan = off"))  # an empty table would be scanned anyway
        plan = "\n".join(
            connection.scalars(
                text(
                    "EXPLAIN SELECT id FROM documents "
                    "WHERE search_vector @@ plainto_tsquery('english', 'refund')"
                )
            )
        )
    engine.dispose()
    assert "USING gin" in definition
    assert "ix_documents_search_vector" in plan


@pytest.mark.postgres_only
def test_postgresql_answers_the_tag_filter_from_an_index(pg_url: str) -> None:
    engine = build_engine(pg_url)
    with engine.connect() as connection:
        connection.execute(text("SET enable_seqscan = off"))  # an empty table would be scanned anyway
        plan = "\n".join(
            connection.scalars(
                text("EXPLAIN SELECT id FROM documents WHERE tags @> jsonb_build_array(CAST('vip' AS text))")
            )
        )
    engine.dispose()
    assert "ix_documents_tags" in plan


@pytest.mark.postgres_only
def test_the_workbench_talks_to_postgresql_without_jit(pg_url: str) -> None:
    """JIT compiling cost the workbench's short queries more than it saved (issue 18)."""
    engine = build_engine(pg_url)
    with engine.connect() as connection:
        server_default = connection.scalar(text("SELECT boot_val FROM pg_settings WHERE name = 'jit'"))
        ours = connection.scalar(text("SHOW jit"))
    engine.dispose()
    assert (server_default, ours) == ("on", "off")
