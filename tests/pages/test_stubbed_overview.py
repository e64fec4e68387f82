"""The Overview page for each role, its services stubbed: figures, the empty workspace, what waits."""

from __future__ import annotations

from datetime import date
from typing import Any

from superinsight.services.errors import InvalidInputError
from tests.pages.stubbed import (
    HOSTILE_NAME,
    ROLES,
    Stubs,
    by_role,
    legend_of,
    open_in_app,
    open_page,
    starts_with_a_header,
)


def _overview(stubs: Stubs, documents: int, waiting: dict[str, int] | None = None) -> None:
    """The overview's services; `waiting`: what the attention list holds for whoever may act on it."""
    from superinsight.services import attention
    from superinsight.services.overview import Summary

    def needs(resources: Any, actor: Any) -> attention.Attention:
        kinds = [kind for kind, needed in attention.ACTS_ON.items() if all(map(actor.can, needed))]
        items = [attention.Item(kind, count) for kind, count in (waiting or {}).items() if kind in kinds]
        return attention.Attention(items, bool(kinds))

    stubs.returns("superinsight.services.attention.attention", needs)

    stubs.returns(
        "superinsight.services.overview.summary",
        Summary(documents, 0 if documents == 0 else 2, 1, 3),
    )
    stubs.returns(
        "superinsight.services.documents.views.documents_per_day",
        [(date(2026, 11, 29), "Support desk", documents)] if documents else [],
    )


WAITING = {"sync_runs": 1, "conflicts": 12, "quality": 2, "insights": 1, "labeling": 3}
LINKS = {
    "sync_runs": ("1 sync job whose latest run failed or stopped part way", "sync"),
    "conflicts": ("12 sync conflicts waiting for you to choose a version", "sync"),
    "quality": ("2 sources scoring below a quality threshold", "quality"),
    "insights": ("1 new insight not acknowledged yet", "insights"),
    "labeling": ("3 labeling projects never pulled back", "labeling"),
}
ROLE_SEES = {
    "admin": set(LINKS),
    "analyst": set(LINKS),
    "annotator": {"labeling"},
    "viewer": set(),
}


class TestOverview:
    @by_role(*ROLES)
    def test_shows_the_figures_to_everyone(self, stubs: Stubs, role: str) -> None:
        _overview(stubs, 120)
        page = open_page(stubs, "overview", role)
        starts_with_a_header(page, "Overview")
        assert {m.label: m.value for m in page.at.metric}["Documents"] == "120"
        assert page.at.get("plotly_chart")
        assert "Load demo data" not in page.labels()

    @by_role(*ROLES)
    def test_an_empty_workspace_says_what_to_do_and_only_an_admin_may_load_the_demo(
        self, stubs: Stubs, role: str
    ) -> None:
        _overview(stubs, 0)
        page = open_page(stubs, "overview", role)
        assert "Your workbench is empty" in page.at.info[0].value
        assert ("Load demo data" in page.labels()) == (role == "admin")
        assert "superinsight.services.documents.views.documents_per_day" not in page.calls

    @by_role(*ROLES)
    def test_what_needs_attention_links_to_where_the_role_acts_on_it(self, stubs: Stubs, role: str) -> None:
        _overview(stubs, 120, WAITING)
        page = open_in_app(stubs, role)
        links = {link.value: link.proto.page for link in page.at.main.page_link}
        assert links == {label: target for kind, (label, target) in LINKS.items() if kind in ROLE_SEES[role]}
        assert "superinsight.services.attention.attention" in page.calls
        if role == "viewer":
            assert "Your role reads the workbench; nothing here waits on you." in page.texts("caption")
        assert not page.at.success

    @by_role("admin", "analyst", "annotator")
    def test_nothing_waiting_says_so(self, stubs: Stubs, role: str) -> None:
        _overview(stubs, 120)
        page = open_in_app(stubs, role)
        assert page.at.success[0].value == "Nothing needs your attention today."
        assert not page.at.main.page_link

    def test_a_refused_attention_list_says_why_and_the_figures_still_show(self, stubs: Stubs) -> None:
        _overview(stubs, 120)
        stubs.raises("superinsight.services.attention.attention", InvalidInputError("not now"))
        page = open_page(stubs, "overview", "analyst")
        assert "not now" in page.at.error[0].value
        assert {m.label: m.value for m in page.at.metric}["Documents"] == "120"

    def test_a_refused_demo_says_why(self, stubs: Stubs) -> None:
        _overview(stubs, 0)
        stubs.raises("superinsight.services.demo.seed.start_seed", InvalidInputError("already loading"))
        page = open_page(stubs, "overview", "admin")
        next(b for b in page.at.button if b.label == "Load demo data").click()
        page.run()
        assert "The demo was not loaded: already loading" in page.at.error[0].value

    def test_a_failed_demo_load_says_why_as_text(self, stubs: Stubs) -> None:
        from superinsight.adapters.jobs import JobStatus

        _overview(stubs, 0)
        stubs.returns("ui.jobs.job_status", JobStatus("j1", "failed", error="disk *full*"))
        page = open_page(stubs, "overview", "admin", {"demo_seed_job": "j1"})
        assert page.at.error[0].value == r"The job failed: disk \*full\*"
        assert "demo_seed_job" not in page.at.session_state


class TestNamesInCharts:
    """Plotly reads a small HTML dialect in legends and hovers: typed names must arrive escaped."""

    def test_a_source_name_with_tags_is_a_legend_entry_not_a_link(self, stubs: Stubs) -> None:
        _overview(stubs, 120)
        stubs.returns(
            "superinsight.services.documents.views.documents_per_day",
            [(date(2026, 11, 29), HOSTILE_NAME, 3)],
        )
        legend = legend_of(open_page(stubs, "overview", "viewer"))
        assert legend == [
            "&lt;a href='https://evil.example'&gt;Refunds&lt;/a&gt; &amp; &lt;b&gt;co&lt;/b&gt;"
        ]


class TestNarrowedUser:
    """Workspace-wide actions (the services refuse them) are not offered to a user limited to some sources."""

    def test_no_demo_to_load(self, stubs: Stubs) -> None:
        _overview(stubs, 0)
        page = open_page(stubs, "overview", "admin", narrowed=True)
        assert "Load demo data" not in page.labels()
        assert "Ask an admin" in page.at.info[0].value
