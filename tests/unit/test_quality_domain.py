"""Expectations are read strictly, and dimension scores combine as a weighted mean of their shortfalls."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from superinsight.quality import profile as quality_profile
from superinsight.quality.dimensions import DIMENSIONS
from superinsight.quality.expectations import CrossCheck, ExpectationError, parse
from superinsight.quality.scores import Tally, dimension_scores, overall, percent
from superinsight.quality.thresholds import Levels, alerts, state


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


ALL_ERRORS = dict.fromkeys(DIMENSIONS, "error")


def test_overall_is_a_weighted_mean_of_what_was_scored_when_every_failure_is_an_error() -> None:
    scores = {"completeness": 80.0, "validity": 60.0, "timeliness": None}
    assert overall(scores, severities=ALL_ERRORS) == 70.0
    assert overall({"completeness": 80.0, "validity": 60.0}, {"completeness": 3}, ALL_ERRORS) == 75.0
    assert overall({"completeness": None}) is None


def test_overall_weighs_each_shortfall_by_its_severity() -> None:
    # completeness and validity are warnings: each misses 20 and 40 points, half of which count,
    # each dimension holding half the weight -> 100 - (0.5 * 0.5 * 20 + 0.5 * 0.5 * 40) = 85
    assert overall({"completeness": 80.0, "validity": 60.0, "timeliness": None}) == 85.0
    # completeness weighs 3 of 4: 100 - (0.75 * 0.5 * 20 + 0.25 * 0.5 * 40) = 87.5
    assert overall({"completeness": 80.0, "validity": 60.0}, {"completeness": 3}) == 87.5


@given(
    st.dictionaries(st.sampled_from(["a", "b", "c"]), st.floats(0, 100) | st.none()),
    st.dictionaries(st.sampled_from(["a", "b", "c"]), st.floats(0.1, 10)),
)
def test_overall_stays_between_the_lowest_and_highest_score(
    scores: dict[str, float | None], weights: dict[str, float]
) -> None:
    # Names without a severity count in full, so this is the plain weighted mean.
    result = overall(scores, weights)
    present = [score for score in scores.values() if score is not None]
    if not present:
        assert result is None
    else:
        assert result is not None and min(present) - 0.01 <= result <= max(present) + 0.01


def test_percent_of_nothing_is_unknown() -> None:
    assert percent(0, 0) is None
    assert percent(1, 3) == 33.33


class TestConsistencyAndThresholds:
    def test_cross_checks_and_levels_parse(self) -> None:
        parsed = parse(
            {
                "consistency": [
                    {"when": "signed", "require": "signer"},
                    {"field": "start", "not_after": "end"},
                ],
                "thresholds": {"overall": {"warn": 90, "fail": 70}, "validity": {"fail": 50}},
            }
        )
        assert parsed.consistency == (
            CrossCheck("requires", "signed", "signer"),
            CrossCheck("not_after", "start", "end"),
        )
        assert parsed.consistency[1].name == "start ≤ end"
        assert parsed.thresholds == {"overall": Levels(90, 70), "validity": Levels(None, 50)}

    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            ({"consistency": {"a": "b"}}, "consistency: a list"),
            ({"consistency": [{"when": "a"}]}, "consistency\\[1\\]"),
            ({"consistency": [{"when": "a b", "require": "c"}]}, "not a metadata field name"),
            ({"thresholds": {"speed": {"warn": 1}}}, "not overall, a dimension"),
            ({"thresholds": {"overall": {"warn": 101}}}, "from 0 to 100"),
            ({"thresholds": {"overall": {"warn": 50, "fail": 60}}}, "fail must not be above warn"),
            ({"thresholds": {"overall": {"low": 5}}}, "thresholds.overall"),
        ],
    )
    def test_bad_ones_are_refused_saying_where(self, raw: dict[str, object], message: str) -> None:
        with pytest.raises(ExpectationError, match=message):
            parse(raw)

    @given(
        st.one_of(st.none(), st.floats(0, 100)),
        st.floats(0, 100),
        st.floats(0, 100),
        st.floats(0, 100),
    )
    def test_an_alert_is_raised_exactly_when_the_state_gets_worse(
        self, before: float | None, now: float, warn: float, fail: float
    ) -> None:
        levels = Levels(max(warn, fail), min(warn, fail))
        raised = alerts({"overall": before}, {"overall": now}, {"overall": levels})
        order = {"ok": 0, "warn": 1, "fail": 2}
        expected = order[state(now, levels)] > order[state(before, levels)]
        assert bool(raised) == expected
        if raised:
            assert raised[0].state == state(now, levels)


class TestSuggestions:
    def test_profile_then_suggest(self) -> None:
        rows = [
            {"region": ["EMEA", "NA"][i % 2], "n": i, "free": f"text {i}", "flag": True} for i in range(25)
        ]
        rows.append({"region": "", "n": 2.5, "flag": False})
        fields = {profile.key: profile for profile in quality_profile.profile(rows)}
        assert fields["region"].present == 25 and fields["region"].values == ("EMEA", "NA")
        assert fields["free"].values is None, "too many distinct values to list"
        assert (fields["n"].low, fields["n"].high) == (0, 24)
        suggested = quality_profile.suggest(len(rows), list(fields.values()))
        assert suggested["required"] == ["flag", "n"]
        assert suggested["types"] == {"flag": "boolean", "free": "string", "n": "number", "region": "string"}
        assert suggested["ranges"] == {"n": [0, 24]}
        assert suggested["allowed"] == {"region": ["EMEA", "NA"]}
        assert parse(suggested), "a suggestion is always valid expectations"

    def test_nothing_to_suggest_for_no_documents(self) -> None:
        assert quality_profile.suggest(0, []) == {"required": [], "types": {}, "ranges": {}, "allowed": {}}


class TestDimensionScores:
    def test_each_dimension_is_the_share_of_documents_that_pass_it(self) -> None:
        expectations = parse(
            {
                "required": ["a", "b"],
                "types": {"n": "number"},
                "freshness_days": 7,
                "consistency": [{"when": "a", "require": "b"}],
            }
        )
        tally = Tally(total=10, distinct=9, valid=5, consistent=8, fresh=2, present=(10, 6))
        assert dimension_scores(tally, expectations) == {
            "completeness": 80.0,
            "validity": 50.0,
            "uniqueness": 90.0,
            "consistency": 80.0,
            "timeliness": 20.0,
        }

    def test_a_dimension_with_nothing_to_measure_has_no_score(self) -> None:
        tally = Tally(total=4, distinct=4, valid=4, consistent=4, fresh=4)
        assert dimension_scores(tally, parse({})) == {
            "completeness": None,
            "validity": None,
            "uniqueness": 100.0,
            "consistency": None,
            "timeliness": None,
        }

    @given(
        st.integers(0, 50).flatmap(
            lambda total: st.tuples(
                *[st.integers(0, total)] * 4, st.lists(st.integers(0, total), max_size=3), st.just(total)
            )
        )
    )
    def test_scores_are_percentages_and_none_only_without_documents_or_expectations(
        self, counts: tuple[Any, ...]
    ) -> None:
        distinct, valid, consistent, fresh, present, total = counts
        expectations = parse({"required": [f"k{i}" for i in range(len(present))], "types": {"n": "number"}})
        scores = dimension_scores(
            Tally(total, distinct, valid, consistent, fresh, tuple(present)), expectations
        )
        for name in ("validity", "uniqueness") + (("completeness",) if present else ()):
            assert (scores[name] is None) == (total == 0)
            assert scores[name] is None or 0.0 <= scores[name] <= 100.0
        assert scores["timeliness"] is None and scores["consistency"] is None
