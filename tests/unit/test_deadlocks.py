"""How often a deadlocked transaction is tried, and what is not a deadlock (a real one: tests/integration)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.exc import OperationalError

from superinsight.db import deadlocks


class _DriverError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def _failing(sqlstate: str, times: int, tried: list[int], *, raw: bool = False) -> Callable[[], str]:
    """Work that fails `times` times, through SQLAlchemy or (`raw`) as the driver raises it."""

    def work() -> str:
        tried.append(1)
        if len(tried) <= times:
            raise _DriverError(sqlstate) if raw else OperationalError("UPDATE", {}, _DriverError(sqlstate))
        return "done"

    return work


def test_a_deadlock_is_tried_again_up_to_the_attempts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deadlocks.time, "sleep", lambda _: None)
    tried: list[int] = []
    assert deadlocks.retrying_deadlocks(_failing("40P01", deadlocks.ATTEMPTS - 1, tried)) == "done"
    assert len(tried) == deadlocks.ATTEMPTS
    tried.clear()
    with pytest.raises(OperationalError) as raised:
        deadlocks.retrying_deadlocks(_failing("40P01", deadlocks.ATTEMPTS, tried))
    assert deadlocks.deadlocked(raised.value) and len(tried) == deadlocks.ATTEMPTS


@pytest.mark.parametrize("sqlstate", ["40001", "57014", "23505"])
def test_other_failures_are_not_tried_again(sqlstate: str) -> None:
    tried: list[int] = []
    with pytest.raises(OperationalError):
        deadlocks.retrying_deadlocks(_failing(sqlstate, 1, tried))
    assert len(tried) == 1


def test_a_deadlock_the_driver_raised_itself_is_tried_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """A COPY runs on psycopg's own cursor: its errors do not pass through SQLAlchemy."""
    monkeypatch.setattr(deadlocks.time, "sleep", lambda _: None)
    tried: list[int] = []
    assert deadlocks.retrying_deadlocks(_failing("40P01", 1, tried, raw=True)) == "done"
    assert len(tried) == 2
    with pytest.raises(_DriverError):
        deadlocks.retrying_deadlocks(_failing("23505", 1, [], raw=True))
