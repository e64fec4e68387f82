"""Forgetting sign-in counts (`throttle.prune`): only rows a new one would equal, on both databases.

The property: any run of tries, successes and waits gives the same answers with the
scheduler pruning between them as without. A prune that dropped a count still holding a
try back would let an unknown email take more tries than an account, which tells them apart.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, event, select

from superinsight.db.base import aware, utcnow
from superinsight.db.models.security import SignInThrottle
from superinsight.resources import Resources
from superinsight.services.security import throttle
from superinsight.services.sync import scheduler

LIMIT = 2
ADDRESS, EMAIL = throttle.address_key("192.0.2.7"), throttle.email_key("nobody@acme.example")
START = datetime(2026, 1, 1, 9, tzinfo=utcnow().tzinfo)
KEY = st.sampled_from([ADDRESS, EMAIL])
TRY = st.tuples(st.just("try"), KEY)
STEP = st.one_of(  # tries weigh most: a difference shows only after a few in a row
    TRY,
    TRY,
    TRY,
    st.tuples(st.just("wait"), st.sampled_from([1, 6, 10, 16])),  # minutes, about the 15 min lock
    st.tuples(st.just("right password"), KEY),
    st.tuples(st.just("prune"), st.none()),
)


def _rows(resources: Resources) -> dict[str, tuple[int, datetime | None]]:
    with resources.uow() as uow:
        row = SignInThrottle
        found = uow.session.execute(select(row.key, row.failures, row.locked_until))
        return {key: (failures, aware(locked) if locked else None) for key, failures, locked in found}


def _replay(resources: Resources, steps: list[tuple[str, Any]], *, pruning: bool) -> list[datetime | None]:
    """Each try's answer (None: a try was left) with every step played at its time."""
    with resources.uow() as uow:
        uow.session.execute(delete(SignInThrottle))
        uow.commit()
    now, answers = START, []
    for step, value in steps:
        with resources.uow() as uow:
            if step == "wait":
                now += timedelta(minutes=value)
            elif step == "try":
                windowed = value == ADDRESS
                answers.append(throttle.claim(uow.session, "acme", value, LIMIT, now, windowed=windowed))
            elif step == "right password":
                throttle.release(uow.session, "acme", value, LIMIT)
            elif pruning:
                throttle.prune(uow.session, now)
            uow.commit()
    return answers


@example(  # an address locked past its window: still locked
    steps=[("try", ADDRESS), ("wait", 10), ("try", ADDRESS), ("wait", 6), ("prune", None), ("try", ADDRESS)]
)
@example(steps=[("try", EMAIL), ("wait", 16), ("prune", None), ("try", EMAIL), ("try", EMAIL)])  # no window
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEP, min_size=1, max_size=25))
def test_pruning_never_changes_an_answer(resources: Resources, steps: list[tuple[str, Any]]) -> None:
    assert _replay(resources, steps, pruning=True) == _replay(resources, steps, pruning=False)


def test_what_is_forgotten_and_what_is_kept(resources: Resources) -> None:
    now = START
    with resources.uow() as uow:
        for key, failures, window_minutes_ago, locked_for in [
            ("address:a-window-passed", 2, 16, None),
            ("address:a-lock-ended", 20, 31, -1),
            ("address:in-its-window", 2, 14, None),
            ("address:passed-less-than-a-skew-ago", 2, 15.5, None),  # the scheduler's clock may be ahead
            ("address:locked-past-its-window", 20, 20, 10),
            (EMAIL, 2, 600, None),  # below the limit: an account's count would hold
            ("email:lock-ended", 5, 31, -1),
            ("email:locked", 5, 5, 10),
        ]:
            locked = now + timedelta(minutes=locked_for) if locked_for is not None else None
            uow.session.add(
                SignInThrottle(
                    tenant_id="acme",
                    key=key,
                    failures=failures,
                    window_started_at=now - timedelta(minutes=window_minutes_ago),
                    locked_until=locked,
                )
            )
        uow.commit()
        assert throttle.prune(uow.session, now) == 3
        uow.commit()
    assert sorted(_rows(resources)) == sorted(
        [
            "address:in-its-window",
            "address:passed-less-than-a-skew-ago",
            "address:locked-past-its-window",
            EMAIL,
            "email:locked",
        ]
    )


def test_the_scheduler_forgets_them_in_its_round(resources: Resources) -> None:
    with resources.uow() as uow:
        throttle.claim(uow.session, "acme", ADDRESS, LIMIT, START)
        uow.commit()
    later = START + throttle.LOCKOUT + timedelta(minutes=1)
    assert scheduler.tick(resources, later)["sign-in counts forgotten"] == 1
    assert _rows(resources) == {}


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_row_pruned_between_a_tries_insert_and_update_still_counts_it(resources: Resources) -> None:
    """PostgreSQL locks no row an insert found there, so a prune can delete it before the update."""
    with resources.uow() as uow:
        throttle.claim(uow.session, "acme", ADDRESS, LIMIT, START)
        uow.commit()
    later = START + throttle.LOCKOUT + timedelta(minutes=1)
    pruned: list[int] = []

    def prune_first(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().startswith("UPDATE sign_in_throttles") and not pruned:
            with resources.uow() as other:
                pruned.append(throttle.prune(other.session, later))
                other.commit()

    event.listen(resources.engine, "before_cursor_execute", prune_first)
    try:
        with resources.uow() as uow:
            answer = throttle.claim(uow.session, "acme", ADDRESS, LIMIT, later)
            uow.commit()
    finally:
        event.remove(resources.engine, "before_cursor_execute", prune_first)
    assert pruned == [1], "the row was deleted under the try"
    assert answer is None, "a try was left: the count started again, not a lock"
    assert _rows(resources) == {ADDRESS: (1, None)}
