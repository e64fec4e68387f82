"""The Labeling page in the real app's navigation, on a real workbench (and Label Studio)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from superinsight.db import migrate
from superinsight.documents.record import DocumentInput
from superinsight.resources import get_resources
from superinsight.services.context import system_actor
from superinsight.services.documents.sources import ensure_source
from superinsight.services.documents.writer import upsert_documents
from tests.pages.test_pages import TIMEOUT, _app


def _documents(contents: list[str]) -> None:
    """A few documents in the demo workspace, written as an upload would (no demo rules to apply)."""
    resources = get_resources()
    migrate.upgrade(resources.engine)
    source = ensure_source(resources.uow(), system_actor(), "Tickets", "database")
    records = [DocumentInput(f"T{i}", f"Ticket {i}", text, {}) for i, text in enumerate(contents)]
    upsert_documents(resources, system_actor(), source, records)


class TestInTheApp:
    def test_annotators_find_the_page_and_viewers_do_not(self, workbench_env: Path) -> None:
        at = _app("annotator")
        at.switch_page("pages/labeling.py").run()
        assert not at.exception, at.exception
        assert "Label Studio is not connected" in at.info[0].value
        # Not listed for a viewer, but its address opens it: the page itself says why not.
        viewer = _app("viewer")
        viewer.switch_page("pages/labeling.py").run()
        assert not viewer.exception, viewer.exception
        assert "does not work with Label Studio" in viewer.warning[0].value
        assert not viewer.text_input and [b.label for b in viewer.button] == ["Sign out"]

    def test_connected_an_analyst_launches_from_documents_and_pulls(
        self, workbench_env: Path, label_studio: tuple[str, str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        url, token = label_studio
        monkeypatch.setenv("LABEL_STUDIO_URL", url)
        monkeypatch.setenv("LABEL_STUDIO_API_KEY", token)
        _documents(["refund please", "refund now", "all good"])
        at = _app("analyst")
        at.switch_page("pages/documents.py").run()
        at.text_input(key="doc_search").input("refund").run()
        at.button(key="doc_send_to_labeling").click().run()
        assert not at.exception, at.exception
        assert at.title[0].value == "Labeling"
        at.switch_page("pages/labeling.py")  # AppTest reruns the page it was told, not st.switch_page's
        assert at.segmented_control(key="labeling_part").value == "Launch a project"
        assert "Search: refund" in "\n".join(c.value for c in at.caption)
        at.text_input(key="labeling_title").input("From the search")
        at.selectbox(key="labeling_tpl").select("sentiment")
        at.button(key="labeling_launch").click().run()
        deadline = time.monotonic() + TIMEOUT
        while "labeling_job" in at.session_state and time.monotonic() < deadline:
            time.sleep(0.3)
            at.run()
        assert not at.exception, at.exception
        at.segmented_control(key="labeling_part").set_value("Projects").run()
        assert at.link_button[0].proto.url.startswith(url)
        assert "0 of" in at.progress[0].proto.text
