"""The authoring form's structure compiles to JSON Logic and reads back from it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from superinsight.rules.builder import (
    OPERATORS,
    Builder,
    BuilderError,
    Condition,
    Group,
    from_json_logic,
    to_json_logic,
)
from superinsight.rules.validation import validate_rule


def test_groups_compile_to_nested_and_or() -> None:
    builder = Builder(
        "any",
        (
            Group(
                "all",
                (
                    Condition("metadata.amount", "greater than", "100000"),
                    Condition("metadata.region", "equals", "EMEA"),
                ),
            ),
            Group("all", (Condition("tags", "has tag", "vip"),)),
        ),
    )
    assert to_json_logic(builder) == {
        "or": [
            {
                "and": [
                    {">": [{"var": "metadata.amount"}, 100000]},
                    {"==": [{"var": "metadata.region"}, "EMEA"]},
                ]
            },
            {"in": ["vip", {"var": "tags"}]},
        ]
    }


def test_a_single_condition_is_just_that_condition() -> None:
    rule = to_json_logic(Builder("all", (Group("all", (Condition("metadata.end_date", "is empty"),)),)))
    assert rule == {"!": {"var": "metadata.end_date"}}


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        (Condition("metadata.amount", "greater than", "lots"), "'lots' is not a number"),
        (Condition("", "equals", "x"), "choose a field"),
        (Condition("title", "is one of", " , "), "separated by commas"),
        (Condition("title", "teleports", "x"), "unknown operator"),
    ],
)
def test_bad_form_input_says_which_condition(condition: Condition, message: str) -> None:
    with pytest.raises(BuilderError, match=f"group 1, condition 1: .*{message}|{message}"):
        to_json_logic(Builder("all", (Group("all", (condition,)),)))


def test_sources_picked_for_is_one_of_are_compared_as_the_ids_they_are() -> None:
    """Text "3" never equals the number 3 a document's source_id holds: the rule keeps numbers."""
    builder = Builder("all", (Group("all", (Condition("source_id", "is one of", "3, 14"),)),))
    rule = to_json_logic(builder)
    assert rule == {"in": [{"var": "source_id"}, [3, 14]]}
    assert from_json_logic(rule) == builder
    with pytest.raises(BuilderError, match="pick the sources by name"):
        to_json_logic(Builder("all", (Group("all", (Condition("source_id", "is one of", "Contracts DB"),)),)))


def test_an_empty_form_is_refused() -> None:
    with pytest.raises(BuilderError, match="at least one condition"):
        to_json_logic(Builder())


def test_equals_reads_numbers_as_numbers_and_keeps_text() -> None:
    def value(text: str) -> object:
        rule = to_json_logic(Builder("all", (Group("all", (Condition("metadata.x", "equals", text),)),)))
        return rule["=="][1]

    assert value("42") == 42 and isinstance(value("42"), int)
    assert value("1.5") == 1.5
    assert value("EMEA") == "EMEA"
    assert value(" 42") == " 42"


def test_rules_outside_the_form_shape_open_in_the_json_editor() -> None:
    assert from_json_logic({"==": [{"var": "a"}, {"var": "b"}]}) is None
    assert from_json_logic({"and": [{"or": [{"and": [{"!": {"var": "a"}}]}]}]}) is None


fields = st.sampled_from(["title", "content", "metadata.amount", "metadata.region"])
conditions = st.one_of(
    st.builds(
        Condition,
        st.sampled_from(["metadata.amount", "metadata.region"]),
        st.sampled_from(["greater than", "at least", "less than", "at most"]),
        st.integers(-1000, 1000).map(str),
    ),
    st.builds(
        Condition,
        fields,
        st.sampled_from(["contains", "starts with", "ends with", "matches pattern"]),
        st.text("abcXYZ -", min_size=1, max_size=6),
    ),
    st.builds(
        Condition, fields, st.sampled_from(["equals", "does not equal"]), st.sampled_from(["EMEA", "x y"])
    ),
    st.builds(Condition, fields, st.sampled_from(["is empty", "is not empty"])),
    st.builds(Condition, st.just("tags"), st.just("has tag"), st.sampled_from(["vip", "bug"])),
    st.builds(Condition, fields, st.just("is one of"), st.sampled_from(["a, b", "EMEA"])),
    st.builds(
        Condition,
        st.just("source_id"),
        st.just("is one of"),
        st.lists(st.integers(0, 10**6), min_size=1, max_size=4).map(lambda ids: ", ".join(map(str, ids))),
    ),
)
groups = st.builds(
    Group, st.sampled_from(["all", "any"]), st.lists(conditions, min_size=1, max_size=3).map(tuple)
)
builders = st.builds(
    Builder, st.sampled_from(["all", "any"]), st.lists(groups, min_size=1, max_size=3).map(tuple)
)


def _as_saved(builder: Builder) -> Builder:
    """The form as it reopens: a join between one thing means nothing, so it reads as "all",
    and one-condition groups under one join are that join's single group (the same JSON)."""
    joined = tuple(
        group if len(group.conditions) > 1 else Group("all", group.conditions) for group in builder.groups
    )
    if len(joined) == 1:
        return Builder("all", joined)
    if all(len(group.conditions) == 1 for group in joined):
        return Builder("all", (Group(builder.join, tuple(g.conditions[0] for g in joined)),))
    return Builder(builder.join, joined)


@given(builders)
def test_form_rules_reopen_as_the_groups_they_were_saved_with(builder: Builder) -> None:
    rule = to_json_logic(builder)
    validate_rule(rule)
    reopened = from_json_logic(rule)
    assert reopened == _as_saved(builder)
    assert reopened is not None and to_json_logic(reopened) == rule


def test_one_group_of_several_conditions_reopens_as_one_group() -> None:
    # issue 17: it reopened as one group per condition
    saved = Builder(
        "all",
        (
            Group(
                "any",
                (Condition("title", "contains", "refund"), Condition("title", "contains", "chargeback")),
            ),
        ),
    )
    assert from_json_logic(to_json_logic(saved)) == saved


def test_has_tag_on_any_field_reopens_in_the_form() -> None:
    saved = Builder("all", (Group("all", (Condition("metadata.labels", "has tag", "vip"),)),))
    assert from_json_logic(to_json_logic(saved)) == saved


def test_every_form_operator_is_a_known_json_logic_operator() -> None:
    from superinsight.rules.extensions import WORKBENCH

    assert {json_op for json_op, _ in OPERATORS.values()} <= WORKBENCH.operators
