"""`auth_scheme` takes the SDK's decision between a legacy token and a JWT, without the SDK's client.

`ping` checks the key over plain httpx so a health check does not import the SDK; the key
must be sent as the SDK sends it, or a key the SDK would accept is reported as refused.
Each case is compared with the SDK's own `TokensClientExt`, which decides at construction.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st
from label_studio_sdk.core.api_error import ApiError
from label_studio_sdk.tokens.client_ext import TokensClientExt

from superinsight.adapters.labelstudio import auth_scheme
from superinsight.adapters.labelstudio_errors import LabelStudioError

SECRET = "a signing key the client never checks, long enough for HS256"


def _jwt(**claims: Any) -> str:
    return jwt.encode(claims, SECRET, algorithm="HS256")


def _sdk(api_key: str) -> str:
    """What the SDK does with the key: "Token", "Bearer", or "refused" (its ApiError 401)."""
    try:
        legacy = TokensClientExt(base_url="http://label-studio.invalid", api_key=api_key)._use_legacy_token
    except ApiError as exc:
        assert exc.status_code == 401
        return "refused"
    return "Token" if legacy else "Bearer"


def _ours(api_key: str) -> str:
    try:
        return auth_scheme(api_key, datetime.now(UTC))
    except LabelStudioError as exc:
        assert "the API key was refused (HTTP 401)" in str(exc)
        return "refused"


HOUR = 3600
CASES = {
    "a legacy token (40 hex digits)": ("0123456789abcdef0123456789abcdef01234567", "Token"),
    "three segments that are not a JWT": ("not.a.jwt", "Token"),
    "a JWT missing its signature segment": (_jwt(exp=int(time.time()) + HOUR).rsplit(".", 1)[0], "Token"),
    "a personal access token": (_jwt(token_type="refresh", exp=int(time.time()) + HOUR), "Bearer"),
    "an access token": (_jwt(token_type="access", exp=int(time.time()) + HOUR), "Bearer"),
    "an expired personal access token": (_jwt(token_type="refresh", exp=int(time.time()) - HOUR), "refused"),
    "a JWT without an expiry": (_jwt(token_type="refresh"), "refused"),
}


@pytest.mark.parametrize(("api_key", "expected"), CASES.values(), ids=CASES.keys())
def test_the_scheme_is_the_sdks(api_key: str, expected: str) -> None:
    assert (_ours(api_key), _sdk(api_key)) == (expected, expected)


@given(st.text())
def test_any_text_gets_the_sdks_scheme(api_key: str) -> None:
    assert _ours(api_key) == _sdk(api_key)


@given(
    st.one_of(st.none(), st.integers(60, 10**9), st.integers(-(10**9), -60)),
    st.dictionaries(st.sampled_from(["token_type", "user_id", "jti", "iat"]), st.integers(0, 10**6)),
)
def test_any_jwt_gets_the_sdks_scheme(expires_in: int | None, claims: dict[str, Any]) -> None:
    if expires_in is not None:
        claims["exp"] = int(time.time()) + expires_in
    api_key = _jwt(**claims)
    assert _ours(api_key) == _sdk(api_key)
