"""The Insights page for each role, its services stubbed: charts, cards, the inbox."""

from __future__ import annotations

from tests.pages.stubbed import (
    HOSTILE_NAME,
    NOW,
    ROLES,
    Stubs,
    by_role,
    legend_of,
    open_page,
    starts_with_a_header,
)


def _insights(stubs: Stubs, *, empty: bool = False) -> None:
    from superinsight.services.insights.notifications import NotificationRow
    from superinsight.services.insights.views import InsightCard, PatternRow, RatePoint

    views = "superinsight.services.insights.views"
    stubs.returns(f"{views}.match_rates", [] if empty else [RatePoint("Refunds", NOW, 12, 0.1, "pass")])
    stubs.returns(
        f"{views}.insights",
        []
        if empty
        else [
            InsightCard(
                7,
                "rate_shift",
                "**Refunds** [rose](http://evil.example)",
                "from 5% to 10%",
                0.4,
                ["Look"],
                NOW,
                False,
            )
        ],
    )
    stubs.returns(
        f"{views}.patterns", [] if empty else [PatternRow("Refunds", "metadata.region = EMEA", 0.6)]
    )
    stubs.returns(f"{views}.acknowledge", None)
    notes = "superinsight.services.insights.notifications"
    stubs.returns(
        f"{notes}.notifications",
        [] if empty else [NotificationRow(3, "rule_run", "Run", "12 matched", "unread", NOW)],
    )
    stubs.returns(f"{notes}.mark_notifications", 1)


class TestInsights:
    @by_role(*ROLES)
    def test_everyone_reads_insights_only_rule_editors_acknowledge_them(
        self, stubs: Stubs, role: str
    ) -> None:
        _insights(stubs)
        page = open_page(stubs, "insights", role)
        starts_with_a_header(page, "Insights")
        assert page.at.get("plotly_chart")
        assert ("Acknowledge" in page.labels()) == (role in ("admin", "analyst"))
        assert {"Mark 1 notification read", "Dismiss 1 notification"} <= page.labels()

    def test_titles_are_shown_as_text_not_markdown(self, stubs: Stubs) -> None:
        _insights(stubs)
        page = open_page(stubs, "insights", "viewer")
        title = next(m.value for m in page.at.markdown if "Refunds" in m.value)
        assert r"\*\*Refunds\*\* \[rose\]" in title

    def test_nothing_yet_says_how_insights_come(self, stubs: Stubs) -> None:
        _insights(stubs, empty=True)
        page = open_page(stubs, "insights", "analyst")
        assert "Apply to all documents" in page.at.info[0].value
        assert "Your inbox is empty" in page.texts("caption")
        assert not page.labels()


class TestNamesInCharts:
    """Plotly reads a small HTML dialect in legends and hovers: typed names must arrive escaped."""

    def test_a_rule_name_with_tags_is_a_legend_entry_not_a_link(self, stubs: Stubs) -> None:
        from superinsight.services.insights.views import RatePoint

        _insights(stubs)
        stubs.returns(
            "superinsight.services.insights.views.match_rates",
            [RatePoint(HOSTILE_NAME, NOW, 12, 0.1, "pass")],
        )
        legend = legend_of(open_page(stubs, "insights", "viewer"))
        assert legend == [
            "&lt;a href='https://evil.example'&gt;Refunds&lt;/a&gt; &amp; &lt;b&gt;co&lt;/b&gt;"
        ]
