"""Compiled SQL grows linearly with the rule: if chains, nested and/or/! and conditions used as values."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from superinsight.rules.sql import to_sql
from superinsight.services.rules.matching import document_fields


def _size(rule: Any, dialect: Any) -> int:
    return len(str(to_sql(rule, document_fields()).compile(dialect=dialect)))


def _if_chain(pairs: int) -> dict[str, Any]:
    args: list[Any] = []
    for i in range(pairs):
        args += [{">": [{"var": f"metadata.k{i}"}, i]}, {"contains": [{"var": "title"}, f"w{i}"]}]
    return {"if": [*args, False]}


def _nested_if(depth: int) -> Any:
    """An if whose test is an if, and so on down: each level written once in the rule."""
    rule: Any = {"==": [{"var": "metadata.a"}, 1]}
    for i in range(depth):
        rule = {"if": [rule, {"==": [{"var": "metadata.b"}, i]}, {"!": {"var": f"metadata.c{i}"}}]}
    return rule


def _nested_logic(depth: int) -> Any:
    """and/or/! nested, with conditions compared as values (`== false`) on the way down."""
    rule: Any = {"<": [{"var": "metadata.a"}, 5]}
    for i in range(depth):
        other = {"==": [{"var": "title"}, f"t{i}"]}
        rule = {"!": {"or": [{"and": [{"==": [rule, False]}, other]}, {"var": f"metadata.c{i}"}]}}
    return rule


@pytest.mark.parametrize("dialect", [postgresql.dialect(), sqlite.dialect()], ids=["postgresql", "sqlite"])
@pytest.mark.parametrize(
    "build", [_if_chain, _nested_if, _nested_logic], ids=["if chain", "nested if", "and/or/!"]
)
def test_sql_size_is_linear_in_the_rule(build: Callable[[int], Any], dialect: Any) -> None:
    small, large = _size(build(10), dialect), _size(build(40), dialect)
    assert large < 4.6 * small, (small, large)


def test_a_99_pair_if_chain_stays_small() -> None:
    assert _size(_if_chain(99), postgresql.dialect()) < 200_000  # was 5.6 GB in PostgreSQL
