"""Operators the workbench adds to JSON Logic, for conditions analysts write every day.

| operator | arguments | true when |
|---|---|---|
| `contains` | text, fragment | the text contains the fragment, ignoring ASCII case |
| `starts_with` | text, prefix | the text starts with the prefix, ignoring ASCII case |
| `ends_with` | text, suffix | the text ends with the suffix, ignoring ASCII case |
| `regex` | text, pattern | the pattern (a portable regular expression) matches anywhere in it |
| `date_before` | value, date | both are ISO dates (`YYYY-MM-DD…`) and the value's day is earlier |
| `date_after` | value, date | both are ISO dates and the value's day is later |

Each returns false, never an error, when a value is not text (or not a date):
a rule must not break on one odd document. Case folding is ASCII-only so that
every database gives the same answer as Python.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from superinsight.rules.jsonlogic import Evaluator, Operation

ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

# The regular expressions both Python and PostgreSQL read the same way: literal
# characters, classes, groups, alternation and greedy quantifiers. No anchors
# other than a leading ^, no backslash classes, no lookaround or flags.
PORTABLE_REGEX = re.compile(
    r"^\^?(?:[A-Za-z0-9 _\-.,:;/@#%&=+'\"!<>~]|\\[.+*?()|\[\]{}^$\\-]|[][()|*+?{}]|\^)*$"
)
MAX_PATTERN_LENGTH = 200


class PatternError(ValueError):
    pass


def ascii_lower(text: str) -> str:
    return text.translate(_ASCII_LOWER)


def check_pattern(pattern: Any) -> str:
    """Refuse patterns that are not text, too long, invalid, or outside the portable subset."""
    if not isinstance(pattern, str):
        raise PatternError("a regex pattern must be text")
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise PatternError(f"a regex pattern may be at most {MAX_PATTERN_LENGTH} characters")
    if not PORTABLE_REGEX.match(pattern):
        raise PatternError(
            "regex patterns may use letters, digits, punctuation, [classes], (groups), | and "
            "the quantifiers * + ? {m,n}; backslash classes such as \\d, anchors other than a "
            "leading ^, and lookarounds are not supported"
        )
    if re.search(r"(?<!\\)\(\?", pattern):
        raise PatternError("(?…) groups, flags and lookarounds are not supported")
    if "^" in pattern[1:].replace("\\^", "").replace("[^", ""):
        raise PatternError("^ may only start a pattern")
    try:
        _compiled(pattern)
    except re.error as exc:
        raise PatternError(f"invalid regex: {exc}") from None
    if re.search(r"\)[*+?{]", pattern) and re.search(r"[*+?}]\)", pattern):
        raise PatternError("nested quantifiers such as (a+)+ can take forever and are not allowed")
    return pattern


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.DOTALL)


def regexp(pattern: Any, text: Any) -> bool | None:
    """SQLite's `text REGEXP pattern`, with the same flags the evaluator uses.

    SQLite may call it on any value (it does not promise to test the value's kind
    first); only text can match.
    """
    if not isinstance(pattern, str) or not isinstance(text, str):
        return None
    return _compiled(pattern).search(text) is not None


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
        pattern = check_pattern(pair[1])
    except PatternError:
        return False
    return _compiled(pattern).search(pair[0]) is not None


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
