"""Fixtures for the page tests: a real embedded workbench configured through the environment
(`workbench_env`), or the page's services stubbed (`stubs`, see stubbed.py)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.components.v2 import manifest_scanner
from streamlit.runtime.pages_manager import PagesManager

import ui.errors
from superinsight.config import get_settings
from superinsight.resources import get_resources
from tests.pages.stubbed import Stubs, stubbed_pages

ROOT = Path(__file__).resolve().parents[2]


def _forget_process_state() -> None:
    get_settings.cache_clear()
    get_resources.cache_clear()
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture(autouse=True, scope="session")
def components_scanned_once() -> Iterator[None]:
    """Scan the installed packages for Streamlit components once per test session, as a server does.

    Every new AppTest scans the metadata of every installed distribution (0.3-1 s here,
    more than most pages take to run); a served app does it once at start. What is
    installed does not change while the tests run, so the first scan's answer holds.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            manifest_scanner, "scan_component_manifests", cache(manifest_scanner.scan_component_manifests)
        )
        yield


@pytest.fixture(autouse=True)
def served_after_the_first_run(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run pages as a served app does once app.py has run: through app.py's navigation.

    Beside app.py, pages/ makes Streamlit start in its older multipage mode, where a file
    in pages/ runs alone; a server leaves that mode at the first st.navigation call, for
    good, but AppTest starts every run in it again. Tests about that first moment (named
    'cold') keep it.
    """
    if "cold" in request.node.name:
        return
    start = PagesManager.__init__

    def started(self: PagesManager, *args: Any, **kwargs: Any) -> None:
        start(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", started)


@pytest.fixture
def workbench_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh embedded workbench in its own data dir; the app migrates it on first run."""
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(ROOT)
    _forget_process_state()
    yield tmp_path
    _forget_process_state()


@pytest.fixture(autouse=True)
def unexpected_errors_fail(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """app.py shows an unexpected error as a message with an id, so AppTest sees no exception;
    here it still fails the test, unless the test provokes one on purpose ('unexpected_error' in its name)."""
    seen: list[BaseException] = []
    original = ui.errors.report

    def record(exc: BaseException) -> str:
        seen.append(exc)
        return original(exc)

    monkeypatch.setattr(ui.errors, "report", record)
    yield
    if seen and "unexpected_error" not in request.node.name:
        raise AssertionError(f"a page showed an unexpected error: {seen[0]!r}") from seen[0]


@pytest.fixture
def stubs(monkeypatch: pytest.MonkeyPatch) -> Stubs:
    """The page's services answer what a test gives them; a page that reaches the store fails."""
    return stubbed_pages(monkeypatch)
