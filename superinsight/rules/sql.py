"""Compiles a rule to a SQL condition that matches exactly the documents `evaluate` matches.

A document matches a rule when the rule's result is truthy. A field's value can
be of a different JSON kind in every row (a metadata field holds a number in one
document and text in the next), so every comparison is compiled as a CASE over
the value's kind: for kinds that carry no content (true, false, null, an object)
the answer is worked out here in Python with the evaluator's own functions; for
text and numbers the database computes it. Whatever has no exact SQL form raises
`NotExpressibleInSQLError`; the caller then evaluates row by row instead.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import SQLColumnExpression, and_, case, false, func, literal, not_, or_, true
from sqlalchemy.sql.elements import ColumnElement

from superinsight.rules import sqlfuncs, sqljson
from superinsight.rules.extensions import ISO_DATE, WORKBENCH, PatternError, ascii_lower, check_pattern
from superinsight.rules.jsonlogic import RuleError, is_logic, operator_of
from superinsight.rules.jsvalues import (
    js_equals,
    js_less,
    js_less_equal,
    js_number,
    js_strict_equals,
    js_string,
    truthy,
)

Condition = ColumnElement[bool]
SqlExpr = SQLColumnExpression[Any]
KINDS = ("string", "number", "true", "false", "null", "object")
CONSTANT_OF_KIND: dict[str, Any] = {"true": True, "false": False, "null": None, "object": {}}
METADATA_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
MAX_SAFE_INTEGER = 2**53


class NotExpressibleInSQLError(RuleError):
    """This rule (or part of it) has no exact SQL form; evaluate it row by row instead."""


@dataclass(frozen=True)
class FieldMap:
    """Where each field a rule may name lives, by the shape of what it holds."""

    text: Mapping[str, SQLColumnExpression[Any]] = field(default_factory=dict)
    numbers: Mapping[str, SQLColumnExpression[Any]] = field(default_factory=dict)
    json_objects: Mapping[str, SQLColumnExpression[Any]] = field(default_factory=dict)
    string_arrays: Mapping[str, SQLColumnExpression[Any]] = field(default_factory=dict)


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


def _text(value: Value) -> SqlExpr:
    if value.text is None:
        raise NotExpressibleInSQLError("this value has no text form")
    return value.text


def _number(value: Value) -> SqlExpr:
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


def _bool(value: bool) -> Condition:
    return true() if value else false()


def _exact(condition: Condition) -> Condition:
    """NULL (an unknown) becomes false, so NOT and OR keep their two-valued meaning."""
    return func.coalesce(condition, false())


def _any_kind(value: Value, per_kind: Callable[[str], Condition]) -> Condition:
    if value.boolean is not None:
        when_true, when_false = per_kind("true"), per_kind("false")
        if when_true is when_false:
            return when_true
        if when_true is true() and when_false is false():
            return value.boolean
        if when_true is false() and when_false is true():
            return not_(value.boolean)
    if value.switch is not None:
        branches = {kind: condition for kind in value.kinds if (condition := per_kind(kind)) is not false()}
        return _exact(value.switch(branches)) if branches else false()
    parts = []
    for kind, is_kind in value.kinds.items():
        condition = per_kind(kind)
        if condition is not false():
            parts.append(_exact(and_(is_kind, condition)))
    return or_(false(), *parts)


def _parsed_number(text: SqlExpr) -> ColumnElement[Any]:
    """Number(text) as the evaluator reads it; NULL where that is NaN."""
    return sqlfuncs.number_from_text(text)


def _check_literal(value: Any) -> Any:
    """A number as the double JavaScript reads it (both stores compare doubles exactly); never NaN."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = js_number(value)
        if math.isnan(number):
            raise NotExpressibleInSQLError("NaN cannot be compared in SQL")
        return number if isinstance(value, int) and abs(value) > MAX_SAFE_INTEGER else value
    return value


def _compare_value(op: str, value: Value, constant: Any) -> Condition:
    """`value OP constant` under JavaScript semantics, kind by kind."""
    constant = _check_literal(constant)
    if isinstance(constant, list | dict):
        raise NotExpressibleInSQLError("comparing a field with a list or an object has no SQL form")
    sql = SQL_COMPARE[op]

    def per_kind(kind: str) -> Condition:
        if kind in CONSTANT_OF_KIND:
            return _bool(COMPARISONS[op](CONSTANT_OF_KIND[kind], constant))
        if kind == "string":
            text = _text(value)
            if op in ("===", "!=="):
                return sql(text, constant) if isinstance(constant, str) else _bool(op == "!==")
            if isinstance(constant, str):
                return sql(sqlfuncs.binary_text(text), constant)
            if constant is None and op in ("==", "!="):
                return _bool(op == "!=")
            number = js_number(constant)
            return (
                _exact(sql(_parsed_number(text), number))
                if op != "!="
                else not_(_exact(_parsed_number(text) == number))
            )
        number_value = _number(value)
        if op in ("===", "!=="):
            same = isinstance(constant, int | float) and not isinstance(constant, bool)
            return sql(number_value, js_number(constant)) if same else _bool(op == "!==")
        if constant is None and op in ("==", "!="):
            return _bool(op == "!=")
        number = js_number(constant)
        if math.isnan(number):
            return _bool(op == "!=")
        return sql(number_value, number)

    return _any_kind(value, per_kind)


def _truthy_value(value: Value) -> Condition:
    def per_kind(kind: str) -> Condition:
        if kind in CONSTANT_OF_KIND:
            return _bool(truthy(CONSTANT_OF_KIND[kind]))
        if kind == "string":
            return _text(value) != literal("")
        return _number(value) != literal(0)

    return _any_kind(value, per_kind)


def _text_test(value: Value, test: Callable[[SqlExpr], Condition]) -> Condition:
    """A test that only text can pass; every other kind fails it."""
    return _any_kind(value, lambda kind: test(_text(value)) if kind == "string" else false())


def _same_field(left: Any, right: Any) -> bool:
    def path(node: Any) -> Any:
        if not is_logic(node) or operator_of(node) != "var":
            return None
        args = node["var"] if isinstance(node["var"], list) else [node["var"]]
        if len(args) > 1 and args[1] is not None:
            return None
        return args[0] if args and isinstance(args[0], str) and args[0] else None

    return path(left) is not None and path(left) == path(right)


class Compiler:
    def __init__(self, fields: FieldMap) -> None:
        self.fields = fields

    # Operands --------------------------------------------------------------

    def operand(self, node: Any) -> Operand:
        if isinstance(node, list):
            if all(not is_logic(item) and not isinstance(item, list | dict) for item in node):
                return Constant(node)
            raise NotExpressibleInSQLError("arrays built from rule logic have no SQL form")
        if not is_logic(node):
            return Constant(node)
        operator = operator_of(node)
        if operator == "var":
            return self.var(node["var"])
        if self._is_constant(node):
            return Constant(WORKBENCH.apply(node))
        if operator not in BOOLEAN_OPERATORS:
            raise NotExpressibleInSQLError(f"the result of {operator!r} over fields has no SQL form")
        condition = self.condition(node)
        return Value(kinds={"true": condition, "false": not_(condition)}, boolean=condition)

    def _is_constant(self, node: Any) -> bool:
        if isinstance(node, list):
            return all(self._is_constant(item) for item in node)
        if not is_logic(node):
            return True
        operator = operator_of(node)
        return operator not in ("var", "missing", "missing_some") and self._is_constant(node[operator])

    def var(self, args: Any) -> Operand:
        args = args if isinstance(args, list) else [args]
        if len(args) > 1 and args[1] is not None:
            raise NotExpressibleInSQLError("a var with a default value has no SQL form")
        path = args[0] if args else ""
        if not isinstance(path, str) or path == "":
            raise NotExpressibleInSQLError("only named fields can be read in SQL")
        head, _, rest = path.partition(".")
        if head in self.fields.text and not rest:
            return Value(kinds={"string": true()}, text=self.fields.text[head])
        if head in self.fields.numbers and not rest:
            column = self.fields.numbers[head]
            return Value(kinds={"number": column.is_not(None), "null": column.is_(None)}, number=column)
        if head in self.fields.string_arrays and not rest:
            return StringArray(self.fields.string_arrays[head])
        if head in self.fields.json_objects:
            return self._json(self.fields.json_objects[head], rest)
        if head in self.fields.text or head in self.fields.numbers or head in self.fields.string_arrays:
            raise NotExpressibleInSQLError(f"{head!r} has no parts to read with {path!r}")
        return Constant(None)

    @staticmethod
    def _json(column: SqlExpr, rest: str) -> Operand:
        if not rest:
            return Constant({})
        keys = tuple(rest.split("."))
        for key in keys:
            if not METADATA_KEY.match(key):
                raise NotExpressibleInSQLError(f"the field name {key!r} cannot be read in SQL")
        if "length" in keys[1:]:
            # On text, `length` is its length, not a field: SQL reads only fields.
            raise NotExpressibleInSQLError("reading 'length' inside a field has no SQL form")
        return Value(
            # Every kind is possible; the switch tests which one a row holds.
            kinds=dict.fromkeys(KINDS, true()),
            text=sqljson.json_text(column, keys),
            number=sqljson.json_number(column, keys),
            switch=lambda branches: sqljson.json_switch(column, keys, branches),
        )

    # Conditions ------------------------------------------------------------

    def condition(self, node: Any) -> Condition:
        """SQL that is true exactly for the rows where `node` evaluates to a truthy value."""
        if not is_logic(node):
            if isinstance(node, list) and any(is_logic(item) for item in node):
                raise NotExpressibleInSQLError("arrays built from rule logic have no SQL form")
            return _bool(truthy(node))
        if self._is_constant(node):
            return _bool(truthy(WORKBENCH.apply(node)))
        operator = operator_of(node)
        args = node[operator] if isinstance(node[operator], list) else [node[operator]]
        handler = getattr(self, "_op_" + OPERATOR_METHODS.get(operator, "unsupported"))
        result: Condition = handler(operator, args)
        return result

    def truthy(self, operand: Operand) -> Condition:
        if isinstance(operand, Constant):
            return _bool(truthy(operand.value))
        if isinstance(operand, StringArray):
            return sqlfuncs.json_array_length(operand.column) > 0
        return _truthy_value(operand)

    def _op_unsupported(self, operator: str, args: list[Any]) -> Condition:
        raise NotExpressibleInSQLError(f"operator {operator!r} cannot run in the database")

    def _op_var(self, operator: str, args: list[Any]) -> Condition:
        return self.truthy(self.var(args))

    def _op_not(self, operator: str, args: list[Any]) -> Condition:
        inner = self.condition(args[0] if args else None)
        return not_(inner) if operator == "!" else inner

    def _op_and_or(self, operator: str, args: list[Any]) -> Condition:
        if not args:
            return false()
        parts = [self.condition(arg) for arg in args]
        return and_(*parts) if operator == "and" else or_(*parts)

    def _op_if(self, operator: str, args: list[Any]) -> Condition:
        """One CASE: each test and each branch written once, so the SQL grows with the rule, no faster."""
        if not args:
            return false()
        if len(args) == 1:
            return self.condition(args[0])
        whens = [(self.condition(args[i]), self.condition(args[i + 1])) for i in range(0, len(args) - 1, 2)]
        otherwise = self.condition(args[-1]) if len(args) % 2 == 1 else false()
        return case(*whens, else_=otherwise)

    def _op_compare(self, operator: str, args: list[Any]) -> Condition:
        if operator in ("<", "<=") and len(args) >= 3:
            if is_logic(args[1]) and operator_of(args[1]) != "var" and not self._is_constant(args[1]):
                # The middle would be written twice, and twice again at every level below.
                raise NotExpressibleInSQLError("a computed middle in a between test has no SQL form")
            return and_(self._pair(operator, args[0], args[1]), self._pair(operator, args[1], args[2]))
        if len(args) < 2:
            args = [*args, None, None][:2]
        return self._pair(operator, args[0], args[1])

    def _pair(self, operator: str, left_node: Any, right_node: Any) -> Condition:
        if _same_field(left_node, right_node):
            # A document's value compared with itself: objects and lists are the very same
            # one, and JSON holds no NaN, so only the operator decides.
            return _bool(operator in ("==", "===", "<=", ">="))
        left, right = self.operand(left_node), self.operand(right_node)
        if isinstance(left, Constant) and isinstance(right, Constant):
            return _bool(COMPARISONS[operator](left.value, right.value))
        if isinstance(left, StringArray) or isinstance(right, StringArray):
            raise NotExpressibleInSQLError("a list field can only be searched with 'in'")
        if isinstance(left, Value) and isinstance(right, Constant):
            return _compare_value(operator, left, right.value)
        if isinstance(left, Constant) and isinstance(right, Value):
            return _compare_value(FLIPPED[operator], right, left.value)
        raise NotExpressibleInSQLError("comparing two fields with each other has no SQL form yet")

    def _op_in(self, operator: str, args: list[Any]) -> Condition:
        needle = self.operand(args[0] if args else None)
        haystack = self.operand(args[1] if len(args) > 1 else None)
        if isinstance(needle, Constant) and isinstance(haystack, Constant):
            return _bool(truthy(WORKBENCH.apply({"in": [needle.value, haystack.value]})))
        if isinstance(haystack, StringArray) and isinstance(needle, Constant):
            if not isinstance(needle.value, str):
                return false()
            return sqlfuncs.json_array_has_text(haystack.column, literal(needle.value))
        if isinstance(haystack, Value) and isinstance(needle, Constant):
            fragment = js_string(_check_literal(needle.value))
            # An empty text holds nothing, not even "" (json-logic-js tests the haystack first).
            return _text_test(
                haystack, lambda text: and_(text != "", sqlfuncs.position_of(text, literal(fragment)) > 0)
            )
        if isinstance(needle, Value) and isinstance(haystack, Constant) and isinstance(haystack.value, list):
            # An object or list in the rule is never the very object a row holds.
            items = [_check_literal(item) for item in haystack.value if not isinstance(item, list | dict)]
            return or_(false(), *(_compare_value("===", needle, item) for item in items))
        raise NotExpressibleInSQLError("this use of 'in' has no SQL form")

    def _op_missing(self, operator: str, args: list[Any]) -> Condition:
        keys, need = self._missing_keys(operator, args)
        missing = [self._is_missing(key) for key in keys]
        any_missing = or_(false(), *missing)
        if operator == "missing":
            return any_missing
        if math.isnan(need) or need == math.inf:
            return any_missing  # `present >= need` is false: the missing keys come back
        if need <= 0:
            return false()  # at least zero are present: nothing comes back
        present = sum((case((m, 0), else_=1) for m in missing), literal(0))
        return and_(present < literal(need), any_missing)

    def _missing_keys(self, operator: str, args: list[Any]) -> tuple[list[str], float]:
        if operator == "missing_some":
            if len(args) < 2 or not isinstance(args[1], list):
                raise NotExpressibleInSQLError("missing_some needs a count and a list of fields")
            if not self._is_constant(args[0]):
                raise NotExpressibleInSQLError("missing_some needs a count written in the rule")
            need, keys = js_number(WORKBENCH.apply(args[0])), args[1]
        else:
            need, keys = 0.0, args[0] if args and isinstance(args[0], list) else args
        if not all(isinstance(key, str) for key in keys):
            raise NotExpressibleInSQLError("missing takes field names written out in the rule")
        return list(keys), need

    def _is_missing(self, key: str) -> Condition:
        operand = self.var(key)
        if isinstance(operand, Constant):
            return _bool(operand.value in (None, ""))
        if isinstance(operand, StringArray):
            return false()
        value = operand
        return _any_kind(
            value, lambda kind: _text(value) == literal("") if kind == "string" else _bool(kind == "null")
        )

    def _op_text_extension(self, operator: str, args: list[Any]) -> Condition:
        if len(args) < 2:
            return false()
        subject, argument = self.operand(args[0]), self.operand(args[1])
        if not isinstance(subject, Value) or not isinstance(argument, Constant):
            raise NotExpressibleInSQLError(f"{operator!r} needs a field first and a written value second")
        if not isinstance(argument.value, str):
            return false()
        return _text_test(subject, self._text_predicate(operator, argument.value))

    @staticmethod
    def _text_predicate(operator: str, argument: str) -> Callable[[SqlExpr], Condition]:
        folded = ascii_lower(argument)
        size = len(argument)
        if operator == "contains":
            return lambda text: sqlfuncs.position_of(sqlfuncs.ascii_lower(text), literal(folded)) > 0
        if operator == "starts_with":
            return lambda text: func.substr(sqlfuncs.ascii_lower(text), 1, size) == folded
        if operator == "ends_with":
            return lambda text: and_(
                func.length(text) >= size,
                func.substr(sqlfuncs.ascii_lower(text), func.length(text) - size + 1) == folded,
            )
        if operator == "regex":
            try:
                pattern = check_pattern(argument)
            except PatternError:
                return lambda text: false()
            return lambda text: sqlfuncs.regex_match(text, literal(pattern))
        if not ISO_DATE.match(argument):
            return lambda text: false()
        day = argument[:10]
        iso = "^[0-9]{4}-[0-9]{2}-[0-9]{2}"
        if operator == "date_before":
            return lambda text: and_(
                sqlfuncs.regex_match(text, literal(iso)), sqlfuncs.binary_text(func.substr(text, 1, 10)) < day
            )
        return lambda text: and_(
            sqlfuncs.regex_match(text, literal(iso)), sqlfuncs.binary_text(func.substr(text, 1, 10)) > day
        )


TEXT_EXTENSIONS = ("contains", "starts_with", "ends_with", "regex", "date_before", "date_after")
BOOLEAN_OPERATORS = frozenset({"!", "!!", "in", *COMPARISONS, *TEXT_EXTENSIONS})

OPERATOR_METHODS = {
    "var": "var",
    "!": "not",
    "!!": "not",
    "and": "and_or",
    "or": "and_or",
    "if": "if",
    "?:": "if",
    "in": "in",
    "missing": "missing",
    "missing_some": "missing",
    **dict.fromkeys(COMPARISONS, "compare"),
    **dict.fromkeys(TEXT_EXTENSIONS, "text_extension"),
}


def to_sql(rule: Any, columns: FieldMap) -> Condition:
    """A boolean SQL expression true exactly where `truthy(evaluate(rule, document))`."""
    return Compiler(columns).condition(rule)
