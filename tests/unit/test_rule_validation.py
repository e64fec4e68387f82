"""Bad rules are refused with a message that points at the offending part."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from superinsight.rules.extensions import WORKBENCH
from superinsight.rules.operations import OPERATIONS
from superinsight.rules.validation import (
    ARITY,
    MAX_DEPTH,
    FieldCatalog,
    RuleValidationError,
    validate_logic,
    validate_rule,
)

CATALOG = FieldCatalog(metadata_keys=frozenset({"amount", "region", "end_date"}))


def problems(rule: Any, catalog: FieldCatalog = CATALOG) -> list[str]:
    with pytest.raises(RuleValidationError) as raised:
        validate_rule(rule, catalog)
    return [str(problem) for problem in raised.value.problems]


@pytest.mark.parametrize(
    "rule",
    [
        {">": [{"var": "metadata.amount"}, 100000]},
        {"and": [{"==": [{"var": "metadata.region"}, "EMEA"]}, {"!": {"var": "metadata.end_date"}}]},
        {"in": ["vip", {"var": "tags"}]},
        {"contains": [{"var": "content"}, "refund"]},
        {"regex": [{"var": "title"}, "^INV-[0-9]+"]},
        {"date_after": [{"var": "metadata.end_date"}, "2026-01-01"]},
        {"some": [{"var": "tags"}, {"==": [{"var": ""}, "vip"]}]},
        {"<": [1, {"var": "metadata.amount"}, 10]},
    ],
)
def test_sound_rules_pass(rule: Any) -> None:
    validate_rule(rule, CATALOG)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"eq": [1, 1]}, "eq: unknown operator 'eq'"),
        ({"contians": [{"var": "title"}, "x"]}, "did you mean 'contains'?"),
        ({"==": [1]}, "==: takes 2 argument(s), got 1"),
        ({"and": [{"!": [1, 2]}]}, "and > 1 > !: takes 1 argument(s), got 2"),
        (
            {"==": [{"var": "metadata.amout"}, 1]},
            "unknown field 'metadata.amout' — did you mean 'metadata.amount'?",
        ),
        ({"==": [{"var": "titel"}, "x"]}, "unknown field 'titel' — did you mean 'title'?"),
        ({"==": [{"var": "metadata.a b"}, 1]}, "may only use letters, digits and _"),
        ({">": [{"var": "title"}, 5]}, "a text field is compared with a number"),
        ({"==": [{"var": "tags"}, "vip"]}, "tags is a list"),
        ({"regex": [{"var": "title"}, "(a"]}, "a ( is never closed"),
        ({"regex": [{"var": "title"}, "(a+)+$"]}, "regex"),
        ({"regex": [{"var": "title"}, "\\d+"]}, "\\d is not supported"),
        ({"date_before": [{"var": "metadata.end_date"}, "next week"]}, "not a date written as YYYY-MM-DD"),
        ({"contains": [{"var": "metadata"}, "x"]}, "contains works on text"),
        ({"==": [{"var": "title"}, "x"], "!": True}, "exactly one operator"),
        ({"==": [{"var": 3}, 1]}, "a field name must be text"),
        # reduce's initial value and a var's default are read from the document: checked like any field
        ({"reduce": [[], {"var": "accumulator"}, {"var": {"cat": ["con", "tent"]}}]}, "must be text"),
        ({"reduce": [[], {"var": "accumulator"}, {"var": "titel"}]}, "unknown field 'titel'"),
        ({"==": [{"var": ["metadata.amount", {"var": {"cat": ["ti", "tle"]}}]}, 1]}, "must be text"),
        ({"==": [{"var": ["metadata.amount", {"var": "metadata.amout"}]}, 1]}, "unknown field"),
    ],
)
def test_bad_rules_point_at_the_problem(rule: Any, expected: str) -> None:
    assert any(expected in problem for problem in problems(rule)), problems(rule)


def test_every_problem_is_reported_at_once() -> None:
    found = problems({"and": [{"eq": [1, 1]}, {"==": [{"var": "nope"}, 1]}]})
    assert len(found) == 2


@pytest.mark.parametrize("rule", [True, "x", 5, [{"==": [1, 1]}], None])
def test_a_rule_must_be_one_condition(rule: Any) -> None:
    assert "a rule is one condition object" in problems(rule)[0]


def test_depth_is_limited() -> None:
    rule: Any = {"var": "title"}
    for _ in range(MAX_DEPTH + 1):
        rule = {"!": [rule]}
    assert any("nested at most" in problem for problem in problems(rule))


def test_size_is_limited() -> None:
    big = {"in": [{"var": "title"}, ["x" * 100] * 300]}
    assert "at most 20,000 characters" in problems(big)[0]


def test_part_count_is_limited() -> None:
    many = {"or": [{"==": [{"var": "title"}, str(i)]} for i in range(120)]}
    assert any("at most 300 parts" in problem for problem in problems(many))


def test_any_metadata_key_is_accepted_when_none_are_known() -> None:
    validate_rule({"==": [{"var": "metadata.anything"}, 1]}, FieldCatalog())


def test_every_operator_has_an_arity() -> None:
    assert WORKBENCH.operators <= set(ARITY) | {"var", "missing", "missing_some"}
    assert set(OPERATIONS) <= set(ARITY)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=2),
    max_leaves=15,
)


@given(json_values)
def test_hostile_json_is_refused_or_accepted_but_never_crashes(rule: Any) -> None:
    try:
        validate_rule(rule, CATALOG)
    except RuleValidationError as exc:
        assert exc.problems and all(str(problem) for problem in exc.problems)


@pytest.mark.parametrize(
    "logic", [{"var": "price"}, {"*": [{"var": "price"}, {"var": "any field"}]}, "text", 5]
)
def test_logic_over_any_fields_is_valid(logic: Any) -> None:
    validate_logic(logic)


@pytest.mark.parametrize(
    ("logic", "reason"),
    [
        ({"regex": [{"var": "name"}, "(a+)+"]}, "forever"),
        ({"frobnicate": [1]}, "unknown operator"),
        ({"substr": ["a"]}, "takes 2 to 3"),
        ({"cat": ["x" * 30_000]}, "at most 20,000 characters"),
    ],
)
def test_logic_over_any_fields_is_bounded_like_rules(logic: Any, reason: str) -> None:
    with pytest.raises(RuleValidationError, match=reason):
        validate_logic(logic)


def test_deep_logic_is_refused_not_crashed() -> None:
    logic: Any = 1
    for _ in range(5_000):
        logic = {"!": [logic]}
    with pytest.raises(RuleValidationError, match="nested at most"):
        validate_logic(logic)
