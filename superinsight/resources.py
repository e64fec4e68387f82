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
from functools import lru_cache

import redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from superinsight.adapters.cache import Cache, MemoryCache, RedisCache
from superinsight.adapters.graph import GraphStore
from superinsight.adapters.inprocess_jobs import InProcessJobQueue
from superinsight.adapters.jobs import JobQueue
from superinsight.adapters.labelstudio import Annotator, LabelStudioAnnotator, NotConnected
from superinsight.adapters.relational_graph import RelationalGraph
from superinsight.adapters.rq_jobs import RQJobQueue
from superinsight.config import Settings, get_settings
from superinsight.db.engine import build_engine, build_session_factory
from superinsight.db.uow import UnitOfWork

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
    graph: GraphStore
    annotator: Annotator
    closers: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def close(self) -> None:
        """Release what `build_resources` opened: pooled connections, the Redis client, the Neo4j driver."""
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
    return redis.Redis.from_url(
        settings.redis_url.get_secret_value(),
        socket_connect_timeout=SERVICE_TIMEOUT_SECONDS,
        socket_timeout=SERVICE_TIMEOUT_SECONDS * 10,
    )


def _graph(
    settings: Settings, session_factory: sessionmaker[Session], closers: list[Callable[[], None]]
) -> GraphStore:
    if settings.neo4j_uri is None:
        return RelationalGraph(session_factory)
    # Imported only when Neo4j is configured: the driver (and the pandas it loads) is over a
    # second of start-up that `superinsight health` and the embedded workbench never use.
    import neo4j

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
        return NotConnected()
    return LabelStudioAnnotator(settings.label_studio_url, settings.label_studio_api_key.get_secret_value())


def build_resources(settings: Settings) -> Resources:
    if settings.uses_embedded_database:
        settings.ensure_data_dir()
    engine = build_engine(settings.effective_database_url)
    session_factory = build_session_factory(engine)
    redis_client = _redis(settings)
    closers: list[Callable[[], None]] = [engine.dispose]
    jobs: JobQueue
    if redis_client is None:
        jobs = InProcessJobQueue()
        closers.append(jobs.close)
    else:
        jobs = RQJobQueue(redis_client)
        closers.append(redis_client.close)
    return Resources(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        cache=MemoryCache() if redis_client is None else RedisCache(redis_client),
        jobs=jobs,
        graph=_graph(settings, session_factory, closers),
        annotator=_annotator(settings),
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
