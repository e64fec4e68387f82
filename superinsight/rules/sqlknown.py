"""A metadata value in SQL when the kinds its key holds are known: only their branches, often no CASE.

Without them every read of a metadata key is a CASE over the value's kind, each
branch reading the value again: a compiled rule ran at 1.4x the hand-written SQL
(issue 13). Given the kinds (a superset: the writers record every kind they write and
never forget one), a kind no document holds needs no branch, and a key holding one
kind of content (numbers, or text) besides nulls needs no CASE at all: its comparison
is NULL where the key is missing or null, and COALESCE supplies the null branch.
Each test keeps the general SQL too, taken when `KeyKinds.unchanged` finds (once per
statement, in its snapshot) that the key gained a kind since the kinds were read:
never a wrong answer, and never a cast of a string to a number.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import SQLColumnExpression, func, true
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import (
    BinaryExpression,
    BindParameter,
    BooleanClauseList,
    ClauseElement,
    Grouping,
)
from sqlalchemy.sql.functions import Function

from superinsight.rules import sqlfuncs, sqljson
from superinsight.rules.sqlkinds import Condition, Value

KindsByKey = Mapping[str, frozenset[str]]


@dataclass(frozen=True)
class KeyKinds:
    """The JSON kinds (`vocabulary.JSON_KINDS`) each top-level key of one JSON field holds.

    `unchanged(used)` is SQL that is true while the store still holds no other kinds for
    the keys in `used` (a key absent from `kinds` holds none): it is checked in the same
    statement as the rule, so a kind written since the read cannot slip through.
    """

    field: str
    kinds: KindsByKey
    unchanged: Callable[[KindsByKey], Condition]


# Operators and functions that are NULL exactly where one of their arguments is.
_STRICT_OPERATORS = frozenset(
    {operators.eq, operators.ne, operators.lt, operators.le, operators.gt, operators.ge, operators.sub}
)
_STRICT_FUNCTIONS = (
    sqlfuncs.binary_text,
    sqlfuncs.ascii_lower,
    sqlfuncs.position_of,
    sqlfuncs.regex_match,
    sqljson.json_number_test,
)


def _strict(node: ClauseElement, content: ClauseElement) -> bool:
    """Whether `node` is NULL exactly where `content` is NULL (False when that is not sure)."""
    if node is content or isinstance(node, sqljson.json_number_test):
        return True
    if isinstance(node, Grouping):
        return _strict(node.element, content)  # type: ignore[arg-type]
    if isinstance(node, BinaryExpression) and node.operator in _STRICT_OPERATORS:
        parts = [node.left, node.right]
    elif isinstance(node, _STRICT_FUNCTIONS) or (
        isinstance(node, Function) and node.name in ("substr", "length")
    ):
        parts = list(node.clauses)
    elif isinstance(node, BooleanClauseList) and node.operator is operators.and_:
        return all(_strict(part, content) for part in node.clauses)
    else:
        return False
    constant = [isinstance(part, BindParameter) and part.value is not None for part in parts]
    strict = [_strict(part, content) for part in parts]
    return any(strict) and all(a or b for a, b in zip(strict, constant, strict=True))


def known_value(column: SQLColumnExpression[bool], key: str, known: KeyKinds, general: Value) -> Value:
    """The value at `key` for the kinds `known` says it holds; `general` (any kind) if that changed."""
    held = known.kinds.get(key, frozenset())
    kinds = {"null" if kind == "array" else kind for kind in held} | {"null"}  # missing reads as null
    path = (key,)
    text = sqljson.json_text(column, path, arrows=True)
    content = kinds - {"null"}
    direct = len(content) == 1 and content <= {"number", "string"} and "array" not in held

    def switch(branches: dict[str, Condition]) -> Condition:
        kind = next(iter(content)) if direct else None
        when_content, when_null = branches.get(kind or ""), branches.get("null")
        if kind is not None and when_content is not None and _strict(when_content, text):
            return when_content if when_null is None else func.coalesce(when_content, when_null)
        if not content and when_null is not None:
            return when_null  # no document holds anything but null there
        return sqljson.json_switch(column, path, branches, present=frozenset(kinds))

    return Value(
        kinds=dict.fromkeys(kinds, true()),
        text=text,
        number=sqljson.json_number(column, path, arrows=True),
        switch=switch,
        compare_number=lambda op, number: sqljson.json_number_test(
            column, path, op, number, nullable=bool(held - {"number"})
        ),
        general=general,
        holds=known.unchanged({key: held}),
    )
