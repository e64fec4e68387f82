"""The Sign-in page, its services stubbed: what a browser with no session is offered, and what it sends.

The page has no role: it is drawn before anyone signs in (app.py shows it at every address
then). The real-workbench tests (test_sign_in_and_admin_pages.py) sign real accounts in.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from superinsight.services.context import role_actor
from superinsight.services.errors import AuthenticationError, PasswordChangeRequiredError
from superinsight.services.security.sign_in import SignIn
from tests.pages.stubbed import NOW, ROOT, Page, Stubs, starts_with_a_header
from ui.session import ENTERED, MESSAGE

SIGN_IN = "superinsight.services.security.sign_in.sign_in"
HAS_USERS = "superinsight.services.security.users.has_users"
MUST_CHANGE = "sign_in_must_change_password"
SIGNED = SignIn("token", role_actor("acme", "analyst", user_id=4), "ann@x", NOW + timedelta(hours=8))


class Browser:
    """What the page handed over to the browser session: the sign-ins kept."""

    def __init__(self, stubs: Stubs, *, single_sign_on: bool) -> None:
        self.kept: list[SignIn] = []
        stubs.monkeypatch.setattr("ui.session.signed_in", self.kept.append)
        stubs.monkeypatch.setattr("ui.session.client_address", lambda: "10.0.0.7")
        stubs.monkeypatch.setattr("ui.session.single_sign_on", lambda: single_sign_on)


def _signed_out(
    stubs: Stubs, state: dict[str, Any] | None = None, *, accounts: bool = True, single_sign_on: bool = False
) -> tuple[Page, Browser]:
    """The page as a browser without a session sees it, in a workspace called acme by default."""
    stubs.settings(default_tenant="acme")
    stubs.returns(HAS_USERS, accounts)
    browser = Browser(stubs, single_sign_on=single_sign_on)
    at = AppTest.from_file(str(ROOT / "pages" / "sign_in.py"), default_timeout=10)
    at.session_state[ENTERED] = True  # as app.py marks a session it ran for
    for key, value in (state or {}).items():
        at.session_state[key] = value
    return Page(at, stubs.calls).run(), browser


def _input(page: Page, label: str) -> Any:
    return next(t for t in page.at.text_input if t.label == label)


def _fill(page: Page, **typed: str) -> None:
    for label, text in typed.items():
        _input(page, label.replace("_", " ").capitalize()).input(text)


def _click(page: Page, label: str) -> None:
    next(b for b in page.at.button if b.label == label).click()
    page.run()


def _change(page: Page, email: str, current: str, new: str, again: str) -> None:
    for label, text in (
        ("Email ", email),
        ("Current password", current),
        ("New password", new),
        ("New password again", again),
    ):
        _input(page, label).input(text)
    _click(page, "Save the new password")


class TestSignIn:
    def test_opens_with_the_workspace_filled_in_and_reads_only_whether_it_has_accounts(
        self, stubs: Stubs
    ) -> None:
        asked: list[str] = []
        page, _ = _signed_out(stubs)
        stubs.returns(HAS_USERS, lambda _resources, tenant: asked.append(tenant) or True)
        page.run()
        starts_with_a_header(page, "Sign in to SuperInsight")
        assert [(t.label, t.value) for t in page.at.text_input][:3] == [
            ("Workspace", "acme"),
            ("Email", ""),
            ("Password", ""),
        ]
        assert {"Sign in", "Save the new password"} == page.labels()
        assert [(e.label, e.proto.expanded) for e in page.at.expander] == [("Change your password", False)]
        assert page.calls == [HAS_USERS] and asked == ["acme"], "nobody is signed in by opening the page"
        assert "create-admin" not in page.texts("caption")

    def test_a_workspace_without_accounts_says_how_to_create_the_first_admin(self, stubs: Stubs) -> None:
        page, _ = _signed_out(stubs, accounts=False)
        shown = page.texts("caption")
        assert "Workspace acme has no accounts yet" in shown and "`superinsight create-admin`" in shown

    def test_a_typed_workspace_is_never_asked_whether_it_has_accounts(self, stubs: Stubs) -> None:
        """Answering for any name typed would tell a stranger which workspaces exist."""
        asked: list[str] = []
        page, _ = _signed_out(stubs)
        stubs.returns(HAS_USERS, lambda _resources, tenant: asked.append(tenant) or tenant == "acme")
        for typed in ("globex", "initech"):
            _fill(page, workspace=typed)
            page.run()
            assert "create-admin" not in page.texts("caption"), typed
        assert set(asked) == {"acme"}

    @pytest.mark.parametrize("configured", [True, False])
    def test_single_sign_on_is_offered_only_when_configured(self, stubs: Stubs, configured: bool) -> None:
        page, _ = _signed_out(stubs, single_sign_on=configured)
        assert ("Sign in with single sign-on" in page.labels()) == configured

    def test_signing_in_sends_the_workspace_trimmed_and_the_address_and_keeps_the_session(
        self, stubs: Stubs
    ) -> None:
        sent: list[tuple[Any, ...]] = []
        page, browser = _signed_out(stubs)
        stubs.returns(SIGN_IN, lambda _resources, *args, **kwargs: sent.append((*args, kwargs)) or SIGNED)
        _fill(page, workspace="  acme ", email="ann@x", password="Quiet-Harbour-Lantern-92")
        _click(page, "Sign in")
        assert sent == [("acme", "ann@x", "Quiet-Harbour-Lantern-92", "10.0.0.7", {})]
        assert browser.kept == [SIGNED]
        assert not page.at.error and not page.at.warning

    def test_a_refused_sign_in_says_why_as_text_and_keeps_no_session(self, stubs: Stubs) -> None:
        page, browser = _signed_out(stubs)
        stubs.raises(SIGN_IN, AuthenticationError("**ann@x** and <b>that password</b> do not match"))
        _fill(page, email="ann@x", password="guess")
        _click(page, "Sign in")
        assert page.texts("error") == r"\*\*ann@x\*\* and \<b\>that password\</b\> do not match"
        assert browser.kept == []

    def test_a_password_to_change_opens_the_change_form_filled_in(self, stubs: Stubs) -> None:
        page, browser = _signed_out(stubs)
        stubs.raises(SIGN_IN, PasswordChangeRequiredError("choose a *new* password"))
        _fill(page, workspace="beta", email="ann@x", password="Temporary-Kettle-Orbit-7")
        _click(page, "Sign in")
        assert page.at.warning[0].value == r"choose a \*new\* password"
        assert page.at.expander[0].proto.expanded
        assert (_input(page, "Workspace ").value, _input(page, "Email ").value) == ("beta", "ann@x")
        assert page.at.session_state[MUST_CHANGE] == ("beta", "ann@x")
        assert browser.kept == []

    def test_new_passwords_that_differ_change_nothing(self, stubs: Stubs) -> None:
        page, browser = _signed_out(stubs)
        stubs.returns(SIGN_IN, SIGNED)
        _change(page, "ann@x", "old", "Quiet-Harbour-Lantern-92", "Quiet-Harbour-Lantern-93")
        assert page.at.error[0].value == "The two new passwords differ; nothing was changed."
        assert SIGN_IN not in page.calls and browser.kept == []

    def test_a_changed_password_signs_in_and_a_refused_one_says_why(self, stubs: Stubs) -> None:
        sent: list[tuple[Any, ...]] = []
        page, browser = _signed_out(stubs, {MUST_CHANGE: ("acme", "ann@x")})
        stubs.raises(SIGN_IN, AuthenticationError("the new password is *too* short"))
        _change(page, "ann@x", "old", "short", "short")
        assert page.at.error[0].value == r"Not changed: the new password is \*too\* short"
        assert browser.kept == []
        stubs.returns(SIGN_IN, lambda _resources, *args, **kwargs: sent.append((*args, kwargs)) or SIGNED)
        _change(page, "ann@x", "old", "Quiet-Harbour-Lantern-92", "Quiet-Harbour-Lantern-92")
        assert sent == [("acme", "ann@x", "old", "10.0.0.7", {"new_password": "Quiet-Harbour-Lantern-92"})]
        assert browser.kept == [SIGNED]
        assert MUST_CHANGE not in page.at.session_state

    def test_why_the_last_session_ended_is_said_once(self, stubs: Stubs) -> None:
        page, _ = _signed_out(stubs, {MESSAGE: "Your session expired; sign in again."})
        assert page.at.info[0].value == "Your session expired; sign in again."
        page.run()
        assert not page.at.info
