"""Connection URLs cannot reach local files or internal services; labeling configs cannot carry code."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from superinsight.guards import GuardError, check_connection_url, check_label_config


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", "addresses must start with"),
        ("sqlite:////etc/passwd", "SQLite files are local files"),
        ("postgresql://u@127.0.0.1/db", "internal address"),
        ("postgresql://u@localhost/db", "internal address"),
        ("http://169.254.169.254/latest/meta-data", "internal address"),
        ("https://10.1.2.3/api", "internal address"),
        ("http://[::1]:8080/", "internal address"),
        ("mysql://u@0.0.0.0/db", "internal address"),
        ("gopher://example.com/", "addresses must start with"),
        ("postgresql://", "names no host"),
        ("http://no-such-host.invalid/", "cannot be found"),
    ],
)
def test_unsafe_addresses_are_refused(url: str, message: str) -> None:
    with pytest.raises(GuardError, match=message):
        check_connection_url(url)


def test_public_addresses_pass_and_admins_may_allow_internal_ones() -> None:
    assert check_connection_url("https://93.184.215.14/api") == "https://93.184.215.14/api"
    assert check_connection_url("postgresql://u@127.0.0.1/db", allow_internal=True)
    assert check_connection_url("sqlite:///data.db", allow_internal=True)


@given(st.text(max_size=200))
def test_any_text_is_refused_cleanly_or_accepted(url: str) -> None:
    try:
        check_connection_url(url)
    except GuardError as exc:
        assert str(exc)


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
