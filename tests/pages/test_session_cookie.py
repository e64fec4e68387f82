"""Staying signed in: the cookie route (what it sets, refuses and clears) and the app reading the cookie."""

from __future__ import annotations

import warnings
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from streamlit.testing.v1 import AppTest

import ui.cookie
from superinsight.db.base import utcnow
from superinsight.db.models import UserSession
from superinsight.resources import get_resources
from superinsight.services.errors import AuthenticationError
from superinsight.services.security import sign_in
from tests.pages.test_pages import APP, PASSWORD, TIMEOUT, _account
from ui.cookie import COOKIE, PATH, ROUTES

with warnings.catch_warnings():  # Starlette's nudge from httpx to httpx2 says nothing about the cookie
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


def _signed(role: str = "analyst") -> sign_in.SignIn:
    return sign_in.sign_in(get_resources(), "demo", _account(role), PASSWORD, None)


def _client(https: bool = False) -> TestClient:
    base = "https://workbench.test" if https else "http://workbench.test"
    return TestClient(Starlette(routes=ROUTES), base_url=base)


def _code(signed: sign_in.SignIn) -> str:
    """The one-time code remember() files, as the page's script would POST it."""
    return ui.cookie._file(signed.token, signed.expires_at)


def _cookie_header(response: object) -> str:
    return str(response.headers["set-cookie"])  # type: ignore[attr-defined]


class TestTheCookieRoute:
    def test_a_handed_over_code_sets_an_http_only_strict_cookie_holding_only_the_token(
        self, workbench_env: Path
    ) -> None:
        signed = _signed()
        response = _client().post(PATH, content=_code(signed), headers={"Sec-Fetch-Site": "same-origin"})
        assert response.status_code == 204
        header = _cookie_header(response)
        assert header.startswith(f"{COOKIE}={signed.token};")
        assert "HttpOnly" in header and "SameSite=strict" in header and "Path=/" in header
        assert "Secure" not in header  # plain HTTP (a laptop): a Secure cookie would not be kept
        max_age = int(header.split("Max-Age=")[1].split(";")[0])
        assert 0 < max_age <= 8 * 3600  # ends with the session
        kept = response.cookies[COOKIE]
        assert sign_in.resolve(get_resources(), kept, None).user_id == signed.actor.user_id

    def test_over_https_the_cookie_is_secure(self, workbench_env: Path) -> None:
        response = _client(https=True).post(PATH, content=_code(_signed()))
        assert "Secure" in _cookie_header(response)

    def test_a_code_works_once(self, workbench_env: Path) -> None:
        code = _code(_signed())
        client = _client()
        assert client.post(PATH, content=code).status_code == 204
        again = _client().post(PATH, content=code)
        assert again.status_code == 403 and "set-cookie" not in again.headers

    def test_an_unknown_or_expired_code_sets_nothing(
        self, workbench_env: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        assert "set-cookie" not in _client().post(PATH, content="guessed").headers
        monkeypatch.setattr(ui.cookie, "HANDOFF_SECONDS", -1.0)
        late = _client().post(PATH, content=_code(_signed()))
        assert late.status_code == 403 and "set-cookie" not in late.headers

    @pytest.mark.parametrize(
        "headers",
        [
            {"Sec-Fetch-Site": "cross-site"},
            {"Sec-Fetch-Site": "same-site"},
            {"Origin": "https://evil.example"},
        ],
    )
    def test_another_site_cannot_plant_a_session(self, workbench_env: Path, headers: dict[str, str]) -> None:
        code = _code(_signed())
        refused = _client().post(PATH, content=code, headers=headers)
        assert refused.status_code == 403 and "set-cookie" not in refused.headers
        assert code not in ui.cookie._handoffs  # and the code is spent

    def test_clearing_revokes_the_session_and_the_cookie(self, workbench_env: Path) -> None:
        signed = _signed()
        client = _client()
        client.cookies.set(COOKIE, signed.token)
        response = client.delete(PATH)
        assert response.status_code == 204
        assert f'{COOKIE}="";' in _cookie_header(response) and "Max-Age=0" in _cookie_header(response)
        with pytest.raises(AuthenticationError, match="ended"):
            sign_in.resolve(get_resources(), signed.token, None)

    def test_another_site_cannot_sign_you_out(self, workbench_env: Path) -> None:
        signed = _signed()
        client = _client()
        client.cookies.set(COOKIE, signed.token)
        assert client.delete(PATH, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
        assert sign_in.resolve(get_resources(), signed.token, None).user_id == signed.actor.user_id


def _opened_with(monkeypatch: pytest.MonkeyPatch, token: str) -> AppTest:
    """A new tab or a reload: the browser sends the cookie with the page's opening request."""
    monkeypatch.setattr(ui.cookie, "_browser_cookies", lambda: {COOKIE: token})
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    return at


def _scripts(at: AppTest) -> list[str]:
    return [str(element.proto.body) for element in at.get("html")]


class TestTheAppReadsTheCookie:
    def test_signing_in_hands_the_browser_a_code_not_the_token(self, workbench_env: Path) -> None:
        email = _account("analyst")
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        at.run()
        at.text_input[1].input(email)
        at.text_input[2].input(PASSWORD)
        at.button[0].click().run()
        assert at.title[0].value == "Overview"
        [script] = _scripts(at)
        token = at.session_state["auth_token"]
        assert f"fetch({PATH!r}".replace("'", '"') in script and '"POST"' in script
        assert token not in script
        at.run()
        assert _scripts(at) == []  # handed over once

    def test_a_reload_with_a_live_cookie_is_still_signed_in(
        self, workbench_env: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        at = _opened_with(monkeypatch, _signed("viewer").token)
        assert at.title[0].value == "Overview"
        assert "as viewer" in at.sidebar.caption[0].value

    def test_signing_out_ends_the_session_and_clears_the_cookie(
        self, workbench_env: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        signed = _signed()
        at = _opened_with(monkeypatch, signed.token)
        next(b for b in at.sidebar.button if b.label == "Sign out").click().run()
        assert at.title[0].value == "Sign in to SuperInsight"
        assert any('"DELETE"' in script for script in _scripts(at))
        with pytest.raises(AuthenticationError):
            sign_in.resolve(get_resources(), signed.token, None)
        at.run()  # the same browser session still holds the old cookie: it is not used again
        assert at.title[0].value == "Sign in to SuperInsight"

    @pytest.mark.parametrize("how", ["expired", "revoked", "unknown"])
    def test_a_dead_token_is_refused_and_cleared(
        self, workbench_env: Path, monkeypatch: pytest.MonkeyPatch, how: str
    ) -> None:
        signed = _signed()
        if how == "unknown":
            token = "not-a-token-anyone-was-given"
        else:
            token = signed.token
            with get_resources().uow() as uow:
                row = uow.session.scalar(select(UserSession).order_by(UserSession.id.desc()))
                assert row is not None
                if how == "expired":
                    row.expires_at = utcnow() - timedelta(minutes=1)
                else:
                    row.revoked_at = utcnow()
                uow.commit()
        at = _opened_with(monkeypatch, token)
        assert at.title[0].value == "Sign in to SuperInsight"
        assert "auth_token" not in at.session_state
        assert any('"DELETE"' in script for script in _scripts(at))
