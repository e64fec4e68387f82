"""Expectations are read strictly, and dimension scores combine as a weighted mean."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from superinsight.quality import ExpectationError, overall, parse, percent


def test_expectations_parse() -> None:
    parsed = parse(
        {
            "required": ["customer"],
            "types": {"amount": "number"},
            "ranges": {"amount": [0, None]},
            "allowed": {"region": ["EMEA", "NA"]},
            "freshness_days": 30,
        }
    )
    assert parsed.required == ("customer",) and parsed.ranges == {"amount": (0.0, None)}
    assert parsed.validity_checks == 3


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"colour": []}, "unknown expectation"),
        ({"required": "customer"}, "a list of field names"),
        ({"required": ["a b"]}, "not a metadata field name"),
        ({"types": {"x": "date"}}, "one of number, string, boolean"),
        ({"ranges": {"x": [5, 1]}}, "above the highest"),
        ({"ranges": {"x": [1]}}, "lowest, highest"),
        ({"ranges": {"x": ["a", 1]}}, "bounds are numbers"),
        ({"allowed": {"x": []}}, "non-empty list of texts"),
        ({"freshness_days": 0}, "1 or more"),
        ({"freshness_days": True}, "whole number"),
    ],
)
def test_malformed_expectations_say_where(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ExpectationError, match=message):
        parse(raw)


def test_overall_is_a_weighted_mean_of_what_was_scored() -> None:
    assert overall({"completeness": 80.0, "validity": 60.0, "timeliness": None}) == 70.0
    assert overall({"completeness": 80.0, "validity": 60.0}, {"completeness": 3}) == 75.0
    assert overall({"completeness": None}) is None


@given(
    st.dictionaries(st.sampled_from(["a", "b", "c"]), st.floats(0, 100) | st.none()),
    st.dictionaries(st.sampled_from(["a", "b", "c"]), st.floats(0.1, 10)),
)
def test_overall_stays_between_the_lowest_and_highest_score(
    scores: dict[str, float | None], weights: dict[str, float]
) -> None:
    result = overall(scores, weights)
    present = [score for score in scores.values() if score is not None]
    if not present:
        assert result is None
    else:
        assert result is not None and min(present) - 0.01 <= result <= max(present) + 0.01


def test_percent_of_nothing_is_unknown() -> None:
    assert percent(0, 0) is None
    assert percent(1, 3) == 33.33
