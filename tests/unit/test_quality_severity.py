"""The overall quality score weighs each dimension's failures by the severity of its checks.

An info check's failures (a duplicate) cost less than a warning's (a missing required field),
and those less than an error's: a source full of duplicates is not scored as if it were broken.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from superinsight.quality.dimensions import DIMENSION_SEVERITY, DIMENSIONS, SEVERITY_WEIGHTS
from superinsight.quality.scores import drivers, overall
from superinsight.vocabulary import SEVERITIES

scores = st.dictionaries(st.sampled_from(DIMENSIONS), st.floats(0, 100) | st.none())
weights = st.dictionaries(st.sampled_from(DIMENSIONS), st.floats(0, 10))
severities = st.fixed_dictionaries({name: st.sampled_from(SEVERITIES) for name in DIMENSIONS})


def test_the_weights_grow_with_the_severity_and_an_error_counts_in_full() -> None:
    assert set(SEVERITY_WEIGHTS) == set(SEVERITIES)
    ordered = [SEVERITY_WEIGHTS[severity] for severity in SEVERITIES]
    assert ordered == sorted(ordered)
    assert SEVERITY_WEIGHTS["info"] < SEVERITY_WEIGHTS["warning"] < SEVERITY_WEIGHTS["error"] == 1.0
    assert set(DIMENSION_SEVERITY) == set(DIMENSIONS)


def test_duplicates_alone_cost_a_tenth_of_what_they_miss() -> None:
    # 97.1% of the documents repeat another: uniqueness is 2.9, and at info a tenth of the
    # 97.1 missing points counts -> 100 - 9.71
    assert overall({"uniqueness": 2.9}) == 90.29
    (driver,) = drivers({"uniqueness": 2.9, "consistency": None})
    assert (driver.dimension, driver.severity, driver.counts, driver.share) == (
        "uniqueness",
        "info",
        0.1,
        1.0,
    )
    assert round(driver.lost, 2) == 9.71


def test_the_same_failures_cost_more_as_a_warning_than_as_info() -> None:
    as_info = overall({"uniqueness": 50.0, "timeliness": 50.0})
    as_warning = overall({"completeness": 50.0, "validity": 50.0})
    assert as_info == 95.0 and as_warning == 75.0


@given(scores, weights, severities)
def test_the_score_stays_between_0_and_100(
    measured: dict[str, float | None], weight: dict[str, float], severity: dict[str, str]
) -> None:
    result = overall(measured, weight, severity)
    if result is not None:
        assert 0.0 <= result <= 100.0


@given(scores, weights, severities, st.sampled_from(DIMENSIONS), st.sampled_from(SEVERITIES))
def test_a_graver_severity_never_raises_the_score(
    measured: dict[str, float | None],
    weight: dict[str, float],
    severity: dict[str, str],
    dimension: str,
    graver: str,
) -> None:
    if SEVERITIES.index(graver) < SEVERITIES.index(severity[dimension]):
        return
    before = overall(measured, weight, severity)
    after = overall(measured, weight, severity | {dimension: graver})
    assert (before is None) == (after is None)
    if before is not None and after is not None:
        assert after <= before + 1e-9


@given(scores, weights)
def test_all_info_is_never_below_all_error(
    measured: dict[str, float | None], weight: dict[str, float]
) -> None:
    as_info = overall(measured, weight, dict.fromkeys(DIMENSIONS, "info"))
    as_error = overall(measured, weight, dict.fromkeys(DIMENSIONS, "error"))
    if as_info is not None and as_error is not None:
        assert as_info >= as_error


@given(scores, weights, severities)
def test_the_drivers_add_up_to_what_the_score_lost(
    measured: dict[str, float | None], weight: dict[str, float], severity: dict[str, str]
) -> None:
    result = overall(measured, weight, severity)
    found = drivers(measured, weight, severity)
    if result is None:
        assert found == []
    else:
        assert abs(100 - sum(driver.lost for driver in found) - result) <= 0.01
        assert all(0 <= driver.lost <= 100 * driver.share for driver in found)
