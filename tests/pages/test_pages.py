"""The pages drawn by Streamlit's AppTest against a real embedded workbench."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from superinsight.db.models import QualityIssue
from superinsight.resources import get_resources
from superinsight.services.context import system_actor
from superinsight.services.demo import seed_demo

APP = str(Path(__file__).resolve().parents[2] / "app.py")
TIMEOUT = 30


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    return at


def _seed(documents: int = 120) -> None:
    from superinsight.db import migrate

    migrate.upgrade(get_resources().engine)
    seed_demo(get_resources(), system_actor(), documents=documents)


class TestOverview:
    def test_an_empty_workbench_offers_the_demo_and_loads_it_in_the_background(
        self, workbench_env: Path
    ) -> None:
        at = _app()
        assert "Your workbench is empty" in at.info[0].value
        at.button[0].click().run()
        deadline = time.monotonic() + TIMEOUT
        while "demo_seed_job" in at.session_state and time.monotonic() < deadline:
            time.sleep(0.5)
            at.run()
        assert not at.exception, at.exception
        assert {m.label: m.value for m in at.metric}["Documents"] == "5,000"

    def test_shows_the_workbench_figures_and_the_arrivals_chart(self, workbench_env: Path) -> None:
        _seed(120)
        at = _app()
        figures = {m.label: m.value for m in at.metric}
        with get_resources().uow() as uow:
            open_issues = uow.session.scalar(
                select(func.count()).select_from(QualityIssue).where(QualityIssue.status == "open")
            )
        assert open_issues
        assert figures == {
            "Documents": "120",
            "Data sources": "2",
            "Active rules": "4",
            "Open quality issues": str(open_issues),
        }
        assert at.get("plotly_chart")


class TestDocuments:
    def test_pages_through_documents_newest_first(self, workbench_env: Path) -> None:
        _seed(120)
        at = _app()
        at.switch_page("app_pages/documents.py").run()
        first = at.dataframe[0].value
        assert len(first) == 50
        assert list(first["id"]) == sorted(first["id"], reverse=True)
        older = next(b for b in at.button if b.label == "Older →")
        older.click().run()
        second = at.dataframe[0].value
        assert second["id"].max() < first["id"].min()
        assert any("Page 2" in caption.value for caption in at.caption)

    def test_an_empty_workbench_says_where_documents_come_from(self, workbench_env: Path) -> None:
        at = _app()
        at.switch_page("app_pages/documents.py").run()
        assert "No documents yet" in at.info[0].value


class TestHealthPage:
    def test_lists_every_service_and_says_all_is_well(self, workbench_env: Path) -> None:
        at = _app()
        at.switch_page("app_pages/health.py").run()
        assert not at.exception, at.exception
        assert "Every configured service is answering" in at.success[0].value
        table = at.dataframe[0].value
        assert list(table["state"]) == ["up", "up", "up", "up", "not configured"]
