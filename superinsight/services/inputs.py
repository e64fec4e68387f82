"""Checks for what people type, shared by every service that takes text.

Both stores must refuse the same things the same way, with a `ServiceError` that
says what is wrong, before anything is written: PostgreSQL rejects a NUL in text and
JSON and SQLite keeps it silently; neither can encode a lone surrogate; PostgreSQL's
JSON refuses NaN and Infinity and SQLite keeps them; a column has a length. So every
value a person or a file supplies is checked here first.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from superinsight.documents.record import MAX_NESTING
from superinsight.services.errors import InvalidInputError

MAX_DEPTH = MAX_NESTING
MAX_ITEMS = 10_000
MAX_FILTER_VALUES = 100
_SURROGATE = re.compile("[\ud800-\udfff]")


def _text_problem(value: str) -> str | None:
    if "\x00" in value:
        return "contains a NUL character"
    if _SURROGATE.search(value):
        return "contains a character that is not valid Unicode (a lone surrogate)"
    return None


_NOT_FINITE = "contains a number that is NaN or infinite, which JSON cannot hold"


def _first_problem(value: Any, max_depth: int, depth: int = 0) -> str | None:
    """What makes a value unstorable (a NUL, a lone surrogate, NaN, nesting too deep), or None."""
    if isinstance(value, str):
        return _text_problem(value)
    if isinstance(value, float):
        return None if math.isfinite(value) else _NOT_FINITE
    if isinstance(value, Mapping | list | tuple):
        if depth >= max_depth:
            return f"is nested deeper than {max_depth} levels"
        items = list(value.items()) if isinstance(value, Mapping) else list(enumerate(value))
        for key, item in items:
            problem = (_first_problem(key, max_depth) if isinstance(key, str | float) else None) or (
                _first_problem(item, max_depth, depth + 1)
            )
            if problem:
                return problem
    return None


def text(value: str, what: str, max_length: int = 255) -> str:
    """The value, if it is text a person could mean: valid Unicode, no NUL, not absurdly long."""
    if not isinstance(value, str):
        raise InvalidInputError(f"{what} must be text")
    if problem := _text_problem(value):
        raise InvalidInputError(f"{what} {problem}")
    if len(value) > max_length:
        raise InvalidInputError(f"{what} is longer than {max_length} characters")
    return value


def plausible(value: str, max_length: int) -> bool:
    """Whether `text` would take the value: for checks whose refusal must not say why (sign-in)."""
    return isinstance(value, str) and _text_problem(value) is None and len(value) <= max_length


def unstorable(value: Any, max_depth: int = MAX_DEPTH) -> str | None:
    """What keeps a JSON-like value out of the stores (a NUL, a lone surrogate, NaN or
    Infinity, nesting too deep), or None."""
    return _first_problem(value, max_depth)


def structure(value: Any, what: str, max_depth: int = MAX_DEPTH) -> Any:
    """A JSON-like value (metadata, a rule body) every store can keep: no NUL, valid Unicode,
    finite numbers, not too deep."""
    if problem := unstorable(value, max_depth):
        raise InvalidInputError(f"{what} {problem}")
    return value


def values(items: Any, what: str, max_count: int = MAX_FILTER_VALUES) -> list[Any]:
    """A list of filter values, not more than a person picks (each a query parameter)."""
    listed = list(items)
    if len(listed) > max_count:
        raise InvalidInputError(f"{what}: at most {max_count} values at once, not {len(listed)}")
    return listed


def printable(value: str, limit: int = 255) -> str:
    """Typed text fit to store or log whatever it holds: NUL and lone surrogates escaped, cut to `limit`."""
    return value[:limit].encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
