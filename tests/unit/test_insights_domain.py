"""What a rule run teaches, decided from values alone."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from superinsight import insights
from superinsight.rules.fields import fields_read


def _run(matched: int, total: int, outcome: str | None = "pass") -> dict[str, Any]:
    return {"matched": matched, "total": total, "rate": matched / total if total else 0.0, "outcome": outcome}


class TestFromRun:
    def test_a_rule_that_matches_nothing_is_an_insight(self) -> None:
        findings, news = insights.from_run("R", _run(0, 10), None)
        assert [f.kind for f in findings] == ["rule_never_matches"] and news == []

    def test_a_first_run_that_fails_tells_the_owner(self) -> None:
        findings, news = insights.from_run("R", _run(3, 10, "fail"), None)
        assert findings == [] and [(n.kind, n.title) for n in news] == [
            ("rule_change", "“R” fails on its first run")
        ]

    @pytest.mark.parametrize(
        ("before", "after", "shifted"), [(10, 16, True), (16, 10, True), (10, 14, False)]
    )
    def test_the_match_rate_shifting_five_points_is_an_insight(
        self, before: int, after: int, shifted: bool
    ) -> None:
        findings, _ = insights.from_run("R", _run(after, 100), _run(before, 100))
        assert [f.kind for f in findings] == (["match_rate_shift"] if shifted else [])

    def test_falling_from_pass_is_news_and_staying_failed_is_not(self) -> None:
        assert [n.kind for n in insights.from_run("R", _run(9, 10, "warn"), _run(9, 10, "pass"))[1]] == [
            "quality_drop"
        ]
        assert insights.from_run("R", _run(9, 10, "warn"), _run(9, 10, "warn"))[1] == []

    def test_a_rule_without_thresholds_is_never_news_for_matching(self) -> None:
        assert insights.from_run("R", _run(9, 10, None), None)[1] == []
        assert insights.from_run("R", _run(9, 10, None), _run(1, 10, None))[1] == []
        # thresholds added later: failing them is news
        assert [n.kind for n in insights.from_run("R", _run(9, 10, "fail"), _run(9, 10, None))[1]] == [
            "quality_drop"
        ]


def test_overlaps_name_rules_sharing_four_fifths_of_the_matches() -> None:
    found = insights.overlaps("R", 10, [(1, "A", 8), (2, "B", 7), (3, "C", 10)])
    assert [(f.title, f.impact) for f in found] == [("“R” overlaps “A”", 0.8), ("“R” overlaps “C”", 1.0)]
    assert insights.overlaps("R", 0, [(1, "A", 0)]) == []


def test_a_value_common_among_matches_and_rare_elsewhere_is_a_pattern() -> None:
    matched = [{"region": "EU"}] * 8 + [{"region": "US"}] * 2
    overall = matched + [{"region": "US"}] * 30
    (pattern,) = insights.patterns(matched, overall)
    assert (pattern.key, pattern.value, pattern.support) == ("metadata.region", "EU", 0.8)
    assert pattern.lift == pytest.approx(0.8 / (8 / 40))
    assert pattern.description == "80% of matches have metadata.region = EU (4.0 times the usual)"


def test_a_value_every_document_has_is_never_a_pattern() -> None:
    everyone = [{"kind": "ticket", "n": n} for n in range(50)]
    assert insights.patterns(everyone[:10], everyone) == []


def test_a_value_of_a_field_the_rule_tests_is_the_rule_restated_not_a_pattern() -> None:
    matched = [{"region": "EU", "channel": "web"}] * 10
    overall = matched + [{"region": "US", "channel": "phone"}] * 30
    assert {p.key for p in insights.patterns(matched, overall)} == {"metadata.region", "metadata.channel"}
    (kept,) = insights.patterns(
        matched, overall, tested=fields_read({"==": [{"var": "metadata.region"}, "EU"]})
    )
    assert kept.key == "metadata.channel"


@pytest.mark.parametrize(
    ("logic", "fields"),
    [
        ({"==": [{"var": "metadata.region"}, "EU"]}, {"metadata.region"}),
        ({"and": [{"var": "title"}, {"!": {"var": ["content", ""]}}]}, {"title", "content"}),
        ({"some": [{"var": "tags"}, {"==": [{"var": ""}, "vip"]}]}, {"tags"}),
        ({"map": [{"var": "metadata.items"}, {"var": "price"}]}, {"metadata.items"}),
        ({"in": ["x", {"var": {"cat": ["metadata.", "k"]}}]}, set()),
        # reduce's initial value and a var's default are read from the document, not an item
        ({"reduce": [[], {"var": "accumulator"}, {"var": "content"}]}, {"content"}),
        ({"reduce": [{"var": "tags"}, {"cat": [{"var": "current"}]}, ""]}, {"tags"}),
        ({"var": ["metadata.none", {"var": "metadata.ssn"}]}, {"metadata.none", "metadata.ssn"}),
        ({"missing": ["metadata.ssn", "title"]}, {"metadata.ssn", "title"}),
        ({"missing_some": [1, ["metadata.ssn", "content"]]}, {"metadata.ssn", "content"}),
        (True, set()),
        ({"var": ""}, set()),
    ],
)
def test_the_fields_a_rule_reads_are_its_vars_outside_item_scopes(logic: Any, fields: set[str]) -> None:
    assert fields_read(logic) == fields


@given(st.lists(st.sampled_from(["title", "content", "metadata.a", "metadata.b", "tags"]), max_size=6))
def test_every_field_compared_at_any_depth_is_read(names: list[str]) -> None:
    logic: Any = {"and": [{"==": [{"var": name}, 1]} for name in names]}
    for _ in range(len(names)):
        logic = {"or": [logic, {"!": logic}]}
    assert fields_read(logic) == set(names)


metas = st.lists(
    st.dictionaries(
        st.sampled_from("abc"), st.one_of(st.sampled_from(["x", "y"]), st.integers(0, 3)), max_size=3
    ),
    max_size=30,
)


def test_every_pattern_clears_both_thresholds_and_counts_its_support_exactly() -> None:
    compared = []

    @settings(max_examples=300)
    @given(metas, metas)
    def check(matched: list[dict[str, Any]], others: list[dict[str, Any]]) -> None:
        for pattern in insights.patterns(matched, matched + others):
            assert pattern.support >= insights.MIN_SUPPORT and pattern.lift >= insights.MIN_LIFT
            field = pattern.key.removeprefix("metadata.")
            holders = sum(field in meta and meta[field] == pattern.value for meta in matched)
            assert pattern.support == holders / len(matched)
            compared.append(pattern)

    check()
    assert len(compared) >= 20, f"only {len(compared)} patterns were found to check"
