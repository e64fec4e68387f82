"""Sources and Sync pages: add a source in the form, run a job with one click, resolve conflicts."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from superinsight.resources import get_resources
from superinsight.services.context import role_actor
from superinsight.services.documents import edits as document_edits
from superinsight.services.documents import views as document_views
from superinsight.services.sync import conflicts as sync_conflicts
from superinsight.services.sync import connections
from superinsight.services.sync import jobs as sync_jobs
from superinsight.services.sync import runs as sync_runs
from tests.pages.test_pages import TIMEOUT, _app

ANALYST = role_actor("demo", "analyst")
MAPPING = {"external_id": "id", "title": "title", "content": "body", "metadata.*": ""}


@pytest.fixture
def files(workbench_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = workbench_env / "files" / "demo"
    root.mkdir(parents=True)
    (root / "tickets.csv").write_text(
        "id,title,body,team\n" + "".join(f"{n},Ticket {n},Printer {n} jams,ops\n" for n in range(1, 51))
    )
    monkeypatch.setenv("FILES_ROOT", str(root.parent))
    monkeypatch.setenv("SYNC_FOLLOW_UPS", "false")
    return root


def _job(strategy: str = "source_wins") -> int:
    resources = get_resources()
    from superinsight.db import migrate

    migrate.upgrade(resources.engine)
    source_id = connections.create_source(
        resources, ANALYST, connections.SourceDraft("Tickets", "csv", {"path": "tickets.csv"})
    )
    return sync_jobs.create_job(
        resources,
        ANALYST,
        sync_jobs.JobDraft(
            "Tickets", source_id, "full_refresh_overwrite", MAPPING, conflict_resolution=strategy
        ),
    )


def _open(page: str, role: str = "analyst") -> AppTest:
    at = _app(role)
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _wait_for(at: AppTest, done: object) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        time.sleep(0.2)
        at.run()
        assert not at.exception, at.exception
        if callable(done) and done():
            return
    raise AssertionError("the page never showed the end of the run")


class TestSyncPage:
    def test_one_click_runs_the_job_and_shows_its_counts(self, files: Path) -> None:
        _job()
        at = _open("pages/sync.py")
        assert "last run: never" in at.markdown[0].value
        at.button(key="run_1").click().run()
        assert not at.exception, at.exception
        _wait_for(at, lambda: any("Run #1 succeeded" in item.value for item in at.success))
        message = next(item.value for item in at.success if "Run #1" in item.value)
        assert "50 read · 50 new · 0 updated" in message
        assert "last run: succeeded" in at.markdown[0].value
        assert not at.get("plotly_chart"), "the run history is drawn only when its section is open"
        at.segmented_control(key="sync_section").set_value("Runs and logs").run()
        assert at.get("plotly_chart"), "the duration chart of the run history"

    def test_a_double_clicks_second_press_starts_nothing_and_says_nothing_wrong(self, files: Path) -> None:
        job_id = _job()
        at = _open("pages/sync.py")
        assert not at.button(key=f"run_{job_id}").disabled
        # The first press is handled while the browser still shows the button enabled ...
        first = sync_runs.queue_run(get_resources(), ANALYST, job_id)  # queued, not handed to a worker
        at.button(key=f"run_{job_id}").click().run()  # ... so the second press arrives as a click too
        assert not at.exception and not at.error, [item.value for item in at.error]
        assert [run.id for run in sync_runs.runs(get_resources(), ANALYST, job_id)] == [first]
        assert at.button(key=f"run_{job_id}").disabled

    def test_a_failed_run_says_why(self, files: Path) -> None:
        _job()
        (files / "tickets.csv").write_text("id,title,body,team\n1,only,three\n")
        at = _open("pages/sync.py")
        at.button(key="run_1").click().run()
        _wait_for(at, lambda: bool(at.error))
        assert "line 2 has 3 fields" in at.error[0].value

    def test_picking_a_source_in_the_job_form_stays_on_the_form(self, files: Path) -> None:
        (files / "events.csv").write_text("event_id,label,opened\n1,First,2026-03-04\n")
        _job()
        connections.create_source(
            get_resources(), ANALYST, connections.SourceDraft("Events", "csv", {"path": "events.csv"})
        )
        at = _open("pages/sync.py")
        at.segmented_control(key="sync_section").set_value("Create or edit a job").run()
        at.selectbox(key="job_source").select("Events").run()
        assert not at.exception, at.exception
        assert at.segmented_control(key="sync_section").value == "Create or edit a job"
        assert at.selectbox(key="job_source").value == "Events"
        date_picker = next(box for box in at.selectbox if box.label.startswith("Document date"))
        assert {"event_id", "label", "opened"} <= set(date_picker.options), "the picked source's fields"

    def test_a_viewer_sees_jobs_but_no_run_button(self, files: Path) -> None:
        _job()
        at = _open("pages/sync.py", "viewer")
        assert at.markdown and not [button for button in at.button if button.label == "Run now"]

    def test_manual_conflicts_are_resolved_in_bulk(self, files: Path) -> None:
        job_id = _job("manual")
        resources = get_resources()
        execution = sync_runs.start_run(resources, ANALYST, job_id)
        while sync_runs.get_run(resources, ANALYST, execution).status in ("queued", "running"):
            time.sleep(0.05)
        listed = {row.external_id: row.id for row in document_views.list_documents(resources, ANALYST)}
        for external_id in ("1", "2"):
            document_edits.edit_document(
                resources, ANALYST, listed[external_id], title=f"Edited {external_id}"
            )
        (files / "tickets.csv").write_text(
            "id,title,body,team\n"
            + "".join(f"{n},Ticket {n} v2,Printer {n} jams,ops\n" for n in range(1, 51))
        )
        execution = sync_runs.start_run(resources, ANALYST, job_id)
        while (run := sync_runs.get_run(resources, ANALYST, execution)).status in ("queued", "running"):
            time.sleep(0.05)
        assert run.counts["conflicts"] == 2, run
        clicked = _open("pages/sync.py")
        clicked.button(key="open_conflicts").click().run()
        clicked.session_state["conflicts_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
        clicked.run()  # a click on a conflict's row opens its document
        assert clicked.title[0].value == "Documents"
        assert clicked.query_params["document"] in (str(listed["1"]), str(listed["2"]))
        at = _open("pages/sync.py")
        assert "2 conflicts wait for you" in at.warning[0].value
        at.button(key="open_conflicts").click().run()
        assert at.segmented_control(key="sync_section").value == "Conflicts"
        at.checkbox(key="conflicts_all").check().run()
        at.button(key="keep_workbench").click().run()
        assert not at.exception, at.exception
        assert "Resolved 2 conflicts." in at.success[0].value
        assert sync_conflicts.pending_count(resources, ANALYST) == 0
        titles = {row.external_id: row.title for row in document_views.list_documents(resources, ANALYST)}
        assert (titles["1"], titles["3"]) == ("Edited 1", "Ticket 3 v2")


class TestSourcesPage:
    def test_add_test_and_list_a_file_source(self, files: Path) -> None:
        at = _open("pages/sources.py")
        assert "No data sources yet" in at.info[0].value
        at.selectbox(key="source_type").select("csv").run()
        inputs = {widget.label: widget for widget in at.text_input}
        inputs["Name"].input("Tickets")
        inputs["…or a file already in the folder"].input("tickets.csv")
        next(button for button in at.button if button.label == "Test connection").click().run()
        assert "tickets.csv: 50 records" in at.success[0].value
        next(button for button in at.button if button.label == "Save source").click().run()
        assert not at.exception, at.exception
        assert "Saved Tickets" in at.success[0].value
        assert at.dataframe[0].value["Source"].tolist() == ["Tickets"]

    def test_a_path_outside_the_files_folder_is_refused_and_nothing_saved(self, files: Path) -> None:
        at = _open("pages/sources.py")
        at.selectbox(key="source_type").select("csv").run()
        inputs = {widget.label: widget for widget in at.text_input}
        inputs["Name"].input("Secrets")
        inputs["…or a file already in the folder"].input("../../etc/passwd")
        next(button for button in at.button if button.label == "Save source").click().run()
        assert "Not saved" in at.error[0].value and "inside the files folder" in at.error[0].value
        assert connections.synced_sources(get_resources(), ANALYST) == []

    def test_saved_credentials_are_never_shown(self, files: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("SYNC_ALLOW_INTERNAL", "true")
        resources = get_resources()
        from superinsight.db import migrate

        migrate.upgrade(resources.engine)
        secret = "very-secret-pw"
        connections.create_source(
            resources,
            ANALYST,
            connections.SourceDraft(
                "Shop",
                "http_json",
                {"url": "http://127.0.0.1:9/items"},
                {"Authorization": f"Bearer {secret}"},
            ),
        )
        at = _open("pages/sources.py")
        at.selectbox(key="source_choice").select("Shop").run()
        assert not at.exception, at.exception
        shown = [widget.value for widget in at.text_input] + [str(frame.value) for frame in at.dataframe]
        assert all(secret not in str(value) for value in shown)
        assert any(widget.placeholder == "saved; leave empty to keep" for widget in at.text_input)
