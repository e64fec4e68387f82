"""The Data quality page for each role, its services stubbed: scores, drivers, issues, settings."""

from __future__ import annotations

import json
from dataclasses import replace

from superinsight.quality.dimensions import DIMENSIONS
from superinsight.services.errors import InvalidInputError
from tests.pages.stubbed import (
    NOW,
    ROLES,
    Stubs,
    by_role,
    open_page,
    starts_with_a_header,
)


def _quality(stubs: Stubs, *, scored: bool = True) -> None:
    from superinsight.services.documents.sources import SourceRow
    from superinsight.services.quality.issues import IssueRow
    from superinsight.services.quality.views import SourceScore

    score = SourceScore(1, "Support desk", 60, 90.0, 80.0, 100.0, 95.0, 70.0, 88.0, NOW)
    views = "superinsight.services.quality.views"
    stubs.returns(f"{views}.latest", [(score, None)] if scored else [])
    stubs.returns(f"{views}.history", [score] if scored else [])
    stubs.returns(
        "superinsight.services.documents.sources.list_sources",
        [SourceRow(1, "Support desk", "csv", "active")],
    )
    issues = "superinsight.services.quality.issues"
    stubs.returns(f"{issues}.counts", {("completeness", "open"): 2} if scored else {})
    stubs.returns(
        f"{issues}.issues",
        [
            IssueRow(n, n, f"Ticket {n}", "required: customer", "completeness", "warning", "open", None, NOW)
            for n in (1, 2)
        ],
    )
    settings = "superinsight.services.quality.settings"
    stubs.returns(f"{settings}.expectations", {"required": ["customer"]})
    stubs.returns(
        f"{settings}.weights",
        dict.fromkeys(("completeness", "validity", "uniqueness", "consistency", "timeliness"), 1.0),
    )


SETTINGS_READS = {
    "superinsight.services.quality.settings.expectations",
    "superinsight.services.quality.settings.weights",
}


class TestQuality:
    @by_role(*ROLES)
    def test_everyone_reads_scores_and_failing_documents(self, stubs: Stubs, role: str) -> None:
        _quality(stubs)
        page = open_page(stubs, "quality", role)
        starts_with_a_header(page, "Data quality")
        assert {m.label for m in page.at.metric} == {"Support desk"}
        assert page.at.get("plotly_chart")
        assert len(page.at.dataframe[0].value) == len(DIMENSIONS), "what drives the score"
        assert len(page.at.dataframe[1].value) == 2, "the failing documents"
        may_triage = role in ("admin", "analyst")
        assert ("Score every source now" in page.labels()) == may_triage
        assert ("Apply to 0 issues" in page.labels()) == may_triage
        assert bool(page.at.segmented_control) == may_triage, "readers have only one section: no selector"
        assert not SETTINGS_READS & set(page.calls), "settings are read only when their section is open"

    def test_an_unchanged_score_reads_neutral_and_says_what_drives_it(self, stubs: Stubs) -> None:
        from superinsight.services.quality.views import SourceScore

        _quality(stubs)
        now = SourceScore(1, "Support desk", 60, 90.0, None, 2.9, None, None, 92.6, NOW)
        stubs.returns("superinsight.services.quality.views.latest", [(now, replace(now, computed_at=NOW))])
        page = open_page(stubs, "quality", "viewer")
        card = page.at.metric[0]
        gray, no_arrow = 2, 2  # streamlit.proto.Metric_pb2.Metric: MetricColor.GRAY, MetricDirection.NONE
        assert (card.proto.delta, card.proto.color, card.proto.direction) == ("no change", gray, no_arrow)
        # Each holds half the weight: uniqueness (info) costs 0.5 x 0.1 x 97.1 = 4.9 points,
        # completeness (warning) 0.5 x 0.5 x 10 = 2.5; the costliest first.
        assert card.proto.help == (
            "60 documents scored. Lost to: uniqueness 2.9 (info x0.1) -4.9, "
            "completeness 90.0 (warning x0.5) -2.5."
        )
        assert any("info x0.1, warning x0.5, error x1" in c.value for c in page.at.caption)

    def test_score_tiles_keep_the_sources_order_scored_or_not(self, stubs: Stubs) -> None:
        from superinsight.services.documents.sources import SourceRow

        _quality(stubs)
        stubs.returns(
            "superinsight.services.documents.sources.list_sources",
            [SourceRow(2, "Billing", "csv", "active"), SourceRow(1, "Support desk", "csv", "active")],
        )
        page = open_page(stubs, "quality", "viewer")
        tiles = [(metric.label, metric.value, metric.proto.help) for metric in page.at.metric]
        assert tiles[0] == ("Billing", "—", "Not scored yet.")
        assert tiles[1][:2] == ("Support desk", "88.0")

    def test_the_drivers_list_every_dimension_in_its_place_and_why_one_is_missing(self, stubs: Stubs) -> None:
        from superinsight.services.quality.views import SourceScore

        _quality(stubs)
        without = SourceScore(1, "Support desk", 60, 90.0, None, 2.9, None, None, 92.6, NOW)
        stubs.returns("superinsight.services.quality.views.history", [without])
        page = open_page(stubs, "quality", "viewer")
        table = page.at.dataframe[0].value
        assert list(table["dimension"]) == list(DIMENSIONS)
        rows = table.set_index("dimension")
        assert rows.loc["consistency", "note"] == "not measured: no consistency checks"
        assert (rows.loc["uniqueness", "severity counts"], rows.loc["uniqueness", "points lost"]) == (
            "info x0.1",
            "-4.9",
        )
        assert page.at.dataframe[0].proto.placeholder == "—", "a score not measured reads as a dash"
        assert rows["score"].isna().tolist() == [False, True, False, True, True], (
            "only measured ones have bars"
        )
        assert not table.drop(columns="score").isna().any().any() and "None" not in table.to_string()

        with_checks = replace(without, consistency=75.0)
        stubs.returns("superinsight.services.quality.views.history", [with_checks])
        page = open_page(stubs, "quality", "viewer")
        rows = page.at.dataframe[0].value.set_index("dimension")
        assert list(rows.index) == list(DIMENSIONS)
        assert (rows.loc["consistency", "score"], rows.loc["consistency", "note"]) == (75.0, "")

    def test_every_chart_has_a_title(self, stubs: Stubs) -> None:
        _quality(stubs)
        page = open_page(stubs, "quality", "viewer")
        titles = [
            json.loads(chart.proto.spec)["layout"]["title"]["text"] for chart in page.at.get("plotly_chart")
        ]
        assert titles == ["Scores over time"]

    @by_role("admin", "analyst")
    def test_checks_and_weights_are_read_only_when_chosen(self, stubs: Stubs, role: str) -> None:
        _quality(stubs)
        page = open_page(stubs, "quality", role)
        page.at.segmented_control(key="quality_section").set_value("Expected checks")
        page.run()
        assert "superinsight.services.quality.settings.expectations" in page.calls
        assert {"Profile this source", "Save expectations"} <= page.labels()
        assert "superinsight.services.quality.issues.counts" not in page.calls
        page.at.segmented_control(key="quality_section").set_value("Weights")
        page.run()
        assert page.calls.count("superinsight.services.quality.settings.weights") == 1
        assert "Save weights" in page.labels()

    @by_role("analyst", "viewer")
    def test_nothing_scored_says_what_to_do(self, stubs: Stubs, role: str) -> None:
        _quality(stubs, scored=False)
        page = open_page(stubs, "quality", role)
        assert "No scores yet" in page.at.info[0].value
        assert ("Score every source now" in page.at.info[0].value) == (role == "analyst")

    def test_bad_expectations_are_refused_with_the_reason(self, stubs: Stubs) -> None:
        _quality(stubs)
        stubs.raises(
            "superinsight.services.quality.settings.set_expectations",
            InvalidInputError("unknown key 'requird'"),
        )
        page = open_page(stubs, "quality", "analyst")
        page.at.segmented_control(key="quality_section").set_value("Expected checks")
        page.run()
        page.at.text_area(key="expectations_1").input('{"requird": []}')
        page.run()
        next(b for b in page.at.button if b.label == "Save expectations").click()
        page.run()
        assert page.at.error[0].value == "Not saved: unknown key 'requird'"


class TestNamesInCharts:
    """Plotly reads a small HTML dialect in legends and hovers: typed names must arrive escaped."""

    def test_a_source_name_on_a_score_card_is_text(self, stubs: Stubs) -> None:
        from superinsight.services.quality.views import SourceScore

        _quality(stubs)
        score = SourceScore(
            1, "**Support** [desk](http://evil.example)", 60, 90.0, 80.0, 100.0, 95.0, 70.0, 88.0, NOW
        )
        stubs.returns("superinsight.services.quality.views.latest", [(score, None)])
        page = open_page(stubs, "quality", "viewer")
        shown = "\\*\\*Support\\*\\* \\[desk\\](http\\:\u2060//evil.example)"  # no link: see md
        assert [m.label for m in page.at.metric] == [shown]


class TestNarrowedUser:
    """Workspace-wide actions (the services refuse them) are not offered to a user limited to some sources."""

    def test_no_scoring_of_every_source(self, stubs: Stubs) -> None:
        _quality(stubs)
        page = open_page(stubs, "quality", "analyst", narrowed=True)
        assert "Score every source now" not in page.labels()
        assert "Apply to 0 issues" in page.labels()
