"""JSON Logic's standard operators on values, computed as json-logic-js does: apart from evaluating rules."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from superinsight.rules.jsvalues import (
    UNDEFINED,
    RuleError,
    js_equals,
    js_integer,
    js_less,
    js_less_equal,
    js_number,
    js_parse_float,
    js_strict_equals,
    js_string,
    truthy,
)


def _substr(args: list[Any]) -> str:
    source = js_string(args[0] if args else None)
    start = args[1] if len(args) > 1 else None
    if len(args) > 2 and js_less(args[2], 0):
        rest = _js_substr(source, start, UNDEFINED)
        end = args[2]
        # `temp.length + end` in JavaScript: text, arrays and objects make it a concatenation.
        concatenated = isinstance(end, str | list | dict)
        length = f"{len(rest)}{js_string(end)}" if concatenated else len(rest) + js_number(end)
        return _js_substr(rest, 0, length)
    return _js_substr(source, start, args[2] if len(args) > 2 else UNDEFINED)


def _js_substr(source: str, start: Any, length: Any) -> str:
    """String.prototype.substr(start, length)."""
    size = len(source)
    first = js_integer(start)
    if first < 0:
        first = max(size + first, 0)
    first = min(first, size)
    count = size if length is UNDEFINED else js_integer(length)
    count = min(max(count, 0), size)
    end = min(first + count, size)
    return source[int(first) : int(end)]


def _in(args: list[Any]) -> bool:
    needle, haystack = [*args, None, None][:2]
    if isinstance(haystack, str):
        return haystack != "" and js_string(needle) in haystack
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
        if x == 0 or math.isnan(x) or math.isnan(y):
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


def _plus(args: list[Any]) -> float:
    total = 0.0
    for arg in args:
        total = js_parse_float(total) + js_parse_float(arg)
    return total


def _times(args: list[Any]) -> Any:
    if not args:
        raise RuleError("'*' needs at least one argument")
    if len(args) == 1:
        return args[0]  # json-logic-js reduces without a start: one argument comes back as it is
    product = args[0]
    for arg in args[1:]:
        product = js_parse_float(product) * js_parse_float(arg)
    return number_result(product)


def _extreme(args: list[Any], smallest: bool) -> float:
    """Math.min and Math.max: NaN if any is NaN; -0 is below +0."""
    best = math.inf if smallest else -math.inf
    numbers = [js_number(arg) for arg in args]
    for number in numbers:
        if math.isnan(number):
            return math.nan
        if number == best == 0:
            if math.copysign(1, number) < 0 if smallest else math.copysign(1, number) > 0:
                best = number
        elif (number < best) if smallest else (number > best):
            best = number
    return best


def number_result(value: Any) -> Any:
    """JavaScript has one number type; integers read better as int in Python (minus zero stays a float)."""
    if (
        isinstance(value, float)
        and value.is_integer()
        and abs(value) < 2**53
        and not (value == 0 and math.copysign(1, value) < 0)
    ):
        return int(value)
    return value


Operation = Callable[[list[Any]], Any]


def _second(a: list[Any]) -> Any:
    return a[1] if len(a) > 1 else None


OPERATIONS: dict[str, Operation] = {
    "==": lambda a: js_equals(a[0] if a else None, _second(a)),
    "===": lambda a: js_strict_equals(a[0] if a else None, _second(a)),
    "!=": lambda a: not js_equals(a[0] if a else None, _second(a)),
    "!==": lambda a: not js_strict_equals(a[0] if a else None, _second(a)),
    ">": lambda a: js_less(_second(a), a[0] if a else None),
    ">=": lambda a: js_less_equal(_second(a), a[0] if a else None),
    "<": lambda a: _between(a, js_less) if a else False,
    "<=": lambda a: _between(a, js_less_equal) if a else False,
    "!": lambda a: not truthy(a[0] if a else None),
    "!!": lambda a: truthy(a[0] if a else None),
    "%": lambda a: number_result(_modulo(a[0] if a else None, _second(a))),
    "log": lambda a: a[0] if a else None,
    "in": _in,
    "cat": lambda a: "".join("" if arg is None else js_string(arg) for arg in a),
    "substr": _substr,
    "+": lambda a: number_result(_plus(a)),
    "*": _times,
    "-": lambda a: number_result(_minus(a)) if a else math.nan,
    "/": lambda a: number_result(_divide(a[0] if a else None, _second(a))),
    "min": lambda a: number_result(_extreme(a, smallest=True)),
    "max": lambda a: number_result(_extreme(a, smallest=False)),
    "merge": _merge,
}
