"""Pass, warn and fail follow mostly, warn_after and error_after."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from superinsight.rules.thresholds import outcome


@pytest.mark.parametrize(
    ("failures", "total", "kwargs", "expected"),
    [
        (5, 100, {"mostly": 0.95}, "pass"),
        (6, 100, {"mostly": 0.95}, "fail"),
        (10, 100, {"warn_after": 10}, "pass"),
        (11, 100, {"warn_after": 10}, "warn"),
        (11, 100, {"warn_after": 10, "error_after": 20}, "warn"),
        (21, 100, {"warn_after": 10, "error_after": 20}, "fail"),
        (3, 100, {"mostly": 0.99, "warn_after": 1}, "fail"),
        (0, 0, {"mostly": 1.0}, "pass"),
    ],
)
def test_outcomes(failures: int, total: int, kwargs: dict[str, float], expected: str) -> None:
    assert outcome(failures, total, **kwargs) == expected  # type: ignore[arg-type]


@given(st.integers(0, 1000), st.integers(0, 1000), st.integers(0, 1000))
def test_error_level_always_wins_over_warn(failures: int, warn: int, error: int) -> None:
    result = outcome(failures, 1000, warn_after=warn, error_after=error)
    if failures > error:
        assert result == "fail"
    elif failures > warn:
        assert result == "warn"
    else:
        assert result == "pass"


@given(st.integers(0, 500), st.floats(0, 1))
def test_more_failures_never_improve_the_outcome(failures: int, mostly: float) -> None:
    order = {"pass": 0, "warn": 1, "fail": 2}
    assert (
        order[outcome(failures, 500, mostly=mostly)]
        <= order[outcome(min(failures + 1, 500), 500, mostly=mostly)]
    )


@given(st.integers(0, 1000))
def test_a_rule_without_thresholds_has_no_verdict_however_much_it_matches(failures: int) -> None:
    # Matching documents is what such a rule is for: no warning (issue 17), no pass either.
    assert outcome(failures, 1000) is None


def test_impossible_counts_are_refused() -> None:
    with pytest.raises(ValueError):
        outcome(5, 4)
