"""The stubbed page layer's harness: a page drawn for a role, its services replaced by fixed answers.

No database: the services a page imported are replaced by small fixed answers
(`Stubs.returns/raises`), and `resources()` by a `NoStore` that fails the test if a
page reaches a store itself. The `stubs` fixture (in conftest.py) sets this up;
each test_stubbed_*.py module draws one page with it. The real-workbench layer
(test_pages.py and friends) checks the services behind them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

import ui.document_edit
import ui.document_upload
import ui.job_form
import ui.jobs
import ui.rule_editor
import ui.rule_test_panel
import ui.session
import ui.status
from superinsight.services.context import role_actor
from ui.feedback import WORD_JOINER

ROOT = Path(__file__).resolve().parents[2]
ROLES = ("admin", "analyst", "annotator", "viewer")
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
# Imported above, before any patching: a module first imported later would keep the stub.
# Every ui/ module a page uses that calls resources() itself belongs here.
PATCHED_MODULES = (
    ui.session,
    ui.jobs,
    ui.job_form,
    ui.status,
    ui.document_edit,
    ui.document_upload,
    ui.rule_editor,
    ui.rule_test_panel,
)


class NoStore:
    """Stands for the resources: a page that reaches past its stubbed services fails here.

    Only what a test gives it explicitly (`Stubs.settings`) can be read from it.
    """

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the page used resources().{name} instead of a stubbed service")


@dataclass
class Page:
    """A page run with stubs; `calls` names every stubbed service it called, in order."""

    at: AppTest
    calls: list[str] = field(default_factory=list)

    def run(self) -> Page:
        self.calls.clear()
        self.at.run()
        assert not self.at.exception, self.at.exception
        return self

    def labels(self, kind: str = "button") -> set[str]:
        return {widget.label for widget in getattr(self.at, kind)}

    def texts(self, kind: str) -> str:
        """What the elements say, as a person reads it (without md's invisible word joiners)."""
        return "\n".join(str(item.value) for item in getattr(self.at, kind)).replace(WORD_JOINER, "")


class Stubs:
    def __init__(self, monkeypatch: pytest.MonkeyPatch, store: NoStore) -> None:
        self.monkeypatch = monkeypatch
        self.store = store
        self.calls: list[str] = []

    def returns(self, target: str, value: Any) -> None:
        """`module.function` answers `value` (or `value(*args)` when it is callable)."""
        module, _, name = target.rpartition(".")

        def stub(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(target)
            return value(*args, **kwargs) if callable(value) else value

        self.monkeypatch.setattr(f"{module}.{name}", stub)

    def raises(self, target: str, error: Exception) -> None:
        def fail(*args: Any, **kwargs: Any) -> Any:
            raise error

        self.returns(target, fail)

    def settings(self, **values: Any) -> None:
        """`resources().settings` answers these (configuration a page reads, not the store)."""
        self.store.settings = SimpleNamespace(**values)  # this test's own store: nothing to undo


def stubbed_pages(monkeypatch: pytest.MonkeyPatch) -> Stubs:
    """What the `stubs` fixture gives: every patched module's resources() is a NoStore."""
    monkeypatch.chdir(ROOT)
    store = NoStore()
    for module in PATCHED_MODULES:
        monkeypatch.setattr(module, "resources", lambda: store)
    return Stubs(monkeypatch, store)


def open_page(
    stubs: Stubs, page: str, role: str, state: dict[str, Any] | None = None, *, narrowed: bool = False
) -> Page:
    """The page as `role` sees it; `narrowed`: a user limited to source 1 (project permissions)."""
    actor = role_actor("demo", role, user_id=1)
    if narrowed:
        actor = replace(actor, source_ids=frozenset({1}))
    stubs.monkeypatch.setattr("ui.session.current_actor", lambda: actor)
    at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=10)
    for key, value in (state or {}).items():
        at.session_state[key] = value
    shown = Page(at, stubs.calls)
    return shown.run()


def open_in_app(stubs: Stubs, role: str) -> Page:
    """The landing page drawn through app.py's navigation, as `role` signed in sees it.

    st.page_link only finds pages that app.py's navigation lists, so a page with links is
    run under app.py: its sign-in, inbox figure and status badge are stubbed like the rest.
    """
    actor = role_actor("demo", role, user_id=1)
    stubs.monkeypatch.setattr("ui.session.authenticate", lambda: actor)
    stubs.monkeypatch.setattr("ui.session.current_actor", lambda: actor)
    stubs.monkeypatch.setattr("ui.status.show_badge", lambda: None)
    stubs.returns("superinsight.services.insights.notifications.unread_count", 0)
    return Page(AppTest.from_file(str(ROOT / "app.py"), default_timeout=10), stubs.calls).run()


def by_role(*roles: str) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("role", roles)


def starts_with_a_header(page: Page, title: str) -> None:
    assert page.at.title[0].value == title
    assert page.at.caption, "a one-line caption under the title says what can be done here"


HOSTILE_NAME = "<a href='https://evil.example'>Refunds</a> & <b>co</b>"


def legend_of(page: Page) -> list[str]:
    """The names of the traces of every plotly chart on the page, as plotly receives them."""
    return [
        trace["name"]
        for chart in page.at.get("plotly_chart")
        for trace in json.loads(chart.proto.spec)["data"]
    ]
