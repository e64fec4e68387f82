"""No valid rule crashes the evaluator or runs away with time and memory: it answers or says why not."""

from __future__ import annotations

import math
import time
from typing import Any

import pytest

from superinsight.rules import RuleError, evaluate
from superinsight.rules.extensions import WORKBENCH


def _nested(depth: int) -> dict[str, Any]:
    rule: Any = 1
    for _ in range(depth):
        rule = {"!!": [rule]}
    return rule


def test_deep_nesting_is_refused_with_a_reason() -> None:
    with pytest.raises(RuleError, match="nested at most"):
        evaluate(_nested(5_000))


def test_deeply_nested_documents_are_refused_not_crashed() -> None:
    data: Any = "x"
    for _ in range(20_000):
        data = [data]
    with pytest.raises(RuleError, match="nested too deeply"):
        evaluate({"cat": [{"var": ""}]}, data)


def test_doubling_text_with_reduce_stops_at_the_size_budget() -> None:
    doubling = {"reduce": [{"var": "items"}, {"cat": [{"var": "accumulator"}, {"var": "accumulator"}]}, "ab"]}
    started = time.perf_counter()
    with pytest.raises(RuleError, match="characters"):
        evaluate(doubling, {"items": list(range(64))})
    assert time.perf_counter() - started < 2


def test_doubling_lists_with_merge_stops_at_the_size_budget() -> None:
    doubling = {
        "reduce": [{"var": "items"}, {"merge": [{"var": "accumulator"}, {"var": "accumulator"}]}, [1]]
    }
    with pytest.raises(RuleError, match="items"):
        evaluate(doubling, {"items": list(range(64))})


def test_too_many_steps_is_refused() -> None:
    rule = {"map": [{"var": "xs"}, {"map": [{"var": ""}, {"+": [1, 1]}]}]}
    inner = list(range(1_000))
    with pytest.raises(RuleError, match="steps"):
        evaluate(rule, {"xs": [inner] * 1_000})


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"substr": ["abcdef", "x"]}, "abcdef"),
        ({"substr": ["abcdef", 1e400]}, ""),
        ({"substr": ["abcdef", -1e400]}, "abcdef"),
        ({"substr": ["abcdef", 2, 1e400]}, "cdef"),
        ({"substr": ["abcdef", 2, -1e400]}, ""),
        ({"substr": ["abcdef", 1, "2"]}, "bc"),
        ({"substr": ["abcdef", 1, -2]}, "bcd"),
        ({"substr": ["abcdef", 1.7, "x"]}, ""),
    ],
)
def test_substr_reads_any_argument_as_javascript_does(rule: Any, expected: str) -> None:
    assert evaluate(rule) == expected


def test_numbers_beyond_a_double_read_as_javascript_reads_them() -> None:
    huge = 10**400
    assert evaluate({">": [{"var": "n"}, 1]}, {"n": huge}) is True
    assert evaluate({"==": [{"var": "n"}, {"var": "m"}]}, {"n": huge, "m": 10**401}) is True
    assert evaluate({"===": [{"var": "n"}, {"*": [1e308, 10]}]}, {"n": huge}) is True
    assert evaluate({"cat": [{"var": "n"}]}, {"n": huge}) == "Infinity"
    assert evaluate({"cat": [{"var": "n"}]}, {"n": 2**53 + 1}) == "9007199254740992"
    assert evaluate({"+": [{"var": "n"}, 1]}, {"n": -huge}) == -math.inf


def test_extensions_share_the_budget() -> None:
    with pytest.raises(RuleError):
        WORKBENCH.apply(_nested(1_000))
