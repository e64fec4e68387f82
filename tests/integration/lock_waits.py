"""Two PostgreSQL transactions made to meet on one lock: the second is seen waiting before the first ends."""

from __future__ import annotations

import time

from sqlalchemy import text

from superinsight.resources import Resources

WAITING = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
)


def someone_waits(resources: Resources) -> bool:
    """Asked on a fresh connection each time: PostgreSQL keeps one pg_stat_activity per transaction."""
    with resources.engine.connect() as connection:
        return bool(connection.scalar(text(WAITING)))


def until_someone_waits(resources: Resources, what: str, seconds: float = 30.0) -> None:
    """Return once a session of the database waits for a lock; fail naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while not someone_waits(resources):
        assert time.monotonic() < deadline, f"{what} never waited for the first"
        time.sleep(0.02)
