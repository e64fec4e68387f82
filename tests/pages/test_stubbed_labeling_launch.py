"""The Labeling page's launch form and billing, each role that sees them, its services stubbed."""

from __future__ import annotations

from typing import Any

from superinsight.services.documents.search import SearchQuery
from superinsight.services.errors import InvalidInputError
from tests.pages.stubbed import Stubs, by_role, open_page
from tests.pages.test_stubbed_labeling import CONNECTED, LAUNCH, MEMBERS, NOW, VIEWS, _labeling

PART = "labeling_part"
LAUNCH_READS = {"superinsight.services.rules.views.list_rules", f"{MEMBERS}.annotator_choices"}
PROJECT_READS = {
    f"{VIEWS}.list_projects",
    "superinsight.services.labeling.quality.project_agreement",
    f"{MEMBERS}.project_annotators",
}


class TestLabelingLaunch:
    @by_role("admin", "analyst")
    def test_the_launch_form_reads_rules_and_annotators_only_when_opened(
        self, stubs: Stubs, role: str
    ) -> None:
        _labeling(stubs, CONNECTED)
        page = open_page(stubs, "labeling", role)
        assert "superinsight.services.rules.views.list_rules" not in page.calls
        assert "Launch" not in page.labels()
        page.at.segmented_control(key=PART).set_value("Launch a project")
        page.run()
        assert set(page.calls) >= LAUNCH_READS
        assert not PROJECT_READS & set(page.calls), "the projects are not drawn under the form"
        assert page.at.radio(key="labeling_kind").options == ["The current Documents search"], "no rules"
        assert "Launch" in page.labels()

    def test_the_search_sent_is_described_as_text(self, stubs: Stubs) -> None:
        _labeling(stubs, CONNECTED)
        launched: list[Any] = []
        stubs.returns(f"{LAUNCH}.launch", lambda _r, _a, request: launched.append(request) or (12, "job-2"))
        query = SearchQuery(text="**refund** <b>x</b>", source_ids=(1, 2), tags=("_vip_",))
        page = open_page(
            stubs, "labeling", "analyst", {"labeling_selection": {"kind": "search"}, "doc_query": query}
        )
        assert (
            r"Search: \*\*refund\*\* \<b\>x\</b\>, 2 source(s), tags \_vip\_"
            " (change it on the Documents page)" in page.texts("caption")
        )
        page.at.button(key="labeling_launch").click()
        page.run()
        assert launched[0].selection.query == query
        assert launched[0].selection.sample is None, "0 sends them all"
        assert "labeling_selection" not in page.at.session_state, "the carried selection is used up"

    def test_each_template_asks_for_what_it_needs(self, stubs: Stubs) -> None:
        _labeling(stubs, CONNECTED)
        page = open_page(stubs, "labeling", "analyst", {PART: "Launch a project"})
        asked = {}
        for template in ("classification", "entities", "sentiment", "custom"):
            page.at.selectbox(key="labeling_tpl").select(template)
            page.run()
            asked[template] = [t.label for t in page.at.text_input if t.key == "labeling_classes"] + [
                a.label for a in page.at.text_area
            ]
        assert asked == {
            "classification": ["Classes"],
            "entities": ["Entity labels"],
            "sentiment": [],
            "custom": ["Label Studio XML config"],
        }

    def test_a_rule_carried_over_opens_the_launch_form_and_launches_it(self, stubs: Stubs) -> None:
        from superinsight.services.rules.drafts import RuleDraft
        from superinsight.services.rules.views import RuleSummary, RuleView

        _labeling(stubs, CONNECTED)
        rule = RuleView(3, 1, True, RuleDraft("Refunds", {"in": ["refund", {"var": "content"}]}), NOW)
        stubs.returns(
            "superinsight.services.rules.views.list_rules", [RuleSummary(rule, None, None, None, [])]
        )
        launched: list[Any] = []
        stubs.returns(f"{LAUNCH}.launch", lambda _r, _a, request: launched.append(request) or (11, "job-2"))
        page = open_page(stubs, "labeling", "analyst", {"labeling_selection": {"kind": "rule", "rule_id": 3}})
        assert page.at.segmented_control[0].value == "Launch a project"
        assert page.at.radio[0].value == "A rule's matches"
        assert page.at.text_input(key="labeling_title").proto.max_chars == 255, "no longer than it is kept"
        page.at.text_input(key="labeling_title").input("Check refunds")
        page.at.text_input(key="labeling_classes").input("refund, other")
        page.at.multiselect(key="labeling_annotators").set_value([22])
        page.at.button(key="labeling_launch").click()
        page.run()
        assert launched[0].selection.rule_id == 3 and launched[0].classes == ("refund", "other")
        assert launched[0].annotators == (22,)
        assert "Project 11 created" in page.at.success[0].value

    def test_a_refused_launch_says_why(self, stubs: Stubs) -> None:
        _labeling(stubs, CONNECTED)
        stubs.raises(f"{LAUNCH}.launch", InvalidInputError("label config: <script> is not one of the tags"))
        page = open_page(stubs, "labeling", "analyst", {"labeling_selection": {"kind": "search"}})
        page.at.button(key="labeling_launch").click()
        page.run()
        assert "Not launched: label config: <script>" in page.at.error[0].value.replace("\\", "")


class TestLabelingBilling:
    def test_billing_is_read_only_when_chosen_and_made_into_csv_only_on_a_click(self, stubs: Stubs) -> None:
        _labeling(stubs, CONNECTED)
        page = open_page(stubs, "labeling", "admin")
        assert f"{VIEWS}.billing_summary" not in page.calls
        page.at.segmented_control(key=PART).set_value("Billing")
        page.run()
        assert f"{VIEWS}.billing_summary" in page.calls
        assert not {f"{VIEWS}.billing_csv", f"{VIEWS}.list_projects"} & set(page.calls)

    def test_no_billing_yet_says_when_it_comes(self, stubs: Stubs) -> None:
        _labeling(stubs, CONNECTED)
        stubs.returns(f"{VIEWS}.billing_summary", [])
        page = open_page(stubs, "labeling", "admin", {PART: "Billing"})
        assert "billing rows appear after the first pull" in page.at.info[0].value
        assert not page.at.dataframe and not page.at.get("download_button")

    def test_an_admin_exports_billing(self, stubs: Stubs) -> None:
        _labeling(stubs, CONNECTED)
        page = open_page(stubs, "labeling", "admin", {"labeling_part": "Billing"})
        assert list(page.at.dataframe[0].value["annotator"]) == ["ann@x"]
        assert any(b.label == "Export billing as CSV" for b in page.at.get("download_button"))
