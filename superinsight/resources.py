"""Wires settings to concrete adapters, once per process (Dagster-style resources).

This is the only place that decides production versus embedded implementations;
services receive a `Resources` and never look at settings to choose a backend.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from superinsight.adapters.cache import Cache, MemoryCache
from superinsight.adapters.jobs import JobQueue
from superinsight.config import Settings, get_settings
from superinsight.db.engine import build_engine, build_session_factory
from superinsight.db.uow import UnitOfWork

if TYPE_CHECKING:
    import redis

    from superinsight.adapters.graph import GraphStore
    from superinsight.adapters.labelstudio import Annotator

# A backend's client is imported when the settings choose it, and the graph and the
# annotator are built on first use: `superinsight health --only database` runs every few
# seconds in compose and should load neither the Neo4j driver (a second here, with the
# pandas it imports) nor the ORM's models, nor the Label Studio client.

log = logging.getLogger(__name__)
SERVICE_TIMEOUT_SECONDS = 3.0


@dataclass(eq=False)
class Resources:
    """The adapters one process works with; compared and hashed by identity, like the connections it holds."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    cache: Cache
    jobs: JobQueue
    closers: list[Callable[[], None]] = field(default_factory=list, repr=False)
    closed: bool = field(default=False, init=False, repr=False)

    @cached_property
    def graph(self) -> GraphStore:
        """Built on first use (Python 3.11 builds a cached property under a lock: once).

        Its Neo4j driver closes last, after the scheduler that may be using it has stopped;
        built after `close` (by a late graph-constraints thread), it is closed at once.
        """
        opened: list[Callable[[], None]] = []
        graph = _graph(self.settings, self.session_factory, opened)
        self.closers[:0] = opened
        if self.closed:
            self.close()
        return graph

    @property
    def graph_backend(self) -> str:
        """The graph's backend as the settings choose it, named without building the graph:
        health names it even when its driver refuses the address."""
        return "relational" if self.settings.neo4j_uri is None else "neo4j"

    @cached_property
    def annotator(self) -> Annotator:
        return _annotator(self.settings)

    def close(self) -> None:
        """Release what was opened: pooled connections, the Redis client, the Neo4j driver if built."""
        self.closed = True
        while self.closers:
            closer = self.closers.pop()
            try:
                closer()
            except Exception:
                log.exception("closing %s failed", getattr(closer, "__qualname__", closer))

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory)

    @contextmanager
    def active(self) -> Iterator[Resources]:
        """Make these the resources that jobs started inside the block will use.

        An in-process job inherits the context it was enqueued in, so it works on
        the same database as its caller; an RQ worker has no such context and uses
        the resources its own settings describe.
        """
        token = _active.set(self)
        try:
            yield self
        finally:
            _active.reset(token)


def _redis(settings: Settings) -> redis.Redis | None:
    if settings.redis_url is None:
        return None
    import redis

    return redis.Redis.from_url(
        settings.redis_url.get_secret_value(),
        socket_connect_timeout=SERVICE_TIMEOUT_SECONDS,
        socket_timeout=SERVICE_TIMEOUT_SECONDS * 10,
    )


def _graph(
    settings: Settings, session_factory: sessionmaker[Session], closers: list[Callable[[], None]]
) -> GraphStore:
    if settings.neo4j_uri is None:
        from superinsight.adapters.relational_graph import RelationalGraph

        return RelationalGraph(session_factory)
    from superinsight.adapters.neo4j_driver import import_driver

    neo4j = import_driver()  # before the adapter's own `import neo4j`, which then finds it loaded
    from superinsight.adapters.neo4j_graph import Neo4jGraph

    password = settings.neo4j_password.get_secret_value() if settings.neo4j_password else ""
    driver = neo4j.GraphDatabase.driver(
        settings.neo4j_uri,
        auth=(settings.neo4j_user, password),
        connection_timeout=SERVICE_TIMEOUT_SECONDS,
        connection_acquisition_timeout=SERVICE_TIMEOUT_SECONDS * 2,
    )
    closers.append(driver.close)
    return Neo4jGraph(driver)


def _annotator(settings: Settings) -> Annotator:
    if settings.label_studio_url is None or settings.label_studio_api_key is None:
        from superinsight.adapters.labelstudio_absent import NotConnected

        return NotConnected()
    from superinsight.adapters.labelstudio import LabelStudioAnnotator

    return LabelStudioAnnotator(settings.label_studio_url, settings.label_studio_api_key.get_secret_value())


def build_resources(settings: Settings) -> Resources:
    if settings.uses_embedded_database:
        settings.ensure_data_dir()
    engine = build_engine(settings.effective_database_url)
    session_factory = build_session_factory(engine)
    redis_client = _redis(settings)
    closers: list[Callable[[], None]] = [engine.dispose]
    jobs: JobQueue
    cache: Cache
    if redis_client is None:
        from superinsight.adapters.inprocess_jobs import InProcessJobQueue

        jobs, cache = InProcessJobQueue(), MemoryCache()
        closers.append(jobs.close)
    else:
        from superinsight.adapters.cache import RedisCache
        from superinsight.adapters.rq_jobs import RQJobQueue

        jobs, cache = RQJobQueue(redis_client), RedisCache(redis_client)
        closers.append(redis_client.close)
    return Resources(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        cache=cache,
        jobs=jobs,
        closers=closers,
    )


@lru_cache(maxsize=1)
def get_resources() -> Resources:
    """The process-wide resources for the settings in the environment."""
    return build_resources(get_settings())


_active: ContextVar[Resources | None] = ContextVar("superinsight_resources", default=None)


def current_resources() -> Resources:
    """What a job works with: its caller's resources in-process, the settings' in a worker."""
    return _active.get() or get_resources()
