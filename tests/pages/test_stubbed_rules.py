"""The Business rules page for each role, its services stubbed: the list, the editor, tests, history."""

from __future__ import annotations

from tests.pages.stubbed import (
    NOW,
    ROLES,
    Stubs,
    by_role,
    open_page,
    starts_with_a_header,
)


def _rules(stubs: Stubs, *, listed: bool = True) -> None:
    from superinsight.rules.validation import FieldCatalog
    from superinsight.services.documents.sources import SourceRow
    from superinsight.services.rules.drafts import RuleDraft
    from superinsight.services.rules.testing import RuleTestReport, Sample
    from superinsight.services.rules.views import MatchedDocument, RuleSummary, RuleView

    draft = RuleDraft("Refunds", {"contains": [{"var": "title"}, "refund"]})
    rule = RuleView(4, 2, True, draft, NOW)
    views = "superinsight.services.rules.views"
    stubs.returns(f"{views}.list_rules", [RuleSummary(rule, 12, 0.1, "pass", [10, 12])] if listed else [])
    stubs.returns(f"{views}.matched_documents", [MatchedDocument(1, "T-1", "Refund *now*", NOW)])
    stubs.returns(f"{views}.versions", [(2, NOW, draft), (1, NOW, RuleDraft("Refunds", {"==": [1, 1]}))])
    stubs.returns(
        "superinsight.services.rules.drafts.field_catalog", FieldCatalog(metadata_keys=frozenset({"region"}))
    )
    stubs.returns(
        "superinsight.services.documents.sources.list_sources",
        [SourceRow(1, "Support desk", "csv", "active")],
    )
    stubs.returns(
        "superinsight.services.rules.testing.run_test",
        RuleTestReport(
            120, 12, "database", [Sample(1, "Refund **now**", ["title contains refund"])], "pass", 4
        ),
    )


READS = {"superinsight.services.rules.views.matched_documents", "superinsight.services.rules.views.versions"}


class TestRules:
    @by_role(*ROLES)
    def test_everyone_reads_rules_only_editors_get_the_editor(self, stubs: Stubs, role: str) -> None:
        _rules(stubs)
        page = open_page(stubs, "rules", role)
        starts_with_a_header(page, "Business rules")
        assert page.at.dataframe[0].value["name"].tolist() == ["Refunds"]
        may_edit = role in ("admin", "analyst")
        assert bool({"Test", "Save", "Apply to all documents", "Delete"} & page.labels()) == may_edit
        assert ("can read rules but not change" in page.texts("info")) == (not may_edit)
        assert not READS & set(page.calls), "matches and history are read only when asked for"

    @by_role(*ROLES)
    def test_matches_and_history_are_read_when_chosen(self, stubs: Stubs, role: str) -> None:
        _rules(stubs)
        page = open_page(stubs, "rules", role)
        if role in ("admin", "analyst"):
            page.at.selectbox(key="rule_choice").select("Refunds")
            page.run()
        page.at.segmented_control(key="rule_more").set_value("Matched documents")
        page.run()
        assert page.calls.count("superinsight.services.rules.views.matched_documents") == 1
        assert "superinsight.services.rules.views.versions" not in page.calls
        page.at.segmented_control(key="rule_more").set_value("Version history")
        page.run()
        assert page.at.code, "the diff between the two versions"

    def test_a_test_report_shows_sample_titles_as_text(self, stubs: Stubs) -> None:
        _rules(stubs)
        page = open_page(stubs, "rules", "analyst")
        page.at.selectbox(key="rule_choice").select("Refunds")
        page.run()
        page.at.button(key="rule_test").click()
        page.run()
        assert {m.label: m.value for m in page.at.metric}["Matched"] == "12"
        assert any(r"Refund \*\*now\*\*" in e.label for e in page.at.expander)

    def test_a_refused_save_lists_the_problems(self, stubs: Stubs) -> None:
        from superinsight.services.rules.drafts import RuleInputError

        _rules(stubs, listed=False)
        stubs.raises(
            "superinsight.services.rules.commands.create_rule",
            RuleInputError(
                ["name: give the rule a name", "title > 5: a text field is compared with a number"]
            ),
        )
        page = open_page(stubs, "rules", "analyst")
        assert "Write your first one below" in page.at.info[0].value
        page.at.button(key="rule_save").click()
        page.run()
        assert page.at.error[0].value.startswith("Nothing was saved. Fix these first:")
        assert "\\- title \\> 5: a text field" not in page.at.error[0].value
        assert "- title \\> 5: a text field is compared with a number" in page.at.error[0].value

    def test_no_rules_tells_a_viewer_who_writes_them(self, stubs: Stubs) -> None:
        _rules(stubs, listed=False)
        page = open_page(stubs, "rules", "viewer")
        assert "Analysts and admins write them" in page.at.info[0].value
        assert not page.at.selectbox


class TestNarrowedUser:
    """Workspace-wide actions (the services refuse them) are not offered to a user limited to some sources."""

    def test_a_rule_is_tested_and_saved_but_not_applied_to_everything(self, stubs: Stubs) -> None:
        _rules(stubs)
        page = open_page(stubs, "rules", "analyst", narrowed=True)
        page.at.selectbox(key="rule_choice").select("Refunds")
        page.run()
        assert page.at.button(key="rule_apply").disabled
        assert not page.at.button(key="rule_save").disabled


class TestRuleAgainstLabels:
    @by_role("admin", "analyst", "annotator", "viewer")
    def test_precision_recall_and_disagreements_are_shown_when_chosen(self, stubs: Stubs, role: str) -> None:
        from superinsight.labeling.agreement import rule_score

        _rules(stubs)
        stubs.returns("superinsight.services.labeling.quality.label_names_in_use", ["other", "refund"])
        score = rule_score([True, True, False], [True, False, True], [11, 12, 13])
        stubs.returns("superinsight.services.labeling.quality.rule_against_labels", score)
        page = open_page(stubs, "rules", role)
        if role in ("admin", "analyst"):
            page.at.selectbox(key="rule_choice").select("Refunds")
            page.run()
        assert "superinsight.services.labeling.quality.rule_against_labels" not in page.calls
        page.at.segmented_control(key="rule_more").set_value("Against human labels")
        page.run()
        figures = {m.label: m.value for m in page.at.metric}
        assert (figures["Precision"], figures["Recall"], figures["Labelled documents"]) == ("50%", "50%", "3")
        rows = page.at.dataframe[-1].value
        assert rows.to_dict("records") == [
            {"document": 13, "why": "labelled, not matched"},
            {"document": 12, "why": "matched, not labelled"},
        ]
        assert ("Send matches to Label Studio" in page.labels()) == (role in ("admin", "analyst"))
