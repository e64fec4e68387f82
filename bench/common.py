"""What every benchmark needs: a PostgreSQL to run on and a fair way to time things."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import Engine, create_engine, text

from superinsight.db import migrate
from superinsight.db.engine import build_engine, normalize_url
from tests.servers import PostgresServer

T = TypeVar("T")


@contextmanager
def postgres() -> Iterator[Engine]:
    """BENCH_DATABASE_URL if given (a throwaway database!), else a server of our own."""
    configured = os.environ.get("BENCH_DATABASE_URL")
    if configured:
        engine = build_engine(configured)
        migrate.upgrade(engine)
        yield engine
        engine.dispose()
        return
    server = PostgresServer()
    server.start()
    admin = create_engine(normalize_url(server.admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("CREATE DATABASE bench"))
    admin.dispose()
    engine = build_engine(server.url_for("bench"))
    migrate.upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        server.stop()


def measure(work: Callable[[], T]) -> tuple[float, T]:
    """Wall time of one run, in seconds, and what it returned."""
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def elapsed(work: Callable[[], object]) -> float:
    """Wall time of one run, in seconds."""
    return measure(work)[0]


def timed(work: Callable[[], object], repeat: int = 5) -> tuple[float, object]:
    """Median wall time of `repeat` runs after one warm-up, and the result."""
    result = work()
    return statistics.median(elapsed(work) for _ in range(repeat)), result


def seeded_in(seed: Callable[[], object]) -> float:
    """How long seeding the rows took (reported, so a slow machine shows up in the numbers)."""
    return elapsed(seed)


def report(title: str, rows: list[tuple[str, str]]) -> None:
    width = max(len(name) for name, _ in rows)
    print(f"\n{title}")
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
