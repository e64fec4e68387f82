"""The sign-in page's password change, the admin's reset, and errors shown without a traceback."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from superinsight.resources import get_resources
from superinsight.services.security import sign_in
from tests.pages.test_pages import PASSWORD, _account, _app
from ui.feedback import WORD_JOINER
from ui.session import TOKEN

APP = str(Path(__file__).resolve().parents[2] / "app.py")
NEW_PASSWORD = "Quiet-Harbour-Lantern-92"


def _signed_out() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    return at


def _button(at: AppTest, label: str) -> object:
    return next(b for b in at.button if b.label == label)


def _change(at: AppTest, email: str, current: str, new: str, again: str | None = None) -> None:
    at.text_input[4].input(email)
    at.text_input[5].input(current)
    at.text_input[6].input(new)
    at.text_input[7].input(new if again is None else again)
    _button(at, "Save the new password").click().run()  # type: ignore[attr-defined]


class TestPasswordChange:
    def test_a_user_changes_their_password_on_the_sign_in_page(self, workbench_env: Path) -> None:
        email = _account("analyst")
        at = _signed_out()
        _change(at, email, PASSWORD, NEW_PASSWORD)
        assert not at.exception, at.exception
        assert at.title[0].value == "Overview"
        with pytest.raises(Exception, match="do not match"):
            sign_in.sign_in(get_resources(), "demo", email, PASSWORD, None)

    @pytest.mark.parametrize(
        ("new", "again", "message"),
        [
            (NEW_PASSWORD, "something else entirely", "differ"),
            ("password1234", None, "stronger"),
            ("<b>x</b>", None, "at least 12"),
        ],
    )
    def test_a_refused_change_says_why_and_signs_no_one_in(
        self, workbench_env: Path, new: str, again: str | None, message: str
    ) -> None:
        email = _account("viewer")
        at = _signed_out()
        _change(at, email, PASSWORD, new, again)
        assert not at.exception, at.exception
        assert message in at.error[0].value
        assert TOKEN not in at.session_state

    def test_after_an_admin_reset_the_sign_in_asks_for_a_new_password(self, workbench_env: Path) -> None:
        email = _account("annotator")
        admin = _app("admin")
        admin.switch_page("pages/admin.py").run()
        next(s for s in admin.selectbox if s.label == "User ").select(email)
        next(t for t in admin.text_input if t.label == "Temporary password").input("Temporary-Kettle-Orbit-7")
        _button(admin, "Reset").click().run()  # type: ignore[attr-defined]
        assert not admin.exception, admin.exception
        at = _signed_out()
        at.text_input[1].input(email)
        at.text_input[2].input("Temporary-Kettle-Orbit-7")
        at.button[0].click().run()
        assert "choose a new one" in at.warning[0].value
        assert TOKEN not in at.session_state
        assert at.text_input[4].value == email  # the change form is filled in and open
        _change(at, email, "Temporary-Kettle-Orbit-7", NEW_PASSWORD)
        assert at.title[0].value == "Overview"


def test_an_unexpected_error_shows_an_id_the_log_holds_and_no_traceback(
    workbench_env: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    email = _account("analyst")

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("password=hunter2 at postgresql://u:secret@db/x")

    monkeypatch.setattr(sign_in, "sign_in", broken)
    at = _signed_out()
    at.text_input[1].input(email)
    at.text_input[2].input(PASSWORD)
    with caplog.at_level(logging.ERROR, logger="superinsight.pages"):
        at.button[0].click().run()
    assert not at.exception, at.exception
    shown = at.error[0].value
    assert "Error id" in shown and "hunter2" not in shown and "secret" not in shown
    error_id = shown.split("**")[1]
    assert any(error_id in record.getMessage() and record.exc_info for record in caplog.records)


def test_a_failing_admin_service_shows_an_unexpected_error_id_not_a_traceback(
    workbench_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from superinsight.services.security import users

    at = _app("admin")

    def broken(*_args: object) -> None:
        raise RuntimeError("connection to postgresql://admin:hunter2@db failed")

    monkeypatch.setattr(users, "list_users", broken)
    at.switch_page("pages/admin.py").run()
    assert not at.exception, at.exception
    assert "Error id" in at.error[0].value and "hunter2" not in at.error[0].value


@pytest.mark.parametrize(
    "typed",
    [
        "![x](http://evil.example/p.png)@acme.example",
        "[click](javascript:alert(1))@acme.example",
        "<img src=x onerror=alert(1)>@acme.example",
        "`x` **bold** :red[alarm] $x^2$@acme.example",
    ],
)
def test_what_someone_typed_is_shown_as_text_on_the_sign_in_page(workbench_env: Path, typed: str) -> None:
    from ui.session import MESSAGE

    _account("viewer")
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state[MESSAGE] = f"{typed} has no account in this workspace; ask an admin to add you."
    at.run()
    assert not at.exception, at.exception
    shown = at.info[0].value.replace(WORD_JOINER, "")  # the invisible joiners that keep links from forming
    assert typed.split("@")[0].replace("\\", "") in shown.replace("\\", "")  # all of it is there...
    assert re.search(r"(?<!\\)[\[\]<>`*$_]", shown) is None, shown  # ...with nothing markdown reads
