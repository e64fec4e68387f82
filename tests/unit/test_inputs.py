"""The shared input checks: what no store can keep is refused with what is wrong, whatever its spelling."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from superinsight.services import inputs
from superinsight.services.errors import InvalidInputError

surrogates = st.integers(0xD800, 0xDFFF).map(chr)
clean = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20
)


@given(before=clean, after=clean, bad=st.one_of(st.just("\x00"), surrogates))
def test_text_with_a_nul_or_a_lone_surrogate_anywhere_is_refused(before: str, after: str, bad: str) -> None:
    with pytest.raises(InvalidInputError, match=r"NUL|surrogate"):
        inputs.text(before + bad + after, "name")


@given(value=clean)
def test_clean_text_within_its_length_passes(value: str) -> None:
    assert inputs.text(value, "name", 20) == value


@given(extra=st.integers(1, 10_000))
def test_over_length_text_is_refused_with_its_limit(extra: int) -> None:
    with pytest.raises(InvalidInputError, match="longer than 10 characters"):
        inputs.text("x" * (10 + extra), "name", 10)


@pytest.mark.parametrize("value", [None, 1, b"bytes", ["a"]])
def test_what_is_not_text_is_refused(value: Any) -> None:
    with pytest.raises(InvalidInputError, match="must be text"):
        inputs.text(value, "name")


@given(
    value=st.one_of(
        st.text(max_size=30),
        st.tuples(clean, st.one_of(st.just("\x00"), surrogates), clean).map("".join),
        st.none(),
        st.integers(),
        st.binary(max_size=5),
    ),
    max_length=st.integers(0, 30),
)
def test_plausible_is_exactly_what_text_would_take(value: Any, max_length: int) -> None:
    try:
        inputs.text(value, "name", max_length)
    except InvalidInputError:
        taken = False
    else:
        taken = True
    assert inputs.plausible(value, max_length) is taken


def _nested(depth: int, leaf: Any = 1, as_list: bool = False) -> Any:
    for _ in range(depth):
        leaf = [leaf] if as_list else {"k": leaf}
    return leaf


@pytest.mark.parametrize("as_list", [False, True])
@pytest.mark.parametrize("depth", [inputs.MAX_DEPTH + 1, 1000, 100_000])
def test_deep_nesting_is_refused_at_any_depth_without_a_recursion_error(depth: int, as_list: bool) -> None:
    with pytest.raises(InvalidInputError, match=f"deeper than {inputs.MAX_DEPTH} levels"):
        inputs.structure(_nested(depth, as_list=as_list), "metadata")


@given(
    bad=st.one_of(st.just("\x00"), surrogates),
    where=st.sampled_from(["key", "value", "list"]),
    depth=st.integers(0, inputs.MAX_DEPTH - 2),
)
def test_structures_are_refused_for_a_bad_character_at_any_place(bad: str, where: str, depth: int) -> None:
    leaf: Any = {bad: 1} if where == "key" else {"k": bad} if where == "value" else ["ok", bad]
    with pytest.raises(InvalidInputError, match=r"NUL|surrogate"):
        inputs.structure(_nested(depth, leaf), "metadata")


@given(
    bad=st.sampled_from([float("nan"), float("inf"), float("-inf"), -float("nan")]),
    where=st.sampled_from(["key", "value", "list", "top"]),
    depth=st.integers(0, inputs.MAX_DEPTH - 2),
)
def test_structures_are_refused_for_a_number_json_cannot_hold(bad: float, where: str, depth: int) -> None:
    leaf: Any = {bad: 1} if where == "key" else {"k": bad} if where == "value" else ["ok", 1e308, bad]
    with pytest.raises(InvalidInputError, match="metadata contains a number that is NaN or infinite"):
        inputs.structure(bad if where == "top" else _nested(depth, leaf), "metadata")


def test_a_structure_within_the_limits_passes() -> None:
    value = _nested(inputs.MAX_DEPTH - 2, {"a": [1, "two", None, 3.5]})
    assert inputs.structure(value, "metadata") is value


@given(count=st.integers(inputs.MAX_FILTER_VALUES + 1, 50_000))
def test_too_many_filter_values_are_refused_with_the_limit(count: int) -> None:
    with pytest.raises(InvalidInputError, match=f"at most {inputs.MAX_FILTER_VALUES} values"):
        inputs.values(range(count), "tags")


@given(value=st.text())
def test_printable_text_can_always_be_stored(value: str) -> None:
    shown = inputs.printable(value)
    shown.encode("utf-8")
    assert "\x00" not in shown and len(value[:255]) <= len(shown)
