"""A transaction PostgreSQL fails to break a deadlock runs again; one failed for any other reason does not."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from superinsight.db.deadlocks import retrying_deadlocks
from superinsight.db.engine import build_engine
from tests.integration.lock_waits import WAITING


@pytest.fixture
def engine(pg_url: str) -> Iterator[Engine]:
    engine = build_engine(pg_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE pair (id int PRIMARY KEY, n int NOT NULL)"))
        connection.execute(text("INSERT INTO pair VALUES (1, 0), (2, 0)"))
    yield engine
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE pair"))
    engine.dispose()


def _someone_waits(engine: Engine) -> bool:
    with engine.connect() as connection:
        return bool(connection.scalar(text(WAITING)))


def test_the_transaction_failed_to_break_a_deadlock_runs_again_after_the_other(engine: Engine) -> None:
    """The second to wait closes the circle and is the one PostgreSQL fails: it looks for a
    deadlock once, deadlock_timeout after it starts waiting, and by then the circle is there."""
    both_hold_one = threading.Barrier(2, timeout=30)
    attempts: list[int] = []

    def failed_first() -> None:
        attempts.append(len(attempts) + 1)
        with engine.begin() as connection:
            connection.execute(text("SET LOCAL deadlock_timeout = '200ms'"))
            connection.execute(text("UPDATE pair SET n = n + 1 WHERE id = 1"))
            if len(attempts) == 1:
                both_hold_one.wait()
                deadline = time.monotonic() + 30
                while not _someone_waits(engine):  # the other waits for row 1 first
                    assert time.monotonic() < deadline, "the other never waited for row 1"
                    time.sleep(0.02)
            connection.execute(text("UPDATE pair SET n = n + 10 WHERE id = 2"))

    def goes_on() -> None:
        with engine.begin() as connection:
            connection.execute(text("SET LOCAL deadlock_timeout = '60s'"))
            connection.execute(text("UPDATE pair SET n = n + 100 WHERE id = 2"))
            both_hold_one.wait()
            connection.execute(text("UPDATE pair SET n = n + 1000 WHERE id = 1"))

    with ThreadPoolExecutor(1) as pool:
        other = pool.submit(goes_on)
        retrying_deadlocks(failed_first)
        other.result(timeout=60)
    assert attempts == [1, 2]
    with engine.connect() as connection:
        assert {row.id: row.n for row in connection.execute(text("SELECT id, n FROM pair"))} == {
            1: 1001,
            2: 110,
        }


def test_any_other_failure_is_raised_at_once_and_writes_nothing(engine: Engine) -> None:
    attempts: list[int] = []

    def duplicate() -> None:
        attempts.append(1)
        with engine.begin() as connection:
            connection.execute(text("UPDATE pair SET n = 5 WHERE id = 1"))
            connection.execute(text("INSERT INTO pair VALUES (2, 0)"))

    with pytest.raises(IntegrityError):
        retrying_deadlocks(duplicate)
    assert attempts == [1]
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT n FROM pair WHERE id = 1")) == 0
