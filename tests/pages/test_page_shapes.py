"""Each page drawn for each role with its services stubbed: what is offered, what is not, no errors.

No database: the services a page imported are replaced by small fixed answers, and
`resources()` by an object that fails the test if a page reaches a store itself.
The real-workbench layer (test_pages.py and friends) checks the services behind them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

import ui.document_edit
import ui.document_upload
import ui.job_form
import ui.jobs
import ui.rule_editor
import ui.rule_test_panel
import ui.session
import ui.status
from superinsight.quality.dimensions import DIMENSIONS
from superinsight.services.context import role_actor
from superinsight.services.errors import InvalidInputError
from ui.feedback import WORD_JOINER

ROOT = Path(__file__).resolve().parents[2]
ROLES = ("admin", "analyst", "annotator", "viewer")
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


class NoStore:
    """Stands for the resources: a page that reaches past its stubbed services fails here."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the page used resources().{name} instead of a stubbed service")


@dataclass
class Page:
    """A page run with stubs; `calls` names every stubbed service it called, in order."""

    at: AppTest
    calls: list[str] = field(default_factory=list)

    def run(self) -> Page:
        self.calls.clear()
        self.at.run()
        assert not self.at.exception, self.at.exception
        return self

    def labels(self, kind: str = "button") -> set[str]:
        return {widget.label for widget in getattr(self.at, kind)}

    def texts(self, kind: str) -> str:
        """What the elements say, as a person reads it (without md's invisible word joiners)."""
        return "\n".join(str(item.value) for item in getattr(self.at, kind)).replace(WORD_JOINER, "")


class Stubs:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.calls: list[str] = []

    def returns(self, target: str, value: Any) -> None:
        """`module.function` answers `value` (or `value(*args)` when it is callable)."""
        module, _, name = target.rpartition(".")

        def stub(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(target)
            return value(*args, **kwargs) if callable(value) else value

        self.monkeypatch.setattr(f"{module}.{name}", stub)

    def raises(self, target: str, error: Exception) -> None:
        def fail(*args: Any, **kwargs: Any) -> Any:
            raise error

        self.returns(target, fail)


@pytest.fixture
def stubs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubs]:
    monkeypatch.chdir(ROOT)
    store = NoStore()
    for module in (
        ui.session,
        ui.jobs,
        ui.job_form,
        ui.status,
        ui.document_edit,
        ui.document_upload,
        ui.rule_editor,
        ui.rule_test_panel,
    ):
        # Imported above, before any patching: a module first imported now would keep the stub.
        monkeypatch.setattr(module, "resources", lambda: store)
    yield Stubs(monkeypatch)


def open_page(
    stubs: Stubs, page: str, role: str, state: dict[str, Any] | None = None, *, narrowed: bool = False
) -> Page:
    """The page as `role` sees it; `narrowed`: a user limited to source 1 (project permissions)."""
    actor = role_actor("demo", role, user_id=1)
    if narrowed:
        actor = replace(actor, source_ids=frozenset({1}))
    stubs.monkeypatch.setattr("ui.session.current_actor", lambda: actor)
    at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=10)
    for key, value in (state or {}).items():
        at.session_state[key] = value
    shown = Page(at, stubs.calls)
    return shown.run()


def open_in_app(stubs: Stubs, role: str) -> Page:
    """The landing page drawn through app.py's navigation, as `role` signed in sees it.

    st.page_link only finds pages that app.py's navigation lists, so a page with links is
    run under app.py: its sign-in, inbox figure and status badge are stubbed like the rest.
    """
    actor = role_actor("demo", role, user_id=1)
    stubs.monkeypatch.setattr("ui.session.authenticate", lambda: actor)
    stubs.monkeypatch.setattr("ui.session.current_actor", lambda: actor)
    stubs.monkeypatch.setattr("ui.status.show_badge", lambda: None)
    stubs.returns("superinsight.services.insights.notifications.unread_count", 0)
    return Page(AppTest.from_file(str(ROOT / "app.py"), default_timeout=10), stubs.calls).run()


def by_role(*roles: str) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("role", roles)


def starts_with_a_header(page: Page, title: str) -> None:
    assert page.at.title[0].value == title
    assert page.at.caption, "a one-line caption under the title says what can be done here"


# --- Overview ---------------------------------------------------------------------------------


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


# --- System health ----------------------------------------------------------------------------


def _health(stubs: Stubs, role: str, *, queue_answers: bool = True) -> None:
    from superinsight.services.health.history import LatencyPoint
    from superinsight.services.health.probes import ServiceHealth
    from superinsight.services.health.queue import FailedJobRow
    from superinsight.services.health.report import HealthReport

    admin = role == "admin"
    database = ServiceHealth(
        "database", "sqlite", "up", 1.5, "a file, no server, 2 MB", "SQLite 3.40.1", (("schema", "0012"),)
    )
    failed = [
        FailedJobRow(
            "j1", "graph.backlog.drain_job", "Neo4j does not answer", NOW, role in ("admin", "analyst")
        ),
        FailedJobRow("j2", "sync.runner.run_execution_job", "source *gone*", NOW, False),
    ]
    stubs.returns(
        "superinsight.services.health.report.health_report",
        HealthReport(
            [
                replace(database, address="sqlite:////srv/wb.db" if admin else ""),
                ServiceHealth("cache", "redis", "down", None, "no answer within 0.8 s"),
                ServiceHealth("graph", "neo4j", "up", 4.0, "answering over Bolt", "Neo4j/5.26.0"),
            ],
            failed if queue_answers else None,
            3,
            [LatencyPoint(NOW, "database", 1.2), LatencyPoint(NOW, "database", 1.5)],
            admin,
        ),
    )


class TestHealth:
    @by_role(*ROLES)
    def test_lists_the_services_names_the_ones_down_and_offers_retry_to_who_may(
        self, stubs: Stubs, role: str
    ) -> None:
        _health(stubs, role)
        page = open_page(stubs, "health", role)
        starts_with_a_header(page, "System health")
        assert "1 service(s) down: cache" in page.at.error[0].value
        table = page.at.dataframe[0].value
        assert list(table["backend"]) == ["sqlite (embedded default)", "redis", "neo4j"]
        assert list(table["version"]) == ["SQLite 3.40.1", "", "Neo4j/5.26.0"]
        assert ("address" in table.columns) == (role == "admin")
        assert ("sqlite:////srv/wb.db" in str(table.to_dict())) == (role == "admin")
        assert "- changes waiting to be projected: 3" in page.texts("markdown")
        assert r"source \*gone\*" in page.texts("markdown")
        retry = [b for b in page.at.button if b.label == "Retry"]
        assert [b.key for b in retry] == (["retry_j1"] if role in ("admin", "analyst") else [])
        chart = json.loads(page.at.get("plotly_chart")[0].proto.spec)
        assert chart["layout"]["title"]["text"] == "Probe latency per check"
        assert chart["layout"]["xaxis"]["title"]["text"] == "checked at (UTC)"
        assert chart["layout"]["yaxis"]["title"]["text"] == "latency (ms)"

    def test_retry_queues_the_job_again_and_a_refusal_says_why(self, stubs: Stubs) -> None:
        from superinsight.services.errors import PermissionDeniedError

        _health(stubs, "analyst")
        stubs.returns("superinsight.services.health.queue.retry_job", None)
        page = open_page(stubs, "health", "analyst")
        next(b for b in page.at.button if b.label == "Retry").click()
        page.run()
        assert "superinsight.services.health.queue.retry_job" in page.calls
        assert "is queued again" in page.at.success[0].value
        stubs.raises("superinsight.services.health.queue.retry_job", PermissionDeniedError("not yours"))
        next(b for b in page.at.button if b.label == "Retry").click()
        page.run()
        assert page.at.error[-1].value == "Not retried: not yours"

    def test_a_queue_that_did_not_answer_is_said_not_waited_for(self, stubs: Stubs) -> None:
        _health(stubs, "viewer", queue_answers=False)
        page = open_page(stubs, "health", "viewer")
        assert "did not answer in time" in page.at.warning[0].value


# --- Insights ---------------------------------------------------------------------------------


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


HOSTILE_NAME = "<a href='https://evil.example'>Refunds</a> & <b>co</b>"


def _legend(page: Page) -> list[str]:
    """The names of the traces of every plotly chart on the page, as plotly receives them."""
    return [
        trace["name"]
        for chart in page.at.get("plotly_chart")
        for trace in json.loads(chart.proto.spec)["data"]
    ]


class TestNamesInCharts:
    """Plotly reads a small HTML dialect in legends and hovers: typed names must arrive escaped."""

    def test_a_source_name_with_tags_is_a_legend_entry_not_a_link(self, stubs: Stubs) -> None:
        _overview(stubs, 120)
        stubs.returns(
            "superinsight.services.documents.views.documents_per_day",
            [(date(2026, 11, 29), HOSTILE_NAME, 3)],
        )
        legend = _legend(open_page(stubs, "overview", "viewer"))
        assert legend == [
            "&lt;a href='https://evil.example'&gt;Refunds&lt;/a&gt; &amp; &lt;b&gt;co&lt;/b&gt;"
        ]

    def test_a_rule_name_with_tags_is_a_legend_entry_not_a_link(self, stubs: Stubs) -> None:
        from superinsight.services.insights.views import RatePoint

        _insights(stubs)
        stubs.returns(
            "superinsight.services.insights.views.match_rates",
            [RatePoint(HOSTILE_NAME, NOW, 12, 0.1, "pass")],
        )
        legend = _legend(open_page(stubs, "insights", "viewer"))
        assert legend == [
            "&lt;a href='https://evil.example'&gt;Refunds&lt;/a&gt; &amp; &lt;b&gt;co&lt;/b&gt;"
        ]

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


# --- Documents --------------------------------------------------------------------------------


CLICKED_FIRST_ROW = {"doc_table_1": {"selection": {"rows": [0], "columns": [], "cells": []}}}


def _documents(stubs: Stubs, *, hits: int = 2) -> None:
    from superinsight.services.documents.facets import Facets
    from superinsight.services.documents.search import Hit, SearchPage
    from superinsight.services.documents.sources import SourceRow
    from superinsight.services.documents.views import DocumentDetail

    documents = "superinsight.services.documents"
    stubs.returns(f"{documents}.sources.list_sources", [SourceRow(1, "Support desk", "csv", "active")])
    stubs.returns(
        f"{documents}.search.search",
        SearchPage(
            [
                Hit(n, "Support desk", f"T-{n}", f"Ticket _{n}_", "a «refund»", ["vip"], NOW)
                for n in range(hits)
            ],
            None,
        ),
    )
    stubs.returns(f"{documents}.facets.facets", Facets(hits, [("Support desk", hits)], [], NOW))
    stubs.returns(f"{documents}.edits.edit_history", [])
    stubs.returns(
        f"{documents}.views.get_document",
        DocumentDetail(
            0,
            "Support desk",
            "`T-0`",
            "Ticket *0*",
            "body",
            {"customer": "ACME"},
            [],
            NOW,
            lineage=[("source", "Support desk"), ("rule", "[Refunds](http://x)")],
        ),
    )


class TestDocuments:
    @by_role(*ROLES)
    def test_everyone_searches_and_exports_only_editors_upload_and_edit(
        self, stubs: Stubs, role: str
    ) -> None:
        _documents(stubs)
        page = open_page(stubs, "documents", role, CLICKED_FIRST_ROW)
        starts_with_a_header(page, "Documents")
        assert len(page.at.dataframe[0].value) == 2
        assert {"Export results as CSV", "Export results as JSON Lines"} <= page.labels("download_button")
        may_upload = role in ("admin", "analyst")
        assert any(e.label == "Upload files as documents" for e in page.at.expander) == may_upload
        assert any(e.label == "Edit this document" for e in page.at.expander) == may_upload
        assert "superinsight.services.documents.export.export" not in page.calls, "exported only on a click"

    def test_an_open_document_shows_its_title_and_lineage_as_text(self, stubs: Stubs) -> None:
        _documents(stubs)
        page = open_page(stubs, "documents", "viewer")
        assert "superinsight.services.documents.views.get_document" not in page.calls, "none open yet"
        page = open_page(stubs, "documents", "viewer", CLICKED_FIRST_ROW)
        shown = page.texts("markdown")
        assert r"Ticket \*0\*" in shown and r"\[Refunds\](http\://x)" in shown
        assert r"\`T-0\`" in page.texts("caption")

    @by_role("analyst", "viewer")
    def test_an_empty_workspace_says_where_documents_come_from(self, stubs: Stubs, role: str) -> None:
        _documents(stubs, hits=0)
        page = open_page(stubs, "documents", role)
        assert "No documents yet" in page.at.info[0].value
        assert ("upload files below" in page.at.info[0].value) == (role == "analyst")

    def test_a_refused_search_says_why_and_draws_nothing_else(self, stubs: Stubs) -> None:
        _documents(stubs)
        stubs.raises("superinsight.services.documents.search.search", InvalidInputError("too many words"))
        page = open_page(stubs, "documents", "analyst")
        assert page.at.error[0].value == "too many words"
        assert not page.at.dataframe


# --- Data sources -----------------------------------------------------------------------------


def _sources(stubs: Stubs, *, listed: bool = True) -> None:
    from superinsight.services.sync.catalogue import CatalogueRow
    from superinsight.services.sync.connections import SourceView

    connections = "superinsight.services.sync.connections"
    stubs.returns(
        f"{connections}.synced_sources",
        [SourceView(1, "Tickets", "csv", {"path": "tickets.csv"}, False, "active", "ok", None)]
        if listed
        else [],
    )
    stubs.returns(
        "superinsight.services.sync.catalogue.catalogue",
        [
            CatalogueRow(1, "Tickets", "csv", 1200, 1, NOW, "succeeded", "ok", NOW),
            CatalogueRow(2, "Uploads", "upload", 1, 0, None, None, None, None),
        ]
        if listed
        else [],
    )
    stubs.returns(f"{connections}.test_source", "tickets.csv: 50 records")
    stubs.returns(f"{connections}.test_draft", "tickets.csv: 50 records")
    stubs.returns(f"{connections}.create_source", 2)
    stubs.returns("superinsight.services.sync.catalogue.delete_source", 1200)


class TestSources:
    @by_role(*ROLES)
    def test_everyone_reads_the_list_only_managers_add_or_test(self, stubs: Stubs, role: str) -> None:
        _sources(stubs)
        page = open_page(stubs, "sources", role)
        starts_with_a_header(page, "Data sources")
        table = page.at.dataframe[0].value
        assert table["Source"].tolist() == ["Tickets", "Uploads"], "uploads and synced sources alike"
        assert table["Documents"].tolist() == [1200, 1]
        assert table["Last sync"].tolist() == ["succeeded · 30 Nov 2026 12:00", "—"]
        may_manage = role in ("admin", "analyst")
        assert bool({"Test connection", "Save source"} & page.labels()) == may_manage
        assert [b.label for b in page.at.button].count("Test connection") == may_manage, "one Test button"
        assert ("Delete source" in page.labels()) == may_manage

    def test_deleting_says_what_goes_and_needs_the_name(self, stubs: Stubs) -> None:
        _sources(stubs)
        page = open_page(stubs, "sources", "analyst")
        page.at.selectbox(key="delete_choice").select("Tickets")
        page.run()
        assert "removes its 1,200 documents, its 1 sync job and their run history" in page.at.warning[0].value
        delete = next(b for b in page.at.button if b.label == "Delete source")
        assert delete.disabled
        page.at.text_input(key="delete_typed").input("Tickets")
        page.run()
        next(b for b in page.at.button if b.label == "Delete source").click()
        page.run()
        assert "superinsight.services.sync.catalogue.delete_source" in page.calls
        assert page.at.success[0].value == "Deleted Tickets and 1,200 documents."

    def test_a_test_shows_its_answer_and_the_list_is_read_again(self, stubs: Stubs) -> None:
        _sources(stubs)
        page = open_page(stubs, "sources", "analyst")
        page.at.selectbox(key="source_choice").select("Tickets")
        page.run()
        next(b for b in page.at.button if b.label == "Test connection").click()
        page.run()
        assert page.at.success[0].value == "tickets.csv: 50 records"
        tested = page.calls.index("superinsight.services.sync.connections.test_source")
        assert "superinsight.services.sync.catalogue.catalogue" in page.calls[tested:], "listed after it"

    def test_a_saved_source_leaves_an_empty_form(self, stubs: Stubs) -> None:
        _sources(stubs, listed=False)
        page = open_page(stubs, "sources", "analyst")
        page.at.selectbox(key="source_type").select("csv")
        page.run()
        next(t for t in page.at.text_input if t.label == "Name").input("Orders")
        next(b for b in page.at.button if b.label == "Save source").click()
        page.run()
        assert page.at.success[0].value.startswith("Saved Orders.")
        assert next(t for t in page.at.text_input if t.label == "Name").value == ""

    @by_role("analyst", "viewer")
    def test_no_sources_says_who_adds_one(self, stubs: Stubs, role: str) -> None:
        _sources(stubs, listed=False)
        page = open_page(stubs, "sources", role)
        assert ("Add a database" in page.at.info[0].value) == (role == "analyst")
        assert ("Ask an analyst" in page.at.info[0].value) == (role == "viewer")

    def test_a_refused_source_says_why_and_keeps_the_form(self, stubs: Stubs) -> None:
        _sources(stubs, listed=False)
        stubs.raises(
            "superinsight.services.sync.connections.create_source",
            InvalidInputError("the path must be inside the files folder"),
        )
        page = open_page(stubs, "sources", "analyst")
        page.at.selectbox(key="source_type").select("csv")
        page.run()
        next(b for b in page.at.button if b.label == "Save source").click()
        page.run()
        assert page.at.error[0].value == "Not saved: the path must be inside the files folder"
        assert "Save source" in page.labels()


# --- Sync -------------------------------------------------------------------------------------


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
        assert page.at.get("plotly_chart")
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


# --- Business rules ---------------------------------------------------------------------------


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


# --- Data quality -----------------------------------------------------------------------------


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
        gray = 2  # streamlit.proto.Metric_pb2.Metric.MetricColor.GRAY
        assert (card.proto.delta, card.proto.color) == ("no change", gray)
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
        assert not table.isna().any().any() and "None" not in table.to_string()
        bars = json.loads(page.at.get("plotly_chart")[1].proto.spec)["layout"]["yaxis"]["categoryarray"]
        assert bars == list(reversed(DIMENSIONS)), "every dimension keeps its place, top to bottom"

        with_checks = replace(without, consistency=75.0)
        stubs.returns("superinsight.services.quality.views.history", [with_checks])
        page = open_page(stubs, "quality", "viewer")
        rows = page.at.dataframe[0].value.set_index("dimension")
        assert list(rows.index) == list(DIMENSIONS)
        assert (rows.loc["consistency", "score"], rows.loc["consistency", "note"]) == ("75.0", "")

    def test_every_chart_has_a_title(self, stubs: Stubs) -> None:
        _quality(stubs)
        page = open_page(stubs, "quality", "viewer")
        titles = [
            json.loads(chart.proto.spec)["layout"]["title"]["text"] for chart in page.at.get("plotly_chart")
        ]
        assert titles == ["Scores over time", "Latest score per dimension"]

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


# --- A user limited to some sources -----------------------------------------------------------


class TestNarrowedUser:
    """Workspace-wide actions (the services refuse them) are not offered to a user limited to some sources."""

    def test_no_demo_to_load(self, stubs: Stubs) -> None:
        _overview(stubs, 0)
        page = open_page(stubs, "overview", "admin", narrowed=True)
        assert "Load demo data" not in page.labels()
        assert "Ask an admin" in page.at.info[0].value

    def test_no_upload(self, stubs: Stubs) -> None:
        _documents(stubs)
        page = open_page(stubs, "documents", "analyst", narrowed=True)
        assert not [e for e in page.at.expander if e.label == "Upload files as documents"]

    def test_no_new_source_but_their_own_can_be_changed(self, stubs: Stubs) -> None:
        _sources(stubs)
        page = open_page(stubs, "sources", "analyst", narrowed=True)
        assert page.at.selectbox(key="source_choice").options == ["Tickets"]
        assert "Save source" in page.labels()

    def test_no_scoring_of_every_source(self, stubs: Stubs) -> None:
        _quality(stubs)
        page = open_page(stubs, "quality", "analyst", narrowed=True)
        assert "Score every source now" not in page.labels()
        assert "Apply to 0 issues" in page.labels()

    def test_a_rule_is_tested_and_saved_but_not_applied_to_everything(self, stubs: Stubs) -> None:
        _rules(stubs)
        page = open_page(stubs, "rules", "analyst", narrowed=True)
        page.at.selectbox(key="rule_choice").select("Refunds")
        page.run()
        assert page.at.button(key="rule_apply").disabled
        assert not page.at.button(key="rule_save").disabled
