"""JavaScript's value conversions, which JSON Logic's answers depend on."""

from __future__ import annotations

import math
import re
from typing import Any

# What JavaScript's String.prototype.trim removes, and so what Number("…") ignores.
JS_WHITESPACE = (
    "\t\n\v\f\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
# A decimal literal as Number("…") reads it (after trimming). Longer texts and
# exponents past two digits are not read as numbers: every database can then
# parse exactly the texts Python parses, with no overflow.
NUMBER_PATTERN = r"^[+\-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+\-]?[0-9]{1,2})?$"
MAX_NUMBER_TEXT = 30
_NUMBER = re.compile(NUMBER_PATTERN)


def truthy(value: Any) -> bool:
    """JSON Logic truthiness: JavaScript's, except that an empty array is false too."""
    if isinstance(value, list):
        return len(value) > 0
    if isinstance(value, float):
        return not (value == 0 or math.isnan(value))
    if isinstance(value, dict):
        return True
    return bool(value)


def js_string(value: Any) -> str:
    """String(value) in JavaScript."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    if isinstance(value, list):
        return ",".join("" if item is None else js_string(item) for item in value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)


def js_number(value: Any) -> float:
    """Number(value) in JavaScript, for decimal strings only.

    JavaScript also reads "0x1F", "Infinity" and numbers of any length; we
    deliberately treat those as not-a-number, so the database (which has no such
    parsing) gives the same answer.
    """
    if value is None or value is False:
        return 0.0
    if value is True:
        return 1.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip(JS_WHITESPACE)
        if text == "":
            return 0.0
        return float(text) if len(text) <= MAX_NUMBER_TEXT and _NUMBER.match(text) else math.nan
    if isinstance(value, list):
        return js_number(js_string(value))
    return math.nan


def _primitive(value: Any) -> Any:
    return js_string(value) if isinstance(value, list | dict) else value


def js_strict_equals(a: Any, b: Any) -> bool:
    """`===`: same type and value; arrays and objects only equal to themselves."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    if isinstance(a, list | dict) or isinstance(b, list | dict):
        return a is b
    return type(a) is type(b) and a == b


def js_equals(a: Any, b: Any) -> bool:
    """`==`: JavaScript's abstract equality."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, list | dict) and isinstance(b, list | dict):
        return a is b
    if isinstance(a, bool):
        return js_equals(js_number(a), b)
    if isinstance(b, bool):
        return js_equals(a, js_number(b))
    if isinstance(a, list | dict) or isinstance(b, list | dict):
        return js_equals(_primitive(a), _primitive(b))
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    return js_number(a) == js_number(b)


def js_less(a: Any, b: Any) -> bool:
    """`a < b`: strings compare as strings, anything else as numbers (NaN is never less)."""
    a, b = _primitive(a), _primitive(b)
    if isinstance(a, str) and isinstance(b, str):
        return a < b
    x, y = js_number(a), js_number(b)
    return not (math.isnan(x) or math.isnan(y)) and x < y


def js_less_equal(a: Any, b: Any) -> bool:
    """`a <= b`: like `<`, and likewise false whenever a number is NaN."""
    a, b = _primitive(a), _primitive(b)
    if isinstance(a, str) and isinstance(b, str):
        return a <= b
    x, y = js_number(a), js_number(b)
    return not (math.isnan(x) or math.isnan(y)) and x <= y
