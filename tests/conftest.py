"""Real services for the whole suite, and fresh migrated databases for each test.

Every database test runs on SQLite and on PostgreSQL (parametrised `db_url`);
PostgreSQL-only tests ask for `pg_url`. Slow servers (Neo4j, Label Studio) start in
the background as soon as collection shows a test that needs them.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, text

from superinsight.config import Settings
from superinsight.db import migrate
from superinsight.db.engine import build_engine, normalize_url
from superinsight.resources import Resources, build_resources
from tests.servers import (
    BackgroundServer,
    LabelStudioServer,
    Neo4jServer,
    PostgresServer,
    RedisServer,
)

SETTINGS_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "NEO4J_URI",
    "NEO4J_USER",
    "NEO4J_PASSWORD",
    "LABEL_STUDIO_URL",
    "LABEL_STUDIO_API_KEY",
    "SECRET_KEY",
    "DATA_DIR",
    "AUTO_MIGRATE",
)
for _name in SETTINGS_VARIABLES:
    os.environ.pop(_name, None)

# CI explores the same examples every run, so a red build always means a change
# broke something; locally each run explores new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
_background: dict[str, BackgroundServer] = {}
_counter = itertools.count()


def _needs(item: pytest.Item, fixture: str, param: str) -> bool:
    callspec = getattr(item, "callspec", None)
    return fixture in getattr(item, "fixturenames", ()) or (
        callspec is not None and param in callspec.params.values()
    )


def _background_server(name: str) -> BackgroundServer:
    if name not in _background:
        _background[name] = Neo4jServer() if name == "neo4j" else LabelStudioServer()
        _background[name].start_in_background()
    return _background[name]


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start Neo4j and Label Studio now, so their start-up overlaps the fast tests."""
    if not os.environ.get("TEST_NEO4J_URI") and any(_needs(i, "neo4j_uri", "neo4j") for i in session.items):
        _background_server("neo4j")
    if not os.environ.get("TEST_LABEL_STUDIO_URL") and any(
        _needs(i, "label_studio", "label_studio") for i in session.items
    ):
        _background_server("label_studio")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    for server in _background.values():
        server.stop()


def make_settings(tmp_path: Path, database_url: str | None = None, **overrides: Any) -> Settings:
    """Settings for a test: explicit values only, never the developer's `.env`."""
    values: dict[str, Any] = {"data_dir": tmp_path / "data", "database_url": database_url}
    values.update(overrides)
    return Settings(_env_file=None, **values)


# PostgreSQL ---------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    server = PostgresServer()
    server.start()
    yield server.admin_url
    server.stop()


def _database_url(admin_url: str, database: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(normalize_url(admin_url)).set(database=database).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def _pg_admin(postgres_admin_url: str) -> Iterator[Any]:
    engine = create_engine(normalize_url(postgres_admin_url), isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def _pg_template(_pg_admin: Any, postgres_admin_url: str) -> str:
    name = f"si_template_{os.getpid()}"
    with _pg_admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = build_engine(_database_url(postgres_admin_url, name))
    migrate.upgrade(engine)
    engine.dispose()
    return name


@pytest.fixture
def pg_url(_pg_admin: Any, _pg_template: str, postgres_admin_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database at the newest schema revision."""
    name = f"si_test_{os.getpid()}_{next(_counter)}"
    with _pg_admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{_pg_template}"'))
    yield _database_url(postgres_admin_url, name)
    with _pg_admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def empty_pg_url(_pg_admin: Any, postgres_admin_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database with no schema at all."""
    name = f"si_empty_{os.getpid()}_{next(_counter)}"
    with _pg_admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield _database_url(postgres_admin_url, name)
    with _pg_admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# SQLite -------------------------------------------------------------------


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    engine = build_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture
def sqlite_url(_sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "workbench.db"
    shutil.copy(_sqlite_template, path)
    return f"sqlite:///{path}"


# Both stores --------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """Every database test runs on both stores."""
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url"))


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each store, for tests that migrate it themselves."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    return str(request.getfixturevalue("empty_pg_url"))


@pytest.fixture
def resources(db_url: str, tmp_path: Path) -> Iterator[Resources]:
    built = build_resources(make_settings(tmp_path, db_url))
    yield built
    built.close()


# Redis, Neo4j, Label Studio -----------------------------------------------


@pytest.fixture(scope="session")
def _redis_server_url() -> Iterator[str]:
    configured = os.environ.get("TEST_REDIS_URL")
    if configured:
        yield configured
        return
    server = RedisServer()
    server.start()
    yield server.url
    server.stop()


@pytest.fixture
def redis_url(_redis_server_url: str) -> str:
    import redis

    client = redis.Redis.from_url(_redis_server_url)
    client.flushdb()
    client.close()
    return _redis_server_url


@pytest.fixture(scope="session")
def _neo4j_server_uri() -> str:
    configured = os.environ.get("TEST_NEO4J_URI")
    if configured:
        return configured
    server = _background_server("neo4j")
    server.wait(180)
    assert isinstance(server, Neo4jServer)
    return server.uri


@pytest.fixture
def neo4j_uri(_neo4j_server_uri: str) -> str:
    import neo4j

    auth = (os.environ.get("TEST_NEO4J_USER", "neo4j"), os.environ.get("TEST_NEO4J_PASSWORD", ""))
    with neo4j.GraphDatabase.driver(_neo4j_server_uri, auth=auth) as driver:
        driver.execute_query("MATCH (n) DETACH DELETE n")
    return _neo4j_server_uri


@pytest.fixture(scope="session")
def label_studio() -> tuple[str, str]:
    """(url, legacy API token) of a running Label Studio."""
    configured = os.environ.get("TEST_LABEL_STUDIO_URL")
    if configured:
        return configured, os.environ["TEST_LABEL_STUDIO_API_KEY"]
    server = _background_server("label_studio")
    server.wait(300)
    assert isinstance(server, LabelStudioServer)
    return server.url, server.token


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
