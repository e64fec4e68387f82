"""Reading annotation results, annotator agreement, a rule's precision and recall: by hand and by property."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from superinsight.labeling.agreement import agreement, rule_score
from superinsight.labeling.labels import entity_labels, entity_spans, label_names


def test_label_names_read_every_kind_of_result_once_in_order() -> None:
    result = [
        {"value": {"choices": ["refund", "urgent"]}},
        {"value": {"labels": ["PERSON"], "text": "Ada", "start": 0, "end": 3}},
        {"value": {"taxonomy": [["Billing", "Refund"]]}},
        {"value": {"choices": ["refund"]}},
        {"value": {"rating": 4}},
        "not a region",
        {"value": "not a value"},
    ]
    assert label_names(result) == ["refund", "urgent", "PERSON", "Billing/Refund"]
    assert entity_labels(result) == ["PERSON: Ada"]
    assert entity_spans(result) == [("PERSON", "Ada")]


@given(
    st.recursive(
        st.none() | st.text(max_size=5) | st.integers(),
        lambda c: st.lists(c) | st.dictionaries(st.text(max_size=5), c),
        max_leaves=20,
    )
)
def test_any_json_reads_as_a_list_of_text_without_raising(result: object) -> None:
    for read in (label_names, entity_labels):
        names = read(result)
        assert all(isinstance(name, str) for name in names) and len(names) == len(set(names))
    spans = entity_spans(result)
    assert all(isinstance(label, str) and isinstance(text, str) for label, text in spans)


def test_agreement_by_hand() -> None:
    # Krippendorff's worked example shape: two coders, nominal; perfect agreement is 1.
    same = {"a": {1: "x", 2: "y", 3: "x"}, "b": {1: "x", 2: "y", 3: "x"}}
    assert agreement(same).alpha == 1.0
    # Two coders, four items, one disagreement. Coincidences: o_xx 2, o_xy = o_yx 1, o_yy 4;
    # n_x 3, n_y 5, n 8: alpha = 1 - (n - 1) * (o_xy + o_yx) / (n_x n_y + n_y n_x) = 1 - 7 * 2 / 30.
    split = {"a": {1: "x", 2: "x", 3: "y", 4: "y"}, "b": {1: "x", 2: "y", 3: "y", 4: "y"}}
    result = agreement(split)
    assert result.alpha == pytest.approx(1 - 7 * 2 / 30, abs=1e-4)
    assert (result.annotators, result.items) == (2, 4)


def test_agreement_needs_two_annotators_on_one_task() -> None:
    assert agreement({"a": {1: "x"}}).alpha is None
    assert agreement({"a": {1: "x"}, "b": {2: "x"}}) == agreement({"a": {1: "x"}, "b": {2: "x"}})
    assert agreement({"a": {1: "x"}, "b": {2: "x"}}).items == 0


@given(
    st.dictionaries(
        st.sampled_from("abc"), st.dictionaries(st.integers(0, 5), st.sampled_from("xyz")), max_size=3
    )
)
def test_alpha_is_at_most_one_whatever_the_answers(answers: dict[str, dict[int, str]]) -> None:
    alpha = agreement(answers).alpha
    assert alpha is None or alpha <= 1.0


def test_rule_score_by_hand() -> None:
    score = rule_score([True, True, False, False, True], [True, False, True, False, True], [1, 2, 3, 4, 5])
    assert (score.true_positives, score.false_positives, score.false_negatives, score.true_negatives) == (
        2,
        1,
        1,
        1,
    )
    assert score.precision == pytest.approx(2 / 3) and score.recall == pytest.approx(2 / 3)
    assert score.missed == (3,) and score.wrongly_matched == (2,)
    empty = rule_score([], [], [])
    assert empty.precision is None and empty.recall is None
    with pytest.raises(ValueError, match="one verdict"):
        rule_score([True], [], [1])


@given(st.lists(st.tuples(st.booleans(), st.booleans()), max_size=30))
def test_the_four_counts_cover_every_document(pairs: list[tuple[bool, bool]]) -> None:
    score = rule_score([m for m, _ in pairs], [h for _, h in pairs], list(range(len(pairs))))
    total = score.true_positives + score.false_positives + score.false_negatives + score.true_negatives
    assert total == len(pairs)
    assert len(score.missed) == score.false_negatives and len(score.wrongly_matched) == score.false_positives
