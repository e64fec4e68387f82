"""Masking hides what a role may not see, and nothing else."""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from superinsight.masking import MaskingRule, MaskingRuleError, apply, check_rule, hide, sql_pattern, strip

KEY = b"k" * 32
DOC: dict[str, Any] = {
    "title": "Invoice for jane@example.com",
    "content": "Card 4111111111111111, call +1 555 0100",
    "external_id": "INV-1",
    "metadata": {"customer": "Jane Roe", "address": {"city": "Oslo"}, "amount": 120},
}
EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"


def test_field_rules_hide_the_field_for_roles_without_access() -> None:
    rules = [
        MaskingRule("metadata.customer", None, "redact"),
        MaskingRule("metadata.address.city", None, "mask"),
    ]
    masked = apply(DOC, rules, "viewer", False, KEY)
    assert masked["metadata"]["customer"] == "[redacted]"
    assert masked["metadata"]["address"] == {"city": "••••"}
    assert masked["metadata"]["amount"] == 120
    assert DOC["metadata"]["customer"] == "Jane Roe", "the original is left alone"


def test_pattern_rules_hide_matches_inside_text_and_metadata() -> None:
    masked = apply(DOC, [MaskingRule(None, EMAIL, "hash")], "viewer", False, KEY)
    assert "jane@example.com" not in masked["title"]
    assert masked["title"].startswith("Invoice for #")


def test_roles_with_access_see_everything() -> None:
    rules = [MaskingRule("title", None, "redact", frozenset({"annotator"}))]
    assert apply(DOC, rules, "analyst", True, KEY) == DOC
    assert apply(DOC, rules, "annotator", False, KEY) == DOC
    assert apply(DOC, rules, "viewer", False, KEY)["title"] == "[redacted]"


def test_partial_keeps_the_last_four() -> None:
    assert hide("4111111111111111", "partial", KEY) == "••••••••••••1111"
    assert hide("abc", "partial", KEY) == "•••"


@given(st.text(min_size=1), st.text(min_size=1))
def test_keyed_hashes_are_stable_and_tell_values_apart(a: str, b: str) -> None:
    assert hide(a, "hash", KEY) == hide(a, "hash", KEY)
    assert (hide(a, "hash", KEY) == hide(b, "hash", KEY)) == (a == b)
    assert a not in hide(a, "hash", KEY)[1:] or len(a) < 3


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (MaskingRule(None, None, "mask"), "either a field or a pattern"),
        (MaskingRule("title", "x", "mask"), "either a field or a pattern"),
        (MaskingRule("password", None, "mask"), "field must be"),
        (MaskingRule(None, "(a", "mask"), "invalid pattern"),
        (MaskingRule(None, "(a)\\1", "mask"), "invalid pattern"),
        (MaskingRule("title", None, "shred"), "method must be"),  # type: ignore[arg-type]
    ],
)
def test_bad_masking_rules_are_refused(rule: MaskingRule, message: str) -> None:
    with pytest.raises(MaskingRuleError, match=message):
        check_rule(rule)


def test_a_pattern_that_backtracks_forever_elsewhere_masks_in_linear_time() -> None:
    rule = check_rule(MaskingRule(None, "(a+)+$|(a|a)*b", "redact"))
    started = time.perf_counter()
    masked = apply({"content": "a" * 100_000 + "!"}, [rule], "viewer", False, b"k")
    assert time.perf_counter() - started < 1.0
    assert masked["content"].endswith("!")


@pytest.mark.parametrize(
    ("pattern", "portable"),
    [
        (r"\d{4}-\d{4}", "[0-9]{4}-[0-9]{4}"),
        (r"[\w.+-]+@x", r"[0-9A-Za-z_.+\-]+@x"),
        (r"[-\d]", r"[\-0-9]"),
        (r"a.b", "a[^\n]b"),
        (r"\D\/\t", "[^0-9]/\t"),
        (r"[^\s]+", "[^\t\n\f\r ]+"),
        (EMAIL, r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}"),
    ],
)
def test_patterns_are_said_in_the_portable_dialect(pattern: str, portable: str) -> None:
    assert sql_pattern(pattern) == portable


@pytest.mark.parametrize(
    "pattern", [r"\bcard\b", "(?i)card", r"\p{L}+", r"[\D]", "a{,3}", r"(a)\1", "x\\", "[]a]", "(a+)+"]
)
def test_patterns_the_database_would_read_otherwise_have_no_translation(pattern: str) -> None:
    assert sql_pattern(pattern) is None


TRANSLATABLE = [r"\d{3}-\d{2}-\d{4}", EMAIL, r"a|ab|abc", r"x.y", r"[^\s]+@c", r"\D\d", r"(ab|a)(bc|c)?"]


@given(pattern=st.sampled_from(TRANSLATABLE), text=st.text(alphabet="abcxy.-@ \n0123456789_Zé", max_size=40))
def test_the_translation_hides_the_same_spans(pattern: str, text: str) -> None:
    """Read by RE2 again, the portable form finds what the original finds (PostgreSQL's side is an
    integration test: tests/integration/test_masked_search.py)."""
    portable = sql_pattern(pattern)
    assert portable is not None
    assert strip(text, portable) == strip(text, pattern)


def test_a_pattern_hides_its_finds_in_keys_lists_numbers_and_tags() -> None:
    card = "4111-2222-3333-4444"
    document = {
        "title": "t",
        "tags": ["vip", f"card {card}"],
        "metadata": {card: 1, "also": {f"{card}!": "x"}, "n": 4111222233334444, "flag": True, "amount": 12},
    }
    rules = [MaskingRule(None, r"\d{4}-?\d{4}-?\d{4}-?\d{4}", "redact")]
    masked = apply(document, rules, "viewer", False, KEY)
    assert "4111" not in repr(masked)
    assert masked["tags"] == ["vip", "card [redacted]"]
    assert masked["metadata"] == {
        "[redacted]": 1,
        "also": {"[redacted]!": "x"},
        "n": "[redacted]",
        "flag": True,
        "amount": 12,
    }


def test_keys_hidden_alike_both_stay() -> None:
    masked = apply(
        {"metadata": {"a1": 1, "a2": 2}}, [MaskingRule(None, "a[0-9]", "redact")], "viewer", False, KEY
    )
    assert masked["metadata"] == {"[redacted]": 1, "[redacted] (2)": 2}
