"""A field's value in SQL kind by kind, and comparisons on it as JavaScript makes them: apart from operators.

A value's JSON kind can differ in every row, so each test is a CASE over the
kind: for kinds without content (true, false, null, an object) the answer is
worked out here in Python with the evaluator's own functions; for text and
numbers the database computes it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import SQLColumnExpression, and_, case, false, func, literal, not_, or_, true
from sqlalchemy.sql.elements import ColumnElement

from superinsight.rules import sqlfuncs
from superinsight.rules.jsonlogic import RuleError
from superinsight.rules.jsvalues import js_equals, js_less, js_less_equal, js_number, js_strict_equals, truthy

Condition = ColumnElement[bool]
SqlExpr = SQLColumnExpression[Any]
KINDS = ("string", "number", "true", "false", "null", "object")
CONSTANT_OF_KIND: dict[str, Any] = {"true": True, "false": False, "null": None, "object": {}}
MAX_SAFE_INTEGER = 2**53


class NotExpressibleInSQLError(RuleError):
    """This rule (or part of it) has no exact SQL form; evaluate it row by row instead."""


@dataclass(frozen=True)
class Value:
    """A field's value in SQL: one condition per kind, and its content for text and numbers."""

    kinds: Mapping[str, Condition]
    text: SqlExpr | None = None
    number: SqlExpr | None = None
    # For JSON values: one CASE over the value's kind with a branch per kind, so the
    # database finds the kind once and evaluates only the branch that applies.
    switch: Callable[[dict[str, Condition]], Condition] | None = None
    # For the result of a condition: the condition itself, so it is written once.
    boolean: Condition | None = None
    # For a JSON value whose kinds are known (`sqlknown`): `number OP constant` on the number
    # as stored, in place of reading it as a double first; the same value read without
    # knowing its kinds, and SQL true while the kinds still hold (once per statement).
    compare_number: Callable[[str, float], Condition] | None = None
    general: Value | None = None
    holds: Condition | None = None


PerKind = Callable[[Value, str], Condition]
"""A test's SQL for the rows where a value holds one kind."""


def text_of(value: Value) -> SqlExpr:
    if value.text is None:
        raise NotExpressibleInSQLError("this value has no text form")
    return value.text


def number_of(value: Value) -> SqlExpr:
    if value.number is None:
        raise NotExpressibleInSQLError("this value has no number form")
    return value.number


@dataclass(frozen=True)
class Constant:
    value: Any


@dataclass(frozen=True)
class StringArray:
    column: SqlExpr


Operand = Value | Constant | StringArray

COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "==": js_equals,
    "!=": lambda a, b: not js_equals(a, b),
    "===": js_strict_equals,
    "!==": lambda a, b: not js_strict_equals(a, b),
    "<": js_less,
    "<=": js_less_equal,
    ">": lambda a, b: js_less(b, a),
    ">=": lambda a, b: js_less_equal(b, a),
}
FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!=", "===": "===", "!==": "!=="}
SQL_COMPARE: dict[str, Callable[[Any, Any], Condition]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "===": lambda a, b: a == b,
    "!==": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def sql_bool(value: bool) -> Condition:
    return true() if value else false()


def exact(condition: Condition) -> Condition:
    """NULL (an unknown) becomes false, so NOT and OR keep their two-valued meaning."""
    return func.coalesce(condition, false())


def any_kind(value: Value, per_kind: PerKind) -> Condition:
    if value.general is not None and value.holds is not None:
        # A test of its own for each: the planner still orders a rule's tests by their cost.
        known = replace(value, general=None, holds=None)
        return case((value.holds, any_kind(known, per_kind)), else_=any_kind(value.general, per_kind))
    if value.boolean is not None:
        when_true, when_false = per_kind(value, "true"), per_kind(value, "false")
        if when_true is when_false:
            return when_true
        if when_true is true() and when_false is false():
            return value.boolean
        if when_true is false() and when_false is true():
            return not_(value.boolean)
    if value.switch is not None:
        branches = {
            kind: condition for kind in value.kinds if (condition := per_kind(value, kind)) is not false()
        }
        return exact(value.switch(branches)) if branches else false()
    parts = []
    for kind, is_kind in value.kinds.items():
        condition = per_kind(value, kind)
        if condition is not false():
            parts.append(exact(and_(is_kind, condition)))
    return or_(false(), *parts)


def number_test(value: Value, op: str, number: float) -> Condition:
    """`value OP number` where the value is a number ("===" is "==" there)."""
    op = {"===": "==", "!==": "!="}.get(op, op)
    if value.compare_number is not None:
        return value.compare_number(op, number)
    return SQL_COMPARE[op](number_of(value), number)


def _parsed_number(text: SqlExpr) -> ColumnElement[Any]:
    """Number(text) as the evaluator reads it; NULL where that is NaN."""
    return sqlfuncs.number_from_text(text)


def check_literal(value: Any) -> Any:
    """A number as the double JavaScript reads it (both stores compare doubles exactly); never NaN."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = js_number(value)
        if math.isnan(number):
            raise NotExpressibleInSQLError("NaN cannot be compared in SQL")
        return number if isinstance(value, int) and abs(value) > MAX_SAFE_INTEGER else value
    return value


def compare_value(op: str, value: Value, constant: Any) -> Condition:
    """`value OP constant` under JavaScript semantics, kind by kind."""
    constant = check_literal(constant)
    if isinstance(constant, list | dict):
        raise NotExpressibleInSQLError("comparing a field with a list or an object has no SQL form")
    sql = SQL_COMPARE[op]

    def per_kind(value: Value, kind: str) -> Condition:
        if kind in CONSTANT_OF_KIND:
            return sql_bool(COMPARISONS[op](CONSTANT_OF_KIND[kind], constant))
        if kind == "string":
            text = text_of(value)
            if op in ("===", "!=="):
                return sql(text, constant) if isinstance(constant, str) else sql_bool(op == "!==")
            if isinstance(constant, str):
                return sql(sqlfuncs.binary_text(text), constant)
            if constant is None and op in ("==", "!="):
                return sql_bool(op == "!=")
            number = js_number(constant)
            return (
                exact(sql(_parsed_number(text), number))
                if op != "!="
                else not_(exact(_parsed_number(text) == number))
            )
        if op in ("===", "!=="):
            same = isinstance(constant, int | float) and not isinstance(constant, bool)
            return number_test(value, op, js_number(constant)) if same else sql_bool(op == "!==")
        if constant is None and op in ("==", "!="):
            return sql_bool(op == "!=")
        number = js_number(constant)
        if math.isnan(number):
            return sql_bool(op == "!=")
        return number_test(value, op, number)

    return any_kind(value, per_kind)


def truthy_value(value: Value) -> Condition:
    def per_kind(value: Value, kind: str) -> Condition:
        if kind in CONSTANT_OF_KIND:
            return sql_bool(truthy(CONSTANT_OF_KIND[kind]))
        if kind == "string":
            return text_of(value) != literal("")
        if value.compare_number is not None:
            return value.compare_number("!=", 0.0)
        return number_of(value) != literal(0)

    return any_kind(value, per_kind)


def text_test(value: Value, test: Callable[[SqlExpr], Condition]) -> Condition:
    """A test that only text can pass; every other kind fails it."""
    return any_kind(value, lambda value, kind: test(text_of(value)) if kind == "string" else false())
