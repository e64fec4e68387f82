"""The pages drawn by Streamlit's AppTest against a real embedded workbench."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from superinsight.db import migrate
from superinsight.db.models import QualityIssue, SyncExecution, SyncJob, User
from superinsight.masking import MaskingRule
from superinsight.resources import get_resources
from superinsight.services.context import system_actor
from superinsight.services.demo.seed import seed_demo
from superinsight.services.documents import masking as masking_rules
from superinsight.services.errors import AuthenticationError
from superinsight.services.quality import views as quality_views
from superinsight.services.security import sign_in, users
from tests.pages.tables import found_documents
from ui.session import ENTERED, TOKEN

APP = str(Path(__file__).resolve().parents[2] / "app.py")
TIMEOUT = 30


PASSWORD = "correct horse battery staple"


def _account(role: str) -> str:
    """An account with this role in the demo workspace; returns its email."""
    resources = get_resources()
    migrate.upgrade(resources.engine)
    email = f"{role}@pages.example"
    with resources.uow() as uow:
        exists = uow.session.scalar(select(User.id).where(User.email == email))
    if exists is None:
        users.create_user(resources, system_actor(), email, PASSWORD, role)
    return email


def _app(role: str | None = "admin") -> AppTest:
    """The app as a browser signed in with `role` sees it (None: not signed in)."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if role is not None:
        at.session_state[TOKEN] = sign_in.sign_in(
            get_resources(), "demo", _account(role), PASSWORD, None
        ).token
    at.run()
    assert not at.exception, at.exception
    return at


def _seed(documents: int = 120) -> None:
    migrate.upgrade(get_resources().engine)
    seed_demo(get_resources(), system_actor(), documents=documents)


class TestOverview:
    def test_an_empty_workbench_offers_the_demo_and_loads_it_in_the_background(
        self, workbench_env: Path
    ) -> None:
        at = _app()
        assert "Your workbench is empty" in at.info[0].value
        next(button for button in at.button if button.label == "Load demo data").click().run()
        deadline = time.monotonic() + TIMEOUT
        while "demo_seed_job" in at.session_state and time.monotonic() < deadline:
            time.sleep(0.5)
            at.run()
        assert not at.exception, at.exception
        assert {m.label: m.value for m in at.metric}["Documents"] == "5,000"
        assert [s.value for s in at.success] == ["Demo data loaded."]

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
            "Data sources": "3",
            "Active rules": "4",
            "Open quality issues": str(open_issues),
        }
        assert at.get("plotly_chart")

    @pytest.mark.parametrize("role", ["admin", "analyst", "annotator", "viewer"])
    def test_says_what_needs_the_signed_in_role_with_links_to_act_on_it(
        self, workbench_env: Path, role: str
    ) -> None:
        _seed(120)
        with get_resources().uow() as uow:  # the demo's first job: its latest run failed
            job = uow.session.scalars(select(SyncJob).order_by(SyncJob.id)).first()
            assert job is not None
            uow.session.add(SyncExecution(tenant_id="demo", job_id=job.id, status="failed"))
            uow.commit()
        at = _app(role)
        links = {link.value: link.proto.page for link in at.main.page_link}
        if role in ("admin", "analyst"):
            assert links == {
                "1 sync job whose latest run failed or stopped part way": "sync",
                "3 new insights not acknowledged yet": "insights",
            }
        elif role == "annotator":
            assert links == {}
            assert at.success[0].value == "Nothing needs your attention today."
        else:
            assert links == {}
            assert any("nothing here waits on you" in caption.value for caption in at.caption)


class TestDocuments:
    def test_pages_through_documents_newest_first(self, workbench_env: Path) -> None:
        _seed(120)
        at = _app()
        at.switch_page("pages/documents.py").run()
        first = found_documents(at)
        assert len(first) == 50
        assert list(first["created_at"]) == sorted(first["created_at"], reverse=True), (
            "by each one's own date"
        )
        older = next(b for b in at.button if b.label == "Next →")
        older.click().run()
        second = found_documents(at)
        assert second["created_at"].max() <= first["created_at"].min()
        assert not set(second["id"]) & set(first["id"])
        assert any("Page 2" in caption.value for caption in at.caption)

    def test_an_empty_workbench_says_where_documents_come_from(self, workbench_env: Path) -> None:
        at = _app()
        at.switch_page("pages/documents.py").run()
        assert "No documents yet" in at.info[0].value


class TestHealthPage:
    def test_lists_every_service_and_says_all_is_well(self, workbench_env: Path) -> None:
        at = _app()
        at.switch_page("pages/health.py").run()
        assert not at.exception, at.exception
        assert "Every configured service is answering" in at.success[0].value
        table = at.dataframe[0].value
        assert list(table["state"]) == ["up", "up", "up", "up", "not configured"]


class TestSignIn:
    @pytest.mark.parametrize("page", sorted(p.stem for p in (Path(APP).parent / "pages").glob("*.py")))
    def test_a_cold_deep_link_to_any_page_asks_for_sign_in(self, workbench_env: Path, page: str) -> None:
        """A server no session ran app.py on yet runs a file in pages/ alone: its guard hands over.

        Only app.py marks the session as entered, so the mark is what tells, for sign_in too,
        that the page handed over rather than drew its own form.
        """
        _account("analyst")
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, at.exception
        assert ENTERED in at.session_state and at.session_state[ENTERED] is True
        assert [title.value for title in at.title] == ["Sign in to SuperInsight"]
        assert not [button for button in at.button if button.label == "Sign out"]

    def test_a_browser_without_a_session_sees_only_the_sign_in_form(self, workbench_env: Path) -> None:
        _account("analyst")
        at = _app(role=None)
        assert at.title[0].value == "Sign in to SuperInsight"
        assert not at.metric

    def test_signing_in_opens_the_workbench_and_a_wrong_password_does_not(self, workbench_env: Path) -> None:
        email = _account("analyst")
        at = _app(role=None)
        at.text_input[1].input(email)
        at.text_input[2].input("not the password")
        at.button[0].click().run()
        assert "do not match" in at.error[0].value
        at.text_input[2].input(PASSWORD)
        at.button[0].click().run()
        assert not at.exception, at.exception
        assert at.title[0].value == "Overview"
        assert any("as analyst" in caption.value for caption in at.sidebar.caption)

    def test_signing_out_ends_the_session(self, workbench_env: Path) -> None:
        at = _app("viewer")
        token = at.session_state[TOKEN]
        next(button for button in at.sidebar.button if button.label == "Sign out").click().run()
        assert at.title[0].value == "Sign in to SuperInsight"
        with pytest.raises(AuthenticationError):
            sign_in.resolve(get_resources(), token, None)


class TestRoles:
    def test_a_viewer_reads_rules_but_gets_no_edit_controls(self, workbench_env: Path) -> None:
        _seed(60)
        at = _app("viewer")
        at.switch_page("pages/rules.py").run()
        assert not at.exception, at.exception
        assert len(at.dataframe[0].value) == 4
        assert "can read rules but not change" in at.info[0].value
        assert not [
            button for button in at.button if button.label in ("Test", "Save", "Apply to all documents")
        ]

    def test_a_viewer_cannot_load_the_demo(self, workbench_env: Path) -> None:
        at = _app("viewer")
        assert "Your workbench is empty" in at.info[0].value
        assert not [button for button in at.button if button.label == "Load demo data"]


class TestAdminPage:
    def test_an_admin_manages_users_and_reads_the_audit_log(self, workbench_env: Path) -> None:
        at = _app("admin")
        at.switch_page("pages/admin.py").run()
        assert not at.exception, at.exception
        sections = at.segmented_control(key="admin_section")
        assert sections.options == ["Users", "IP allow-list", "Masking", "Roles", "Audit log"]
        assert "admin@pages.example" in list(at.dataframe[0].value["email"])
        sections.set_value("Audit log").run()
        assert not at.exception, at.exception
        assert any(button.label == "Export as CSV" for button in at.get("download_button"))
        audit = at.dataframe[0].value
        created = audit[audit["action"] == "user.create"]
        assert "email: admin@pages.example · role: admin" in list(created["after"]), "fields a person reads"
        assert set(map(type, audit["before"])) == {str}, "one type per column: no pyarrow conversion error"

    def test_an_analyst_has_no_admin_page(self, workbench_env: Path) -> None:
        # Not listed for an analyst, but its address opens it: the page itself says why not.
        at = _app("analyst")
        at.switch_page("pages/admin.py").run()
        assert not at.exception, at.exception
        assert at.warning[0].value == "Your role may not open this page; ask an admin for access."
        assert not at.segmented_control and not at.dataframe


class TestMaskedDocuments:
    def test_a_viewer_sees_masked_values_and_an_analyst_the_real_ones(self, workbench_env: Path) -> None:
        _seed(30)
        masking_rules.add_masking_rule(
            get_resources(), system_actor(), "Customers", MaskingRule("metadata.customer", None, "redact")
        )
        masking_rules.add_masking_rule(
            get_resources(), system_actor(), "Ids", MaskingRule("external_id", None, "partial")
        )
        viewer = _app("viewer")
        viewer.switch_page("pages/documents.py").run()
        assert not viewer.exception, viewer.exception
        assert all(value.startswith("•") for value in found_documents(viewer)["external_id"])
        first = str(found_documents(viewer)["id"].iloc[0])
        viewer.query_params["document"] = first
        viewer.run()
        assert '"customer":"[redacted]"' in viewer.json[0].value.replace(" ", "")
        analyst = _app("analyst")
        analyst.switch_page("pages/documents.py").run()
        assert all(value.startswith(("TCK-", "CTR-")) for value in found_documents(analyst)["external_id"])
        analyst.query_params["document"] = first
        analyst.run()
        assert "[redacted]" not in analyst.json[0].value


class TestDocumentSearch:
    def test_search_filter_and_open_a_document(self, workbench_env: Path) -> None:
        _seed(120)
        at = _app("analyst")
        at.switch_page("pages/documents.py").run()
        at.text_input(key="doc_search").input("refund").run()
        assert not at.exception, at.exception
        total = int(next(m.value for m in at.metric if m.label == "Matching documents").replace(",", ""))
        results = found_documents(at)
        assert 0 < len(results) <= total
        assert all("refund" in snippet.lower() for snippet in results["snippet"])
        assert not any("«" in snippet or "»" in snippet for snippet in results["snippet"]), "no literal marks"
        assert any("highlighted there" in caption.value for caption in at.caption)
        at.sidebar.multiselect(key="doc_sources").select("Support desk").run()
        assert set(found_documents(at)["source"]) == {"Support desk"}
        second = int(found_documents(at)["id"].iloc[1])
        at.session_state["doc_table_1"] = {"selection": {"rows": [1], "columns": [], "cells": []}}  # a click
        at.run()
        assert at.query_params["document"] == str(second), "the open document is named in the address"
        assert "customer" in at.json[0].value

    def test_nothing_matching_says_so(self, workbench_env: Path) -> None:
        _seed(30)
        at = _app("analyst")
        at.switch_page("pages/documents.py").run()
        at.text_input(key="doc_search").input("zebra unicorn").run()
        assert "Nothing matches" in at.info[0].value


class TestQualityPage:
    def test_score_cards_trends_and_scoring_on_demand(self, workbench_env: Path) -> None:
        _seed(60)
        at = _app("analyst")
        at.switch_page("pages/quality.py").run()
        assert not at.exception, at.exception
        # a tile per source in name order; the demo's Partner tickets is not scored yet
        tiles = [(metric.label, metric.value) for metric in at.metric]
        assert [label for label, _ in tiles] == ["Contracts DB", "Partner tickets", "Support desk"]
        assert tiles[1] == ("Partner tickets", "—")
        assert at.get("plotly_chart")
        next(button for button in at.button if button.label == "Score every source now").click().run()
        deadline = time.monotonic() + TIMEOUT
        while "quality_scoring_job" in at.session_state and time.monotonic() < deadline:
            time.sleep(0.3)
            at.run()
        assert not at.exception, at.exception
        assert [s.value for s in at.success] == ["Scores updated."], "said once the job is done"
        at.run()
        assert not at.success, "and only once"

        trend = quality_views.history(get_resources(), system_actor(), 1)
        assert len(trend) == 4  # three instalments of the demo, then this run

    def test_drill_down_lists_the_failing_documents_and_triages_them(self, workbench_env: Path) -> None:
        _seed(60)
        at = _app("analyst")
        at.switch_page("pages/quality.py").run()
        assert not at.exception, at.exception
        dimensions = at.radio(key="quality_dimension")
        assert dimensions.options, "some dimension has failing documents"
        table = at.dataframe[1].value  # after the table of what drives the score
        assert len(table) > 0 and set(table["status"]) == {"open"}
        failing = len(table)
        at.checkbox(key="issues_all").check().run()
        at.selectbox(key="issues_new_status").select("acknowledged").run()
        at.button(key="issues_apply").click().run()
        assert not at.exception, at.exception
        assert f"{failing} issue{'' if failing == 1 else 's'} now acknowledged." in at.success[0].value

    def test_suggested_checks_are_accepted_with_one_click(self, workbench_env: Path) -> None:
        _seed(60)
        at = _app("analyst")
        at.switch_page("pages/quality.py").run()
        at.segmented_control(key="quality_section").set_value("Expected checks").run()
        at.button(key="quality_profile").click().run()
        assert not at.exception, at.exception
        assert any("Profiled the newest" in caption.value for caption in at.caption)
        profile = next(frame.value for frame in at.dataframe if "field" in frame.value.columns)
        assert {"customer", "region"} <= set(profile["field"]) and not profile.isna().any().any()
        assert {"present", "types", "values", "range"} <= set(profile.columns)
        at.button(key="quality_accept").click().run()
        assert not at.exception, at.exception
        assert "Checks saved" in at.success[0].value

    def test_a_viewer_reads_scores_but_cannot_score_or_edit(self, workbench_env: Path) -> None:
        _seed(30)
        at = _app("viewer")
        at.switch_page("pages/quality.py").run()
        assert at.metric
        assert not [b for b in at.button if b.label in ("Score every source now", "Save expectations")]
