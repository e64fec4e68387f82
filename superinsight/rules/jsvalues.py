"""JavaScript's value conversions, which JSON Logic's answers depend on."""

from __future__ import annotations

import math
import re
from decimal import Decimal
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
# The longest prefix parseFloat reads (after leading whitespace).
# Written so that no text can be split two ways: linear time on any input.
_PARSE_FLOAT = re.compile(r"[+-]?(?:Infinity|(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")
# The most characters a text built by a rule may hold (cat, substr, arrays turned into text).
MAX_TEXT = 1_000_000


class RuleError(ValueError):
    """A rule that cannot be evaluated: an unknown operator, malformed arguments, or too costly."""


class _Undefined:
    """JavaScript's undefined: what reading a property that is not there gives."""

    def __repr__(self) -> str:
        return "undefined"


UNDEFINED: Any = _Undefined()


def truthy(value: Any) -> bool:
    """JSON Logic truthiness: JavaScript's, except that an empty array is false too."""
    if isinstance(value, list):
        return len(value) > 0
    if isinstance(value, float):
        return not (value == 0 or math.isnan(value))
    if isinstance(value, dict):
        return True
    if value is UNDEFINED:
        return False
    return bool(value)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def int_to_float(value: int) -> float:
    """An integer as a JavaScript number: rounded to a double, past its range Infinity."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def js_number_string(value: float) -> str:
    """Number::toString in JavaScript: shortest round-trip digits, laid out as JavaScript does."""
    if math.isnan(value):
        return "NaN"
    if value == 0:
        return "0"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    sign = "-" if value < 0 else ""
    _, digit_tuple, exponent = Decimal(repr(abs(value))).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    k = len(digits)
    n = int(exponent) + k  # value = 0.digits * 10**n
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + digits
    e = n - 1
    mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
    return f"{sign}{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"


def js_string(value: Any, limit: int = MAX_TEXT) -> str:
    """String(value) in JavaScript; a text longer than `limit` is refused."""
    parts: list[str] = []
    _write(value, parts, limit, 0)
    return "".join(parts)


def _write(value: Any, parts: list[str], limit: int, size: int) -> int:
    if isinstance(value, list):
        for index, item in enumerate(value):
            if index:
                parts.append(",")
                size += 1
            if item is not None and item is not UNDEFINED:
                size = _write(item, parts, limit, size)
            if size > limit:
                break
    else:
        text = _scalar_string(value)
        parts.append(text)
        size += len(text)
    if size > limit:
        raise RuleError(f"a text built by the rule would exceed {limit:,} characters")
    return size


def _scalar_string(value: Any) -> str:
    if value is None:
        return "null"
    if value is UNDEFINED:
        return "undefined"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return js_number_string(int_to_float(value))
    if isinstance(value, float):
        return js_number_string(value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)


def js_number(value: Any) -> float:
    """Number(value) in JavaScript, for decimal text only.

    JavaScript also reads "0x1F", "0b1", "0o7", "Infinity" and decimal texts of any
    length; we deliberately read those as not-a-number, so both databases (which
    have no such parsing) give the same answer.
    """
    if value is None or value is False:
        return 0.0
    if value is True:
        return 1.0
    if isinstance(value, int):
        return int_to_float(value)
    if isinstance(value, float):
        return value
    if isinstance(value, str):
        return read_number_text(value)
    if isinstance(value, list):
        if len(value) == 1 and (is_number(value[0]) or isinstance(value[0], list)):
            number = js_number(value[0])  # String(x) reads back as x, minus zero as 0
            return 0.0 if number == 0 else number
        return js_number(js_string(value))
    return math.nan


def decimal_number_text(value: str) -> float:
    """Number(text) for decimal text of at most 30 characters with a two-digit exponent; NaN otherwise."""
    text = value.strip(JS_WHITESPACE)
    if text == "":
        return 0.0
    return float(text) if len(text) <= MAX_NUMBER_TEXT and _NUMBER.match(text) else math.nan


_JS_DECIMAL = _PARSE_FLOAT
_JS_RADIX = re.compile(r"0(?:[xX](?P<hex>[0-9a-fA-F]+)|[bB](?P<binary>[01]+)|[oO](?P<octal>[0-7]+))")


def javascript_number_text(value: str) -> float:
    """Number(text) exactly as JavaScript reads it, hex, binary, octal and Infinity included.

    Not what the evaluator uses (see `decimal_number_text`); the differential test
    uses it to tell the deliberate difference from any other.
    """
    text = value.strip(JS_WHITESPACE)
    if text == "":
        return 0.0
    if _JS_DECIMAL.fullmatch(text):
        if text.endswith("Infinity"):
            return -math.inf if text.startswith("-") else math.inf
        return float(text)
    radix = _JS_RADIX.fullmatch(text)
    if radix:
        hex_digits, binary, octal = radix.groups()
        digits, base = (hex_digits, 16) if hex_digits else (binary, 2) if binary else (octal, 8)
        return int_to_float(int(digits, base))
    return math.nan


# How the evaluator reads text as a number; a hook only so the differential test can swap it.
read_number_text = decimal_number_text


def js_parse_float(value: Any) -> float:
    """parseFloat(value) in JavaScript: the longest decimal prefix of the value's text."""
    if is_number(value):
        number = js_number(value)
        return 0.0 if number == 0 else number  # String(-0) is "0"
    match = _PARSE_FLOAT.match(js_string(value).lstrip(JS_WHITESPACE))
    if match is None:
        return math.nan
    text = match.group(0)
    if text.endswith("Infinity"):
        return -math.inf if text.startswith("-") else math.inf
    return float(text)


def js_integer(value: Any) -> float:
    """ToIntegerOrInfinity: Number, NaN as 0, truncated towards zero."""
    number = js_number(value)
    if math.isnan(number):
        return 0.0
    return number if math.isinf(number) else float(math.trunc(number))


def _primitive(value: Any) -> Any:
    return js_string(value) if isinstance(value, list | dict) else value


def js_strict_equals(a: Any, b: Any) -> bool:
    """`===`: same type and value; arrays and objects only equal to themselves."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if is_number(a) and is_number(b):
        return js_number(a) == js_number(b)
    if isinstance(a, list | dict) or isinstance(b, list | dict):
        return a is b
    return type(a) is type(b) and a == b


def js_equals(a: Any, b: Any) -> bool:
    """`==`: JavaScript's abstract equality."""
    if a is None or b is None or a is UNDEFINED or b is UNDEFINED:
        return (a is None or a is UNDEFINED) and (b is None or b is UNDEFINED)
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
