"""Hiding sensitive values from roles that may not see them.

A masking rule names a field (`title`, `content`, `metadata.customer`, …) or a
pattern found inside text, and how to hide it. The service applies the rules to
every document it returns, so no page can forget to mask.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import re2  # type: ignore[import-untyped]

from superinsight.rules.regex import ESCAPABLE, PatternError, check_pattern

Method = Literal["mask", "hash", "redact", "partial"]
METHODS: tuple[Method, ...] = ("mask", "hash", "redact", "partial")
MAX_PATTERN = 300
TEXT_FIELDS = ("title", "content", "external_id")
PATTERN_FIELDS = (*TEXT_FIELDS, "metadata", "tags")
"""Where a pattern rule looks: every field of a document that holds text a person wrote."""


class MaskingRuleError(ValueError):
    pass


@dataclass(frozen=True)
class MaskingRule:
    field: str | None
    pattern: str | None
    method: Method
    unmasked_roles: frozenset[str] = frozenset()


def check_rule(rule: MaskingRule) -> MaskingRule:
    if (rule.field is None) == (rule.pattern is None):
        raise MaskingRuleError("a masking rule names either a field or a pattern, not both")
    if rule.method not in METHODS:
        raise MaskingRuleError(f"method must be one of {', '.join(METHODS)}")
    if rule.field is not None and not re.fullmatch(
        r"(title|content|external_id|metadata(\.[A-Za-z_]\w{0,63})+)", rule.field
    ):
        raise MaskingRuleError("field must be title, content, external_id or metadata.<key>")
    if rule.pattern is not None:
        if not rule.pattern or len(rule.pattern) > MAX_PATTERN:
            raise MaskingRuleError(f"a pattern has 1 to {MAX_PATTERN} characters")
        try:
            _compiled(rule.pattern)
        except re2.error as exc:
            reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
            raise MaskingRuleError(f"invalid pattern: {reason}") from None
    return rule


@lru_cache(maxsize=128)
def _compiled(pattern: str) -> Any:
    """The pattern on RE2, whose matching time is linear in the text: no pattern can stall a page.

    Leftmost-longest, as POSIX and PostgreSQL read a pattern, so the spans hidden here
    are the spans PostgreSQL strips before searching (see `sql_pattern`).
    """
    options = re2.Options()
    options.log_errors = False
    options.longest_match = True
    return re2.compile(pattern, options)


def finds(pattern: str, text: str) -> bool:
    """Whether a masking pattern finds anything in the text."""
    return _compiled(pattern).search(text) is not None


def strip(text: str, pattern: str) -> str:
    """The text with what the pattern finds replaced by a space: what search may still look at."""
    return str(_compiled(pattern).sub(" ", text))


# RE2's shorthand classes as the explicit ASCII classes they stand for (RE2 reads them as
# ASCII), and its control-character escapes as the characters themselves.
_CLASS_ITEMS = {"d": "0-9", "w": "0-9A-Za-z_", "s": "\t\n\f\r "}
_CONTROLS = {"t": "\t", "n": "\n", "r": "\r", "f": "\f", "v": "\v"}


def sql_pattern(pattern: str) -> str | None:
    """The pattern in the rule language's portable dialect, which PostgreSQL reads as RE2
    does, or None when it cannot be said there (`\\b`, flags, Unicode classes…).

    `.` becomes "anything but a line break", as RE2 reads it by default; with both
    engines finding leftmost-longest spans, PostgreSQL's `regexp_replace` then hides
    exactly the spans `apply` hides.
    """
    out: list[str] = []
    in_class = False
    position = 0
    while position < len(pattern):
        char, following = pattern[position], pattern[position + 1 : position + 2]
        position += 1
        if char == "\\":
            position += 1
            translated = _escape(following, in_class)
            if translated is None:
                return None
            out.append(translated)
        elif char == "." and not in_class:
            out.append("[^\n]")
        elif char == "-" and in_class and (out[-1] in ("[", "[^") or following == "]"):
            out.append("\\-")  # a class's first or last `-` is itself; the dialect wants it escaped
        elif char == "[" and not in_class:
            in_class = True
            out.append("[^" if following == "^" else "[")
            position += following == "^"
        else:
            in_class = in_class and char != "]"
            out.append(char)
    try:
        return check_pattern("".join(out))
    except PatternError:
        return None


def _escape(escaped: str, in_class: bool) -> str | None:
    """RE2's `\\x` in the portable dialect, or None when it has no spelling there."""
    if escaped in ESCAPABLE:
        return "\\" + escaped
    if escaped and not escaped.isalnum() and escaped.isascii():
        return escaped  # RE2 reads `\/`, `\@`… as the character itself
    if escaped in _CONTROLS:
        return _CONTROLS[escaped]
    items = _CLASS_ITEMS.get(escaped.lower())
    if items is None or (in_class and escaped.isupper()):
        return None
    if in_class:
        return items
    return f"[^{items}]" if escaped.isupper() else f"[{items}]"


def hide(value: Any, method: Method, key: bytes) -> Any:
    """The value as a role without access sees it. Hashes are keyed, so equal values still
    look equal (joins and counts keep working) but cannot be looked up without the key."""
    if value is None:
        return None
    text = str(value)
    if method == "redact":
        return "[redacted]"
    if method == "hash":
        return "#" + hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:12]
    if method == "partial":
        return "•" * max(len(text) - 4, 0) + text[-4:] if len(text) > 4 else "•" * len(text)
    return "•" * min(len(text), 12)


def _hide_path(data: dict[str, Any], path: list[str], method: Method, key: bytes) -> None:
    head, *rest = path
    if head not in data:
        return
    if rest:
        if isinstance(data[head], dict):
            data[head] = dict(data[head])
            _hide_path(data[head], rest, method, key)
        return
    data[head] = hide(data[head], method, key)


def _hide_pattern(value: Any, pattern: str, method: Method, key: bytes) -> Any:
    """The value with what the pattern finds hidden wherever text can hold it: strings, the
    items of lists, the keys and values of objects, and numbers (read as their digits)."""
    if isinstance(value, str):
        return _compiled(pattern).sub(lambda found: str(hide(found.group(0), method, key)), value)
    if isinstance(value, dict):
        hidden: dict[str, Any] = {}
        for name, item in value.items():
            shown, seen = _hide_pattern(name, pattern, method, key), 1
            while shown in hidden:  # two keys hidden alike both stay: "[redacted]", "[redacted] (2)"
                seen += 1
                shown = f"{_hide_pattern(name, pattern, method, key)} ({seen})"
            hidden[shown] = _hide_pattern(item, pattern, method, key)
        return hidden
    if isinstance(value, list | tuple):
        return [_hide_pattern(item, pattern, method, key) for item in value]
    if isinstance(value, int | float) and not isinstance(value, bool) and finds(pattern, str(value)):
        return _hide_pattern(str(value), pattern, method, key)
    return value


def apply(
    document: dict[str, Any], rules: Sequence[MaskingRule], role: str, may_unmask: bool, key: bytes
) -> dict[str, Any]:
    """A copy of the document with every rule that binds this role applied."""
    masked = dict(document)
    for rule in rules:
        if may_unmask or role in rule.unmasked_roles:
            continue
        if rule.field is not None:
            _hide_path(masked, rule.field.split("."), rule.method, key)
        elif rule.pattern is not None:
            for name in PATTERN_FIELDS:
                if name in masked:
                    masked[name] = _hide_pattern(masked[name], rule.pattern, rule.method, key)
    return masked
