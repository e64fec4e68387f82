"""Masking hides what a role may not see, and nothing else."""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from superinsight.masking import MaskingRule, MaskingRuleError, apply, check_rule, hide

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
