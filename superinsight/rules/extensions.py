"""Operators the workbench adds to JSON Logic, for conditions analysts write every day.

| operator | arguments | true when |
|---|---|---|
| `contains` | text, fragment | the text contains the fragment, ignoring ASCII case |
| `starts_with` | text, prefix | the text starts with the prefix, ignoring ASCII case |
| `ends_with` | text, suffix | the text ends with the suffix, ignoring ASCII case |
| `regex` | text, pattern | the pattern matches anywhere in it (the dialect in `rules.regex`) |
| `date_before` | value, date | both are ISO dates (`YYYY-MM-DD…`) and the value's day is earlier |
| `date_after` | value, date | both are ISO dates and the value's day is later |

Each returns false, never an error, when a value is not text (or not a date):
a rule must not break on one odd document. Case folding is ASCII-only so that
every database gives the same answer as Python.
"""

from __future__ import annotations

import re
from typing import Any

from superinsight.rules.jsonlogic import Evaluator
from superinsight.rules.operations import Operation
from superinsight.rules.regex import MAX_PATTERN_LENGTH, PatternError, check_pattern, regexp, search

ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_lower(text: str) -> str:
    return text.translate(_ASCII_LOWER)


def _texts(args: list[Any]) -> tuple[str, str] | None:
    if len(args) < 2 or not isinstance(args[0], str) or not isinstance(args[1], str):
        return None
    return args[0], args[1]


def _contains(args: list[Any]) -> bool:
    pair = _texts(args)
    return pair is not None and ascii_lower(pair[1]) in ascii_lower(pair[0])


def _starts_with(args: list[Any]) -> bool:
    pair = _texts(args)
    return pair is not None and ascii_lower(pair[0]).startswith(ascii_lower(pair[1]))


def _ends_with(args: list[Any]) -> bool:
    pair = _texts(args)
    return pair is not None and ascii_lower(pair[0]).endswith(ascii_lower(pair[1]))


def _regex(args: list[Any]) -> bool:
    pair = _texts(args)
    if pair is None:
        return False
    try:
        return search(pair[1], pair[0])
    except PatternError:
        return False


def _dates(args: list[Any]) -> tuple[str, str] | None:
    pair = _texts(args)
    if pair is None or not (ISO_DATE.match(pair[0]) and ISO_DATE.match(pair[1])):
        return None
    return pair[0][:10], pair[1][:10]


def _date_before(args: list[Any]) -> bool:
    pair = _dates(args)
    return pair is not None and pair[0] < pair[1]


def _date_after(args: list[Any]) -> bool:
    pair = _dates(args)
    return pair is not None and pair[0] > pair[1]


EXTENSIONS: dict[str, Operation] = {
    "contains": _contains,
    "starts_with": _starts_with,
    "ends_with": _ends_with,
    "regex": _regex,
    "date_before": _date_before,
    "date_after": _date_after,
}

WORKBENCH = Evaluator(EXTENSIONS)

__all__ = [
    "EXTENSIONS",
    "ISO_DATE",
    "MAX_PATTERN_LENGTH",
    "WORKBENCH",
    "PatternError",
    "ascii_lower",
    "check_pattern",
    "regexp",
]
