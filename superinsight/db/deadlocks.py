"""A transaction PostgreSQL failed to break a deadlock, run again.

Two writers that lock the same rows in different orders can wait on each other: a sync's
upsert folds a source's tag counts twice (its insert trigger, then the update), each in
key order but not together, while a rule tags the same source's documents. PostgreSQL
then fails one of them (SQLSTATE 40P01) so the other goes on. The failed transaction is
rolled back whole, so running it once more is what a person would otherwise do by hand,
and the run no longer fails for a moment's bad luck.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError

T = TypeVar("T")
ATTEMPTS = 3


def deadlocked(exc: BaseException) -> bool:
    """Whether PostgreSQL failed the statement to break a deadlock: through SQLAlchemy, or raised
    by the driver itself (a COPY is written on psycopg's own cursor)."""
    cause = exc.orig if isinstance(exc, DBAPIError) else exc
    return getattr(cause, "sqlstate", None) == "40P01"


def retrying_deadlocks(work: Callable[[], T], attempts: int = ATTEMPTS) -> T:
    """`work()`, which begins and commits a transaction of its own, again while a deadlock fails it.

    After a short random pause, so the two writers do not meet again in step; at most
    `attempts` times in all, then the deadlock is raised as any other error.
    """
    for attempt in range(1, attempts):
        try:
            return work()
        except Exception as exc:
            if not deadlocked(exc):
                raise
            time.sleep(random.uniform(0.0, 0.1 * attempt))  # noqa: S311 - a pause's length, not a secret
    return work()
