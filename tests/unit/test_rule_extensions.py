"""The workbench's own operators, what explain says, and what SQL refuses."""

from __future__ import annotations

from typing import Any

import pytest

from superinsight.rules.explain import explain
from superinsight.rules.extensions import WORKBENCH, PatternError, check_pattern, regexp
from superinsight.rules.sql import NotExpressibleInSQLError, to_sql
from superinsight.services.rules.matching import document_fields


@pytest.mark.parametrize(
    ("rule", "data", "expected"),
    [
        ({"contains": [{"var": "t"}, "REFUND"]}, {"t": "asks for a refund"}, True),
        ({"contains": [{"var": "t"}, "é"]}, {"t": "É"}, False),
        ({"contains": [{"var": "t"}, "x"]}, {"t": 5}, False),
        ({"starts_with": [{"var": "t"}, "inv-"]}, {"t": "INV-001"}, True),
        ({"ends_with": [{"var": "t"}, ".PDF"]}, {"t": "scan.pdf"}, True),
        ({"ends_with": [{"var": "t"}, ""]}, {"t": "scan.pdf"}, True),
        ({"regex": [{"var": "t"}, "^INV-[0-9]+"]}, {"t": "INV-42 paid"}, True),
        ({"regex": [{"var": "t"}, "^INV-[0-9]+"]}, {"t": "see INV-42"}, False),
        ({"regex": [{"var": "t"}, "a.b"]}, {"t": "a\nb"}, True),
        ({"regex": [{"var": "t"}, "(bad"]}, {"t": "(bad"}, False),
        ({"date_before": [{"var": "d"}, "2026-01-01"]}, {"d": "2025-12-31T23:59"}, True),
        ({"date_before": [{"var": "d"}, "2026-01-01"]}, {"d": "2026-01-01"}, False),
        ({"date_after": [{"var": "d"}, "2026-01-01"]}, {"d": "2026-01-02"}, True),
        ({"date_after": [{"var": "d"}, "2026-01-01"]}, {"d": "tomorrow"}, False),
        ({"date_after": [{"var": "d"}, "2026-01-01"]}, {"d": None}, False),
    ],
)
def test_extensions(rule: Any, data: Any, expected: bool) -> None:
    assert WORKBENCH.apply(rule, data) is expected


@pytest.mark.parametrize("pattern", ["\\d+", "a$b", "(?i)x", "(a+)+", "x" * 201, "a^b", "(?=x)"])
def test_unportable_or_dangerous_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(PatternError):
        check_pattern(pattern)


def test_sqlite_regexp_follows_the_evaluator() -> None:
    assert regexp("a.b", "a\nb") is True
    assert regexp("a", None) is None


def test_explain_marks_each_condition() -> None:
    rule = {"and": [{">": [{"var": "metadata.amount"}, 100]}, {"contains": [{"var": "title"}, "order"]}]}
    lines = explain(rule, {"metadata": {"amount": 250}, "title": "Renewal"})
    assert lines[0] == "✗ and:"
    assert lines[1] == "  ✓ metadata.amount (250) > 100"
    assert lines[2] == '  ✗ title ("Renewal") contains "order"'


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        ({"==": [{"var": "metadata.a"}, {"var": "metadata.b"}]}, "two fields"),
        ({"==": [{"+": [{"var": "metadata.a"}, 1]}, 2]}, "'\\+' over fields"),
        ({"some": [{"var": "tags"}, {"==": [{"var": ""}, "x"]}]}, "'some'"),
        ({"==": [{"var": ["metadata.a", 5]}, 5]}, "default value"),
        ({"==": [{"var": "metadata.a"}, [1]]}, "list or an object"),
        ({"==": [{"var": "tags"}, "vip"]}, "only be searched with 'in'"),
        ({"==": [{"var": "metadata.a-b"}, 1]}, "cannot be read in SQL"),
    ],
)
def test_what_sql_cannot_express_is_refused_with_a_reason(rule: Any, reason: str) -> None:
    with pytest.raises(NotExpressibleInSQLError, match=reason):
        to_sql(rule, document_fields())
