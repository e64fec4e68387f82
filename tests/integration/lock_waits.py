"""Two PostgreSQL transactions made to meet on one lock: the second is seen waiting before the first ends."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.orm import Session

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


def while_waiting(resources: Resources, first: Session, second: Session, work: Callable[[], None]) -> None:
    """`work` in `second` on another thread until it waits for a lock `first` holds; then both commit.

    `first` ends whatever happens, before `second` is closed: closing a session whose
    connection another thread is using would wait for that thread, which waits for `first`.
    """
    failures: list[BaseException] = []

    def run() -> None:
        try:
            work()
            second.commit()
        except BaseException as failure:  # handed to the test's thread
            failures.append(failure)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        until_someone_waits(resources, "the second transaction")
    finally:
        first.commit()
        thread.join(30)
    assert not thread.is_alive() and not failures, failures
