"""The Sync page for each role, its services stubbed: jobs, run history, the job form, conflicts."""

from __future__ import annotations

import json

from superinsight.services.errors import InvalidInputError
from tests.pages.stubbed import (
    NOW,
    ROLES,
    Stubs,
    by_role,
    open_page,
    starts_with_a_header,
)


def _sync(stubs: Stubs, *, pending: int = 0) -> None:
    from superinsight.services.sync.conflicts import ConflictRow
    from superinsight.services.sync.connections import SourceView
    from superinsight.services.sync.job_views import JobRow
    from superinsight.services.sync.runs import RunRow

    sync = "superinsight.services.sync"
    job = JobRow(
        1, "Tickets *sync*", "Tickets", "csv", "full_refresh_overwrite", "active", None, None, None,
        "succeeded", NOW, {"read": 5, "inserted": 5, "updated": 0, "unchanged": 0, "skipped": 0,
                           "conflicts": 0, "errors": 0}, None,
    )  # fmt: skip
    stubs.returns(f"{sync}.job_views.list_jobs", [job])
    stubs.returns(f"{sync}.conflicts.pending_count", pending)
    stubs.returns(
        f"{sync}.conflicts.list_conflicts",
        [
            ConflictRow(
                n, n, str(n), "Tickets", "pending", "manual", {"title": "a"}, {"title": "b"}, NOW, None
            )
            for n in range(pending)
        ],
    )
    source = SourceView(1, "Tickets", "csv", {"path": "tickets.csv"}, False, "active", "ok", None)
    stubs.returns(f"{sync}.connections.synced_sources", [source])
    stubs.returns(f"{sync}.connections.view_source", source)
    stubs.returns(f"{sync}.connections.sample_records", [{"id": "1", "title": "t", "body": "b"}])
    stubs.returns(
        f"{sync}.runs.runs",
        [
            RunRow(
                1, 1, "succeeded", "manual", 1, 1.0, job.last_counts, NOW, NOW, NOW, 1200, None, None, False
            )
        ],
    )
    stubs.returns(f"{sync}.runs.run_log", [])
    stubs.returns(f"{sync}.runs.job_log", [])


class TestSync:
    @by_role(*ROLES)
    def test_opens_on_the_jobs_without_reading_history_or_sampling_a_source(
        self, stubs: Stubs, role: str
    ) -> None:
        _sync(stubs)
        page = open_page(stubs, "sync", role)
        starts_with_a_header(page, "Sync")
        may_manage = role in ("admin", "analyst")
        assert ("Create or edit a job" in page.at.segmented_control(key="sync_section").options) == may_manage
        assert ("Run now" in page.labels()) == may_manage
        assert r"Tickets \*sync\*" in page.at.markdown[0].value
        assert not {
            "superinsight.services.sync.connections.sample_records",
            "superinsight.services.sync.runs.runs",
        } & set(page.calls)

    @by_role(*ROLES)
    def test_run_history_is_read_only_when_chosen(self, stubs: Stubs, role: str) -> None:
        _sync(stubs)
        page = open_page(stubs, "sync", role)
        page.at.segmented_control(key="sync_section").set_value("Runs and logs")
        page.run()
        assert "superinsight.services.sync.runs.runs" in page.calls
        (chart,) = [json.loads(c.proto.spec)["layout"] for c in page.at.get("plotly_chart")]
        assert chart["title"]["text"] == "How long each run took"
        assert (chart["xaxis"]["title"]["text"], chart["yaxis"]["title"]["text"]) == ("run #", "duration (s)")
        assert not {"Run now", "Save job"} & page.labels()

    @by_role("admin", "analyst")
    def test_the_job_form_samples_the_source_only_when_opened(self, stubs: Stubs, role: str) -> None:
        _sync(stubs)
        page = open_page(stubs, "sync", role)
        page.at.segmented_control(key="sync_section").set_value("Create or edit a job")
        page.run()
        assert page.calls.count("superinsight.services.sync.connections.sample_records") == 1
        assert "Save job" in page.labels()
        page.at.text_input(key="job_new_1_name").input("Renamed")
        page.run()
        assert "superinsight.services.sync.connections.sample_records" not in page.calls, "read once"
        page.at.button(key="job_sample_fields_1_again").click()
        page.run()
        assert "superinsight.services.sync.connections.sample_records" in page.calls

    @by_role(*ROLES)
    def test_conflicts_are_announced_and_only_resolvers_may_resolve(self, stubs: Stubs, role: str) -> None:
        _sync(stubs, pending=2)
        page = open_page(stubs, "sync", role)
        assert "2 conflicts wait for you" in page.at.warning[0].value
        page.at.button(key="open_conflicts").click()
        page.run()
        assert not page.at.warning, "the announcement goes once the conflicts are open"
        assert len(page.at.dataframe[0].value) == 2
        may_resolve = role in ("admin", "analyst")
        assert (
            bool({"Keep the source version (0)", "Keep the workbench version (0)"} & page.labels())
            == may_resolve
        )
        assert "superinsight.services.sync.job_views.list_jobs" not in page.calls

    def test_a_refused_run_says_why(self, stubs: Stubs) -> None:
        _sync(stubs)
        stubs.raises("superinsight.services.sync.runs.start_run", InvalidInputError("the job is paused"))
        page = open_page(stubs, "sync", "analyst")
        page.at.button(key="run_1").click()
        page.run()
        assert page.at.error[0].value == "Not started: the job is paused"


class TestSyncProgress:
    def test_a_run_started_here_is_followed_in_any_section(self, stubs: Stubs) -> None:
        from superinsight.services.sync.runs import RunRow

        _sync(stubs)
        running = RunRow(9, 1, "running", "manual", 1, 0.4, {}, NOW, NOW, None, None, None, None, False)
        stubs.returns("superinsight.services.sync.runs.get_run", running)
        page = open_page(stubs, "sync", "analyst", {"sync_watching": [9]})
        page.at.segmented_control(key="sync_section").set_value("Runs and logs")
        page.run()
        assert "superinsight.services.sync.runs.get_run" in page.calls
        assert "Cancel" in page.labels()
