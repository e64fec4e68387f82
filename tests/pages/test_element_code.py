"""The sign-in page hands the browser the code files of the elements the pages draw (issue 18)."""

from __future__ import annotations

from pathlib import Path

from tests.pages.test_pages import _app
from ui.element_code import BUILD, KINDS, STYLED, code_files


def test_each_kind_is_one_file_of_the_installed_streamlit() -> None:
    """A Streamlit upgrade that renames or splits a kind's file shows here, not as a slow page."""
    found = {kind: sorted(path.name for path in (BUILD / "js").glob(f"{kind}.*.js")) for kind in KINDS}
    assert {kind: len(files) for kind, files in found.items()} == dict.fromkeys(KINDS, 1), found
    styles = {kind: sorted(path.name for path in (BUILD / "css").glob(f"{kind}.*.css")) for kind in STYLED}
    assert {kind: len(files) for kind, files in styles.items()} == dict.fromkeys(STYLED, 1), styles
    scripts, styled = code_files()
    assert (len(scripts), len(styled)) == (len(KINDS), len(STYLED))


def test_the_sign_in_page_has_the_browser_import_every_file(workbench_env: Path) -> None:
    at = _app(None)
    assert at.get("text_input")[0].label == "Workspace"
    [script] = [element for element in at.get("html") if "import(" in element.proto.body]
    scripts, styles = code_files()
    assert all(f'"{name}"' in script.proto.body for name in (*scripts, *styles))
    assert '"PlotlyChart.' in script.proto.body
