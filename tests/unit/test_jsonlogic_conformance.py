"""The evaluator passes every case of the shared JSON Logic conformance suite."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from superinsight.rules import evaluate

ROOT = Path(__file__).resolve().parents[2]
VENDORED = ROOT / "tests" / "conformance" / "jsonlogic-tests.json"
SHARED = ROOT.parent / "shared" / "conformance" / "jsonlogic" / "tests.json"


def load_cases() -> list[tuple[str, Any, Any, Any]]:
    cases = []
    section = ""
    for entry in json.loads(VENDORED.read_text()):
        if isinstance(entry, str):
            section = entry
        else:
            cases.append((section, *entry))
    return cases


CASES = load_cases()


def test_the_suite_is_complete() -> None:
    assert len(CASES) == 278


@pytest.mark.skipif(not SHARED.exists(), reason="the team's shared/ folder is not beside this checkout")
def test_the_vendored_suite_matches_the_shared_one() -> None:
    assert json.loads(VENDORED.read_text()) == json.loads(SHARED.read_text())


@pytest.mark.parametrize(
    ("section", "rule", "data", "expected"), CASES, ids=[str(i) for i in range(len(CASES))]
)
def test_conformance(section: str, rule: Any, data: Any, expected: Any) -> None:
    result = evaluate(rule, data)
    assert same_json(result, expected), (
        f"{section}: {json.dumps(rule)} over {json.dumps(data)} gave {result!r}, expected {expected!r}"
    )


def same_json(a: Any, b: Any) -> bool:
    """Equal as JSON values: 1 and 1.0 are the same number, but true is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


@pytest.mark.parametrize(("a", "b", "same"), [(1, 1.0, True), (True, 1, False), ([0], [False], False)])
def test_same_json_is_strict_about_booleans(a: Any, b: Any, same: bool) -> None:
    assert same_json(a, b) is same
