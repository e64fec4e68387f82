"""The one regex dialect: what it refuses and why, and that its engine is linear and agrees with Python."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings

from superinsight.rules.regex import PatternError, check_pattern, regexp, search
from tests.unit.rule_strategies import portable_patterns, regex_texts


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("[[:alpha:]]", r"\[:alpha:\]"),
        ("a{,3}", "starts a count"),
        ("a*+", "possessive"),
        ("a+?", "lazy"),
        ("a{256}", "at most 255"),
        ("a{1", "never closed"),
        ("a{1,", "never closed"),
        ("[a-c-e]", "a-c-e"),
        ("[a-]", "written \\\\-"),
        ("[z-a]", "not portable"),
        ("[a-Z]", "not portable"),
        ("[é-ü]", "not portable"),
        ("(a)\\1", r"\\1 is not supported"),
        ("\\d+", r"\\d is not supported"),
        ("(?=x)", "lookarounds"),
        ("(?i)x", "flags"),
        ("(a+)+", "forever"),
        ("(a*)*", "forever"),
        ("(a?)*", "forever"),
        ("(a{2,}){3}", "forever"),
        ("a^b", "only start"),
        ("a$b", "only end"),
        ("a)", "closes no group"),
        ("(a", "never closed"),
        ("[a", "never closed"),
        ("[]a]", "empty class"),
        ("a|", "alternative is empty"),
        ("()", "alternative is empty"),
        ("*a", "repeats nothing"),
        ("a}", "lone }"),
        ("a]", "lone ]"),
        ("a\\", "cannot end"),
        ("x{2,1}", "goes down"),
        ("(a{200}){200}", "repeats too much"),
        ("(.{200}){9}x", "repeats too much"),  # RE2 itself refuses it
        ("", "empty"),
        ("x" * 201, "at most 200"),
        ("a\0", "NUL"),
    ],
)
def test_patterns_outside_the_dialect_are_refused_with_the_reason(pattern: str, reason: str) -> None:
    with pytest.raises(PatternError, match=reason):
        check_pattern(pattern)


@pytest.mark.parametrize(
    "pattern",
    [
        "^INV-[0-9]+",
        "a|b",
        "(ab)?c",
        "x{1,2}",
        "x{2,}",
        "[^a-z\\-]",
        "\\.pdf$",
        "((ab){3}){4}",
        "(a|a)*b",
        "é+",
    ],
)
def test_portable_patterns_are_accepted(pattern: str) -> None:
    assert check_pattern(pattern) == pattern


def test_search_is_linear_in_the_text() -> None:
    started = time.perf_counter()
    assert not search("(a|a)*b", "a" * 100_000)
    assert not search("(a|aa)*c", "a" * 100_000)
    assert time.perf_counter() - started < 0.5


def test_dot_matches_newlines_and_dollar_only_the_very_end() -> None:
    assert search("a.b", "a\nb")
    assert not search("a$", "a\n")
    assert not search("^b", "a\nb")


def test_sqlite_regexp_uses_the_same_engine() -> None:
    assert regexp("a.b", "a\nb") is True
    assert regexp("a", None) is None
    assert regexp("\\d", "1") is False  # outside the dialect: matches nothing
    assert regexp("x", "\ud800x") is True  # a lone surrogate does not break it


@settings(max_examples=400, deadline=None)
@given(pattern=portable_patterns, text=regex_texts)
def test_the_dialect_reads_the_same_on_re2_and_python(pattern: str, text: str) -> None:
    assert search(pattern, text) == (
        re.search(pattern, text, re.DOTALL) is not None and _no_newline_dollar(pattern, text)
    )


def _no_newline_dollar(pattern: str, text: str) -> bool:
    """Python's $ also matches before a final newline; RE2's and PostgreSQL's only at the end."""
    if not pattern.endswith("$") or pattern.endswith("\\$"):
        return True
    return re.search(pattern[:-1] + r"\Z", text, re.DOTALL) is not None
