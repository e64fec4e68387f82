"""The Labeling page for each role, connected to Label Studio and not, its services stubbed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from superinsight.adapters.jobs import JobStatus
from superinsight.labeling.agreement import Agreement
from superinsight.services.errors import InvalidInputError
from superinsight.services.labeling.connection import ConnectionState
from superinsight.services.labeling.members import Annotator
from superinsight.services.labeling.views import BillingRow, ProjectView
from tests.pages.stubbed import ROLES, Stubs, by_role, open_page, starts_with_a_header
from ui.feedback import WORD_JOINER

VIEWS = "superinsight.services.labeling.views"
LAUNCH = "superinsight.services.labeling.launch"
MEMBERS = "superinsight.services.labeling.members"
CONNECTED = ConnectionState(True, "Label Studio is connected.")
NOT_CONNECTED = ConnectionState(False, "Label Studio is not connected. Set LABEL_STUDIO_URL and restart.")
NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
PROJECT = ProjectView(
    7, "Refund triage", "classification", "ready", None, 50, 20, "http://ls/projects/3/data", {"ann@x": 20}
)
ANN = Annotator(21, "ann@x", "Ann *Bold* [link](http://evil)")
BEN = Annotator(22, "ben@x", "")


def _labeling(stubs: Stubs, state: ConnectionState, projects: list[ProjectView] | None = None) -> None:
    stubs.returns("superinsight.services.labeling.connection.connection_state", state)
    stubs.returns(f"{VIEWS}.list_projects", [PROJECT] if projects is None else projects)
    stubs.returns(f"{VIEWS}.billing_summary", [BillingRow("Refund triage", "ann@x", 20, 61.5, NOW, NOW)])
    stubs.returns("superinsight.services.rules.views.list_rules", [])
    stubs.returns("superinsight.services.labeling.quality.project_agreement", Agreement(0.72, 2, 14))
    stubs.returns("ui.jobs.job_status", JobStatus("job-1", "running", 0.5, "25 of 50 documents sent"))
    stubs.returns(f"{MEMBERS}.annotator_choices", [ANN, BEN])
    stubs.returns(f"{MEMBERS}.project_annotators", [ANN])


def _parts(page: Any) -> list[str]:
    controls = page.at.segmented_control
    return list(controls[0].options) if controls else []


class TestLabelingPage:
    @by_role("admin", "analyst", "annotator")
    def test_not_connected_says_how_and_lists_projects_without_actions(self, stubs: Stubs, role: str) -> None:
        _labeling(stubs, NOT_CONNECTED)
        page = open_page(stubs, "labeling", role)
        starts_with_a_header(page, "Labeling")
        assert "LABEL\\_STUDIO\\_URL" in page.at.info[0].value
        assert "Launch a project" not in _parts(page)
        assert "Pull annotations" not in page.labels()
        assert page.at.progress[0].value == 40  # 20 of 50
        assert ("Billing" in _parts(page)) == (role == "admin")

    @by_role("admin", "analyst")
    def test_connected_shows_progress_links_and_actions(self, stubs: Stubs, role: str) -> None:
        _labeling(stubs, CONNECTED)
        page = open_page(stubs, "labeling", role)
        assert _parts(page)[:2] == ["Projects", "Launch a project"]
        assert page.at.link_button[0].proto.url == "http://ls/projects/3/data"
        assert {"Pull annotations", "Add new matches", "Save annotators"} <= page.labels()
        assert "ann@x 20" in page.texts("caption")
        assert "(Krippendorff's alpha): 0.72 over 14 task(s)" in page.texts("caption")

    def test_an_annotator_member_follows_and_pulls_but_neither_launches_nor_chooses(
        self, stubs: Stubs
    ) -> None:
        _labeling(stubs, CONNECTED)
        page = open_page(stubs, "labeling", "annotator")
        assert _parts(page) == [], "only the projects: no part to choose"
        assert page.at.link_button[0].proto.url == "http://ls/projects/3/data"
        assert page.at.progress[0].value == 40
        assert "Pull annotations" in page.labels()
        assert not {"Add new matches", "Retry sending", "Save annotators"} & page.labels()
        assert not page.at.multiselect and not page.at.expander
        assert not {f"{MEMBERS}.annotator_choices", f"{MEMBERS}.project_annotators"} & set(page.calls)

    def test_an_annotator_of_no_project_is_told_an_admin_must_add_them(self, stubs: Stubs) -> None:
        _labeling(stubs, CONNECTED, [])
        page = open_page(stubs, "labeling", "annotator")
        assert "an admin must add you to a project" in page.at.info[0].value
        assert "Launch one" not in page.texts("info")
        assert not page.at.progress and "Pull annotations" not in page.labels()

    def test_an_admin_chooses_a_projects_annotators_shown_as_plain_text(self, stubs: Stubs) -> None:
        _labeling(stubs, CONNECTED)
        saved: list[Any] = []
        stubs.returns(
            f"{MEMBERS}.set_annotators",
            lambda _r, _a, project_id, user_ids: saved.append((project_id, user_ids)) or (1, 1),
        )
        page = open_page(stubs, "labeling", "admin")
        picker = page.at.multiselect(key="labeling_members_7")
        assert picker.options == ["Ann *Bold* [link](http://evil) (ann@x)", "ben@x"]
        assert picker.value == [21]
        picker.set_value([22])
        page.at.button(key="labeling_members_save_7").click()
        page.run()
        assert saved == [(7, [22])]
        assert page.at.success[0].value == "Annotators of Refund triage saved: 1 added, 1 removed."

    def test_a_refused_choice_of_annotators_says_why(self, stubs: Stubs) -> None:
        from superinsight.services.errors import InvalidInputError

        _labeling(stubs, NOT_CONNECTED)
        stubs.raises(
            f"{MEMBERS}.set_annotators",
            InvalidInputError(
                "vic@x (viewer) does not work on labeling projects: give them the annotator role"
            ),
        )
        page = open_page(stubs, "labeling", "analyst")
        page.at.button(key="labeling_members_save_7").click()
        page.run()
        assert "Annotators not saved: vic@x (viewer) does not work" in page.at.error[0].value.replace(
            "\\", ""
        ).replace(WORD_JOINER, "")

    def test_a_viewer_is_told_the_page_is_not_theirs(self, stubs: Stubs) -> None:
        _labeling(stubs, CONNECTED)
        page = open_page(stubs, "labeling", "viewer")
        assert "does not work with Label Studio" in page.at.warning[0].value
        assert f"{VIEWS}.list_projects" not in page.calls

    def test_a_failed_project_offers_a_retry(self, stubs: Stubs) -> None:
        failed = ProjectView(8, "Half way", "sentiment", "failed", "HTTP 500 (20 sent)", 50, 0, None)
        _labeling(stubs, CONNECTED, [failed])
        stubs.returns(f"{LAUNCH}.add_to_project", (0, "job-1"))
        page = open_page(stubs, "labeling", "analyst")
        assert "Sending stopped: HTTP 500 (20 sent)" in page.at.error[0].value
        next(b for b in page.at.button if b.label == "Retry sending").click()
        page.run()
        assert f"{LAUNCH}.add_to_project" in page.calls
        assert "0 new document(s) added" in page.at.success[0].value
        assert page.at.progress[0].proto.text == "25 of 50 documents sent", "the job is followed"


CONNECTION = "superinsight.services.labeling.connection.connection_state"
AGREEMENT = "superinsight.services.labeling.quality.project_agreement"
PULL = "superinsight.services.labeling.pull.start_pull"
MANAGE_READS = {f"{MEMBERS}.annotator_choices", f"{MEMBERS}.project_annotators"}
PARTS = {
    "admin": ["Projects", "Launch a project", "Billing"],
    "analyst": ["Projects", "Launch a project"],
    "annotator": [],
}


class TestLabelingProjects:
    @by_role(*ROLES)
    def test_each_role_gets_its_parts_and_the_page_reads_only_what_it_shows(
        self, stubs: Stubs, role: str
    ) -> None:
        _labeling(stubs, CONNECTED)
        page = open_page(stubs, "labeling", role)
        if role == "viewer":
            assert page.calls == [], "nothing is read for a role the page is not for"
            assert not page.at.progress and not page.labels()
            return
        assert _parts(page) == PARTS[role]
        reads = {CONNECTION, f"{VIEWS}.list_projects", AGREEMENT}
        assert set(page.calls) == (reads | MANAGE_READS if role != "annotator" else reads)
        assert page.at.progress[0].value == 40

    def test_what_was_typed_or_reported_is_shown_as_text(self, stubs: Stubs) -> None:
        typed = ProjectView(
            8, "**Refunds** <b>x</b>", "sentiment", "failed", "HTTP *500*", 50, 20, None,
            {"**ann**": 3}, None, "Label Studio <i>down</i>",
        )  # fmt: skip
        _labeling(stubs, CONNECTED, [typed])
        stubs.returns(PULL, "job-1")
        page = open_page(stubs, "labeling", "analyst")
        assert r"**\*\*Refunds\*\* \<b\>x\</b\>** · Sentiment" in page.texts("markdown")
        assert page.at.error[0].value == r"Sending stopped: HTTP \*500\*"
        captions = page.texts("caption")
        assert r"Figures from the last pull: Label Studio \<i\>down\</i\>" in captions
        assert r"Annotations pulled: \*\*ann\*\* 3" in captions
        page.at.button(key="labeling_pull_8").click()
        page.run()
        assert page.at.success[0].value == r"Pulling the annotations of \*\*Refunds\*\* \<b\>x\</b\>…"

    @by_role("admin", "analyst", "annotator")
    def test_pulling_starts_a_job_and_the_page_follows_it(self, stubs: Stubs, role: str) -> None:
        _labeling(stubs, CONNECTED)
        pulled: list[int] = []
        stubs.returns(PULL, lambda _r, _a, project_id: pulled.append(project_id) or "job-1")
        page = open_page(stubs, "labeling", role)
        assert "ui.jobs.job_status" not in page.calls, "no job followed yet"
        page.at.button(key="labeling_pull_7").click()
        page.run()
        assert pulled == [7]
        assert page.at.success[0].value == "Pulling the annotations of Refund triage…"
        assert page.at.progress[0].proto.text == "25 of 50 documents sent"

    def test_a_refused_pull_says_why(self, stubs: Stubs) -> None:
        _labeling(stubs, CONNECTED)
        stubs.raises(PULL, InvalidInputError("Label Studio answered *401*"))
        page = open_page(stubs, "labeling", "annotator")
        page.at.button(key="labeling_pull_7").click()
        page.run()
        assert page.at.error[0].value == r"Not pulled: Label Studio answered \*401\*"
        assert "labeling_job" not in page.at.session_state

    @by_role("admin", "analyst")
    def test_no_projects_says_how_to_start_one_when_it_can_be_done(self, stubs: Stubs, role: str) -> None:
        _labeling(stubs, CONNECTED, [])
        page = open_page(stubs, "labeling", role)
        assert page.at.info[0].value == "No labeling projects yet. Launch one from a search or a rule."
        assert f"{MEMBERS}.annotator_choices" not in page.calls, "no project to choose annotators for"
        _labeling(stubs, NOT_CONNECTED, [])
        page = open_page(stubs, "labeling", role)
        assert page.at.info[-1].value == "No labeling projects yet."

    @by_role("analyst", "annotator")
    def test_a_refused_list_of_projects_is_the_pages_message(self, stubs: Stubs, role: str) -> None:
        _labeling(stubs, CONNECTED)
        stubs.raises(f"{VIEWS}.list_projects", InvalidInputError("the **store** is busy"))
        page = open_page(stubs, "labeling", role)
        assert page.at.error[0].value == r"the \*\*store\*\* is busy"
        assert not page.at.info, "not followed by 'no projects yet' or 'you are not a member'"
        assert not page.at.progress and AGREEMENT not in page.calls
