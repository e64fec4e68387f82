"""The Documents page per role: an analyst edits a document in its detail (others are not offered it);
a row of documents anywhere opens that document."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from superinsight.resources import get_resources
from superinsight.services.context import role_actor
from superinsight.services.documents import edits, sources
from superinsight.services.documents import views as document_views
from superinsight.services.rules import views as rule_views
from tests.pages.tables import found_documents
from tests.pages.test_pages import _app, _seed


def _opened(role: str) -> tuple[AppTest, int]:
    """The Documents page with its first document open in the detail."""
    at = _app(role)
    at.switch_page("pages/documents.py").run()
    assert not at.exception, at.exception
    first = int(found_documents(at)["id"].iloc[0])
    at.session_state["doc_table_1"] = {"selection": {"rows": [0], "columns": [], "cells": []}}  # a click
    at.run()
    return at, first


def _save(at: AppTest, document_id: int, **values: str) -> None:
    for name, value in values.items():
        widget = at.text_area if name in ("content", "metadata") else at.text_input
        widget(key=f"edit_{name}_{document_id}").input(value)
    next(b for b in at.button if b.label == "Save changes").click().run()
    assert not at.exception, at.exception


class TestEditingADocument:
    def test_an_analyst_edits_title_tags_and_metadata_and_sees_them_at_once(
        self, workbench_env: Path
    ) -> None:
        _seed(20)
        at, document_id = _opened("analyst")
        before = document_views.get_document(get_resources(), role_actor("demo", "analyst"), document_id)
        _save(
            at,
            document_id,
            title="Checked by an analyst",
            tags="reviewed, vip",
            metadata='{"region": "EU", "owner": "kim"}',
        )
        assert "Saved" in at.success[0].value
        assert any("Checked by an analyst" in m.value for m in at.markdown)
        after = document_views.get_document(get_resources(), role_actor("demo", "analyst"), document_id)
        assert (after.title, after.tags, after.metadata) == (
            "Checked by an analyst",
            ["reviewed", "vip"],
            {"region": "EU", "owner": "kim"},
        )
        assert after.content == before.content
        assert any("Edited 1 time in the workbench" in c.value for c in at.caption)
        [version] = edits.edit_history(get_resources(), role_actor("demo", "analyst"), document_id)
        assert version.by == "analyst@pages.example"

    @pytest.mark.parametrize(
        ("metadata", "message"),
        [("{not json", "not JSON"), ('["a list"]', "JSON object"), ('{"a": [1]}', "a list")],
    )
    def test_bad_metadata_is_refused_and_nothing_is_saved(
        self, workbench_env: Path, metadata: str, message: str
    ) -> None:
        _seed(20)
        at, document_id = _opened("analyst")
        _save(at, document_id, title="Not to be kept", metadata=metadata)
        assert message in at.error[0].value and "Not saved" in at.error[0].value
        assert edits.edit_history(get_resources(), role_actor("demo", "analyst"), document_id) == []

    @pytest.mark.parametrize("role", ["viewer", "annotator"])
    def test_who_may_not_edit_is_not_offered_the_form(self, workbench_env: Path, role: str) -> None:
        _seed(20)
        at, _ = _opened(role)
        assert at.json, "the detail is shown"
        assert not [e for e in at.expander if e.label == "Edit this document"]
        assert not [b for b in at.button if b.label == "Save changes"]


CLICK_FIRST = {"selection": {"rows": [0], "columns": [], "cells": []}}


def _click_first_row(at: AppTest, key: str, table: int = 0) -> None:
    """A click on the first row of the table drawn with `key`: it opens that row's document."""
    titles = at.dataframe[table].value.iloc[0].astype(str).tolist()
    at.session_state[key] = CLICK_FIRST
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Documents", "the click went to the Documents page"
    opened = int(at.query_params["document"])
    shown = document_views.get_document(get_resources(), role_actor("demo", "admin"), opened)
    assert shown.title in titles and any(shown.title in m.value for m in at.markdown)


class TestARowOpensItsDocument:
    def test_a_rule_s_matched_document(self, workbench_env: Path) -> None:
        _seed(60)
        viewer = role_actor("demo", "viewer")
        matched = next(s.rule for s in rule_views.list_rules(get_resources(), viewer) if s.last_matched)
        at = _app("viewer")
        at.switch_page("pages/rules.py").run()
        at.selectbox(key="rule_choice").select(matched.draft.name).run()
        at.segmented_control(key="rule_more").set_value("Matched documents").run()
        _click_first_row(at, f"rule_matches_{matched.id}", table=1)

    def test_a_quality_issue(self, workbench_env: Path) -> None:
        _seed(60)
        at = _app("analyst")
        at.switch_page("pages/quality.py").run()
        source_ids = {
            s.name: s.id for s in sources.list_sources(get_resources(), role_actor("demo", "analyst"))
        }
        source_id = source_ids[at.selectbox(key="quality_source").value]
        dimension, status = (
            at.radio(key="quality_dimension").value,
            at.selectbox(key="quality_issue_status").value,
        )
        # The first table says what drives the source's score; the second lists its failing documents.
        _click_first_row(at, f"quality_issues_{source_id}_{dimension}_{status}", table=1)


class TestOverviewFigures:
    @pytest.mark.parametrize(
        ("figure", "title"),
        [
            ("Documents", "Documents"),
            ("Data sources", "Data sources"),
            ("Active rules", "Business rules"),
            ("Open quality issues", "Data quality"),
        ],
    )
    def test_each_figure_opens_the_page_that_explains_it(
        self, workbench_env: Path, figure: str, title: str
    ) -> None:
        _seed(20)
        at = _app("viewer")
        figures = [m.label for m in at.metric]
        links = [b for b in at.button if b.label.endswith("→")]
        assert len(links) == len(figures) == 4
        links[figures.index(figure)].click().run()
        assert not at.exception, at.exception
        assert at.title[0].value == title
