"""JSON Logic evaluation with the exact semantics of the reference implementation.

JSON Logic is defined by json-logic-js, so its answers follow JavaScript: loose
`==`, truthiness where `[]` and `""` are false, `+` that casts strings to
numbers, division by zero giving Infinity. This module reproduces that in plain
Python; it is the reference semantics the SQL compiler is checked against.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from superinsight.rules.jsvalues import (
    js_equals,
    js_less,
    js_less_equal,
    js_number,
    js_strict_equals,
    js_string,
    truthy,
)

Data = Any
Rule = Any


class RuleError(ValueError):
    """A rule that cannot be evaluated: an unknown operator or malformed arguments."""


def is_logic(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1


def operator_of(rule: dict[str, Any]) -> str:
    return next(iter(rule))


def _args(rule: dict[str, Any]) -> list[Any]:
    values = rule[operator_of(rule)]
    return list(values) if isinstance(values, list) else [values]


def get_var(data: Data, path: Any, default: Any = None) -> Any:
    """`var` lookup: dotted paths through objects and arrays, "" for the whole data."""
    if path is None or path == "" or path == []:
        return data
    current = data
    for part in js_string(path).split("."):
        if isinstance(current, Mapping):
            if part not in current:
                return default
            current = current[part]
        elif isinstance(current, Sequence) and not isinstance(current, str):
            try:
                index = int(part)
            except ValueError:
                return default
            if not 0 <= index < len(current):
                return default
            current = current[index]
        else:
            return default
        if current is None:
            return default
    return current


def _var(data: Data, args: list[Any]) -> Any:
    return get_var(data, args[0] if args else None, args[1] if len(args) > 1 else None)


def _missing(data: Data, args: list[Any]) -> list[Any]:
    keys = args[0] if args and isinstance(args[0], list) else args
    return [key for key in keys if get_var(data, key) in (None, "")]


def _missing_some(data: Data, args: list[Any]) -> list[Any]:
    need, keys = args[0], args[1]
    missing = _missing(data, [keys])
    return [] if len(keys) - len(missing) >= js_number(need) else missing


def _substr(args: list[Any]) -> str:
    source = js_string(args[0])
    start = int(js_number(args[1])) if len(args) > 1 else 0
    if start < 0:
        start = max(len(source) + start, 0)
    if len(args) < 3:
        return source[start:]
    length = int(js_number(args[2]))
    end = len(source) + length if length < 0 else start + length
    return source[start:end]


def _in(args: list[Any]) -> bool:
    needle, haystack = args[0], args[1] if len(args) > 1 else None
    if isinstance(haystack, str):
        return js_string(needle) in haystack
    if isinstance(haystack, list):
        return any(js_strict_equals(needle, item) for item in haystack)
    return False


def _merge(args: list[Any]) -> list[Any]:
    merged: list[Any] = []
    for arg in args:
        merged.extend(arg if isinstance(arg, list) else [arg])
    return merged


def _between(args: list[Any], ordered: Callable[[Any, Any], bool]) -> bool:
    """`<` and `<=` take a third argument to test that the middle lies between the ends."""
    if len(args) >= 3:
        return ordered(args[0], args[1]) and ordered(args[1], args[2])
    return ordered(args[0], args[1] if len(args) > 1 else None)


def _divide(a: Any, b: Any) -> float:
    x, y = js_number(a), js_number(b)
    if y == 0:
        if x == 0 or math.isnan(x):
            return math.nan
        return math.copysign(math.inf, x) * math.copysign(1, y)
    return x / y


def _modulo(a: Any, b: Any) -> float:
    x, y = js_number(a), js_number(b)
    if y == 0 or math.isinf(x) or math.isnan(x) or math.isnan(y):
        return math.nan
    return math.fmod(x, y)


def _minus(args: list[Any]) -> float:
    if len(args) == 1:
        return -js_number(args[0])
    return js_number(args[0]) - js_number(args[1])


def _extreme(args: list[Any], pick: Callable[[list[float]], float], empty: float) -> float:
    numbers = [js_number(arg) for arg in args]
    if any(math.isnan(n) for n in numbers):
        return math.nan
    return pick(numbers) if numbers else empty


def number_result(value: float) -> int | float:
    """JavaScript has one number type; integers read better as int in Python."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


Operation = Callable[[list[Any]], Any]

OPERATIONS: dict[str, Operation] = {
    "==": lambda a: js_equals(a[0], a[1] if len(a) > 1 else None),
    "===": lambda a: js_strict_equals(a[0], a[1] if len(a) > 1 else None),
    "!=": lambda a: not js_equals(a[0], a[1] if len(a) > 1 else None),
    "!==": lambda a: not js_strict_equals(a[0], a[1] if len(a) > 1 else None),
    ">": lambda a: js_less(a[1] if len(a) > 1 else None, a[0]),
    ">=": lambda a: js_less_equal(a[1] if len(a) > 1 else None, a[0]),
    "<": lambda a: _between(a, js_less),
    "<=": lambda a: _between(a, js_less_equal),
    "!": lambda a: not truthy(a[0] if a else None),
    "!!": lambda a: truthy(a[0] if a else None),
    "%": lambda a: number_result(_modulo(a[0], a[1])),
    "log": lambda a: a[0] if a else None,
    "in": _in,
    "cat": lambda a: "".join("" if arg is None else js_string(arg) for arg in a),
    "substr": _substr,
    "+": lambda a: number_result(math.fsum(js_number(arg) for arg in a)) if a else 0,
    "*": lambda a: number_result(math.prod(js_number(arg) for arg in a)),
    "-": lambda a: number_result(_minus(a)),
    "/": lambda a: number_result(_divide(a[0], a[1])),
    "min": lambda a: number_result(_extreme(a, min, math.inf)),
    "max": lambda a: number_result(_extreme(a, max, -math.inf)),
    "merge": _merge,
}

DATA_OPERATIONS: dict[str, Callable[[Data, list[Any]], Any]] = {
    "var": _var,
    "missing": _missing,
    "missing_some": _missing_some,
}

CONTROL_OPERATORS = frozenset({"if", "?:", "and", "or", "filter", "map", "reduce", "all", "none", "some"})


class Evaluator:
    """An evaluator with a set of extra named operators on top of standard JSON Logic."""

    def __init__(self, extensions: Mapping[str, Operation] | None = None) -> None:
        self.operations = {**OPERATIONS, **(extensions or {})}

    @property
    def operators(self) -> frozenset[str]:
        return frozenset(self.operations) | frozenset(DATA_OPERATIONS) | CONTROL_OPERATORS

    def apply(self, rule: Rule, data: Data = None) -> Any:
        if isinstance(rule, list):
            return [self.apply(item, data) for item in rule]
        if not is_logic(rule):
            return rule
        operator = operator_of(rule)
        args = _args(rule)
        if operator in CONTROL_OPERATORS:
            return self._control(operator, args, data)
        values = [self.apply(arg, data) for arg in args]
        if operator in DATA_OPERATIONS:
            return DATA_OPERATIONS[operator](data, values)
        if operator not in self.operations:
            raise RuleError(f"unknown operator {operator!r}")
        try:
            return self.operations[operator](values)
        except IndexError:
            raise RuleError(f"operator {operator!r} is missing arguments") from None

    def _control(self, operator: str, args: list[Any], data: Data) -> Any:
        if operator in ("if", "?:"):
            for i in range(0, len(args) - 1, 2):
                if truthy(self.apply(args[i], data)):
                    return self.apply(args[i + 1], data)
            return self.apply(args[-1], data) if len(args) % 2 == 1 else None
        if operator in ("and", "or"):
            value = None
            for arg in args:
                value = self.apply(arg, data)
                if truthy(value) == (operator == "or"):
                    return value
            return value
        items = self.apply(args[0], data) if args else None
        items = items if isinstance(items, list) else []
        logic = args[1] if len(args) > 1 else None
        if operator == "filter":
            return [item for item in items if truthy(self.apply(logic, item))]
        if operator == "map":
            return [self.apply(logic, item) for item in items]
        if operator == "reduce":
            accumulator = self.apply(args[2], data) if len(args) > 2 else None
            for item in items:
                accumulator = self.apply(logic, {"current": item, "accumulator": accumulator})
            return accumulator
        if operator == "all":
            return bool(items) and all(truthy(self.apply(logic, item)) for item in items)
        if operator == "some":
            return any(truthy(self.apply(logic, item)) for item in items)
        return not any(truthy(self.apply(logic, item)) for item in items)  # none
