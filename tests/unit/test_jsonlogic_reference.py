"""The evaluator answers as json-logic-js 2.0.5, the reference implementation, run by node.

Hypothesis draws rules over the whole standard operator set (with the arities
validation allows) and documents around the edges where JavaScript's conversions
bite; one node process answers them all. The only differences allowed are the
deliberate ones listed in `superinsight.rules.jsonlogic`; examples that touch them
are counted apart, and the test fails when too few examples really compared.

scripts/test installs json-logic-js into its own folder; set
SUPERINSIGHT_JSONLOGIC_JS to use another. Without node or the package the test is
skipped locally and fails under CI.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from superinsight.rules import RuleError, evaluate, jsvalues
from superinsight.rules.jsvalues import js_number_string

HARNESS = Path(__file__).resolve().parents[1] / "jsref" / "evaluate.js"
MODULE_DIR = Path(
    os.environ.get("SUPERINSIGHT_JSONLOGIC_JS")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "superinsight" / "jsonlogic-js"
)
EXAMPLES = int(os.environ.get("SUPERINSIGHT_JSONLOGIC_EXAMPLES", "2500"))
# Characters beyond U+FFFF, which JavaScript counts as two.
ASTRAL = re.compile(r"[\U00010000-\U0010ffff]")


class Reference:
    """One node process running json-logic-js, answering a line per rule."""

    def __init__(self) -> None:
        node = shutil.which("node")
        package = MODULE_DIR / "node_modules" / "json-logic-js" / "logic.js"
        if node is None or not package.exists():
            reason = f"node and json-logic-js in {MODULE_DIR} are needed (scripts/test installs them)"
            if os.environ.get("CI"):
                pytest.fail(reason)
            pytest.skip(reason)
        self.process = subprocess.Popen(
            [node, str(HARNESS), str(MODULE_DIR)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )

    def apply(self, rule: Any, data: Any) -> Any:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps([rule, data]) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def reference() -> Iterator[Reference]:
    running = Reference()
    yield running
    running.close()


def tagged(value: Any) -> Any:
    """The evaluator's answer in the harness's tagged form."""
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, int | float):
        number = float(value) if isinstance(value, float) else _int_number(value)
        negative_zero = number == 0 and math.copysign(1, number) < 0
        return {"n": "-0" if negative_zero else js_number_string(number)}
    if isinstance(value, list):
        return [tagged(item) for item in value]
    if isinstance(value, dict):
        return {"o": {key: tagged(item) for key, item in value.items()}}
    return {"other": type(value).__name__}


def _int_number(value: int) -> float:
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


# Values ---------------------------------------------------------------------

TEXTS = [
    "",
    " ",
    "0",
    "1",
    " 1 ",
    "-1",
    "01",
    "1.5",
    "1e3",
    ".5",
    "5.",
    "-0",
    "a",
    "A",
    "ab",
    "1,2",
    "true",
    "null",
]
texts = st.one_of(st.sampled_from(TEXTS), st.text(alphabet="01 .-+eEa\t\n,é", max_size=6))
numbers = st.one_of(
    st.integers(-3, 3),
    st.sampled_from(
        [0.0, -0.0, 0.1, 0.2, 0.3, 1.5, -2.5, 1e-7, 1e-6, 0.00001, 1e21, 1e20, 1e300, 123456789.125]
    ),
    st.sampled_from([2**53, 2**53 + 1, 2**60, -(2**70), 10**400]),
    st.floats(allow_nan=False, allow_infinity=False),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, texts)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["a", "b", "length"]), inner, max_size=2)
    ),
    max_leaves=5,
)
documents = st.one_of(
    st.dictionaries(st.sampled_from(["a", "b", "s", "n", "0", "1"]), values, max_size=4),
    st.lists(values, max_size=3),
    scalars,
)
PATHS = [
    "a", "b", "s", "n", "x", "0", "1", "a.0", "a.1", "a.01", "a.length", "s.0", "s.length", "a.a",
    "a.b", "a.length.x", "", "current", "accumulator", "accumulator.0", "current.a",
]  # fmt: skip
paths = st.one_of(st.sampled_from(PATHS), st.sampled_from([0, 1, None, 1.5]))

# Rules ----------------------------------------------------------------------

UNARY = ["!", "!!", "log"]
BINARY = ["==", "===", "!=", "!==", ">", ">=", "%", "/", "in"]
VARIADIC = ["+", "*", "min", "max", "cat", "merge", "and", "or", "if"]
SCOPED = ["map", "filter", "all", "none", "some"]


def _node(operator: str, args: list[Any]) -> dict[str, Any]:
    return {operator: args}


def _extend(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.tuples(st.sampled_from(UNARY), inner).map(lambda t: {t[0]: [t[1]]}),
        st.tuples(st.sampled_from(["!", "!!"]), inner).map(lambda t: {t[0]: t[1]}),
        st.tuples(st.sampled_from(BINARY), inner, inner).map(lambda t: _node(t[0], [t[1], t[2]])),
        st.tuples(st.sampled_from(["<", "<="]), st.lists(inner, min_size=2, max_size=3)).map(
            lambda t: _node(*t)
        ),
        st.tuples(st.sampled_from(VARIADIC), st.lists(inner, min_size=1, max_size=4)).map(
            lambda t: _node(*t)
        ),
        st.lists(inner, min_size=1, max_size=2).map(lambda xs: {"-": xs}),
        st.lists(inner, min_size=3, max_size=3).map(lambda xs: {"?:": xs}),
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: {"substr": xs}),
        st.lists(inner, max_size=2).map(lambda xs: {"merge": xs}),
        st.tuples(paths, inner).map(lambda t: {"var": [t[0], t[1]]}),
        st.lists(st.one_of(paths, inner), min_size=1, max_size=3).map(lambda xs: {"missing": xs}),
        st.tuples(inner, st.one_of(st.lists(st.one_of(paths, inner), max_size=3), inner)).map(
            lambda t: {"missing_some": [t[0], t[1]]}
        ),
        st.tuples(st.sampled_from(SCOPED), inner, inner).map(lambda t: _node(t[0], [t[1], t[2]])),
        st.tuples(inner, inner, st.one_of(st.none(), inner)).map(
            lambda t: {"reduce": [t[0], t[1]] if t[2] is None else [t[0], t[1], t[2]]}
        ),
    )


leaves = st.one_of(
    scalars,
    paths.map(lambda path: {"var": path}),
    paths.map(lambda path: {"var": [path]}),
    st.lists(scalars, max_size=3),
)
rules = st.recursive(leaves, _extend, max_leaves=8)


def _deliberately_different(rule: Any, data: Any, expected: Any) -> bool:
    """Whether the evaluator gives the reference's answer once its deliberate differences are undone."""
    if ASTRAL.search(json.dumps([rule, data, expected], ensure_ascii=False)):
        return True
    decimal_only = jsvalues.read_number_text
    jsvalues.read_number_text = jsvalues.javascript_number_text
    try:
        return _ours(rule, data) == expected
    finally:
        jsvalues.read_number_text = decimal_only


def _ours(rule: Any, data: Any) -> Any:
    try:
        return tagged(evaluate(rule, data))
    except RuleError as exc:
        return {"error": str(exc)}


def test_evaluator_answers_as_json_logic_js(reference: Reference) -> None:
    counts: Counter[str] = Counter()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    )
    @given(rule=rules, data=documents)
    def agrees(rule: Any, data: Any) -> None:
        expected = reference.apply(rule, data)
        ours = _ours(rule, data)
        if isinstance(expected, dict) and "error" in expected:
            counts["errors"] += 1
            assert isinstance(ours, dict) and "error" in ours, (expected, ours)
            return
        if ours != expected and _deliberately_different(rule, data, expected):
            counts["deliberate"] += 1
            return
        counts["compared"] += 1
        assert ours == expected

    agrees()
    print(dict(counts))
    assert counts["compared"] >= EXAMPLES * 0.8, counts
