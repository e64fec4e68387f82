"""The password policy: long enough, not made of the email address, not common."""

from __future__ import annotations

import secrets

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from superinsight.services.errors import InvalidInputError
from superinsight.services.security.passwords import MIN_PASSWORD_LENGTH, check_password

EMAIL = "ana.lopez@acme-corp.example"


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short", "at least 12"),
        ("elevenchars", "at least 12"),
        (" leading space ok?", "spaces"),
        ("trailing space ok ", "spaces"),
        ("x" * 1001, "longer than 1000"),
        ("a\x00long enough passphrase", "NUL"),
        ("a\ud800long enough passphrase", "surrogate"),
        # the email and its parts, in several spellings
        (EMAIL, "email address"),
        (EMAIL.upper(), "email address"),
        ("ana.lopez@acme-corp.example!", "email address"),
        ("Ana.Lopez2024!", "email address"),
        ("acme-corp.example", "email address"),
        ("ACME-CORP.EXAMPLE#1", "email address"),
        ("lopezlopez12", "email address"),
        ("anaacmelopez1", "email address"),
        # common, keyboard walks, repeats, dates, leet spellings of common words
        ("password1234", "stronger"),
        ("Password123!", "stronger"),
        ("P@ssw0rd2024!", "stronger"),
        ("qwertyuiop123", "stronger"),
        ("123456789012", "stronger"),
        ("aaaaaaaaaaaa", "stronger"),
        ("abcabcabcabc", "stronger"),
        ("iloveyou1234", "stronger"),
        ("letmeinletmein", "stronger"),
        ("trustno1trustno1", "stronger"),
        ("1qaz2wsx3edc", "stronger"),
        ("01011990 1990", "stronger"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password: str, reason: str) -> None:
    with pytest.raises(InvalidInputError, match=reason):
        check_password(password, EMAIL)


@pytest.mark.parametrize(
    "password",
    ["a long enough passphrase", "Quiet-Harbour-Lantern-92", "xK3_p9Qr-t2Lm", "banana bread at sunrise"],
)
def test_strong_passwords_pass(password: str) -> None:
    check_password(password, EMAIL)


@settings(max_examples=200)
@given(
    role=st.sampled_from(["admin", "analyst", "annotator", "viewer"]),
    tenant=st.sampled_from(["demo", "acme"]),
)
def test_the_demo_accounts_generated_passwords_pass(role: str, tenant: str) -> None:
    # what services.demo.seed.ensure_demo_users generates
    check_password(secrets.token_urlsafe(12), f"{role}@{tenant}.example")


@given(st.text(max_size=MIN_PASSWORD_LENGTH - 1))
def test_anything_shorter_than_the_minimum_is_refused(password: str) -> None:
    with pytest.raises(InvalidInputError):
        check_password(password, EMAIL)
