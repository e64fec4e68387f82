"""Labeling configs cannot carry code."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from superinsight.guards import GuardError, check_label_config

GOOD = (
    '<View><Text name="text" value="$text"/>'
    '<Choices name="c" toName="text"><Choice value="a"/></Choices></View>'
)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><View>&a;</View>', "DOCTYPE or entities"),
        ("<View><script>alert(1)</script></View>", "<script> is not allowed"),
        ('<View><Text name="t" value="$t" onclick="steal()"/></View>', "'onclick' is not allowed"),
        ('<View><HyperText name="h" value="javascript:alert(1)"/></View>', "not allowed"),
        ("<Text/>", "starts with <View>"),
        ("<View>", "not valid XML"),
        ("<View>" + "<View>" * 30 + "</View>" * 30 + "</View>", "too large or too deeply nested"),
        ("<View>" + "x" * 100_001 + "</View>", "at most 100,000 characters"),
    ],
)
def test_unsafe_label_configs_are_refused(config: str, message: str) -> None:
    with pytest.raises(GuardError, match=message):
        check_label_config(config)


def test_a_plain_label_config_passes() -> None:
    assert check_label_config(GOOD) == GOOD


@given(st.text(max_size=300))
def test_any_config_text_is_refused_cleanly_or_accepted(config: str) -> None:
    try:
        check_label_config(config)
    except GuardError as exc:
        assert str(exc)
