"""Author a rule in the form, test it, save it, apply it and see what it found."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from superinsight.db.models import Document
from superinsight.resources import get_resources
from superinsight.services.context import role_actor, system_actor
from superinsight.services.documents import sources
from superinsight.services.rules import counting
from superinsight.services.rules import testing as rule_testing
from superinsight.services.rules.drafts import RuleDraft
from tests.pages.test_pages import TIMEOUT, _app, _seed


def _by_label(widgets: Iterable[Any], label: str) -> Any:
    return next(widget for widget in widgets if widget.label == label)


def _open_rules() -> AppTest:
    at = _app()
    at.switch_page("pages/rules.py").run()
    assert not at.exception, at.exception
    return at


def test_author_test_save_apply_and_see_the_insight(workbench_env: Path) -> None:
    _seed(120)
    at = _open_rules()
    at.text_input(key="rule_new_name").input("EMEA contracts")
    _by_label(at.selectbox, "Field").select("metadata.region")
    _by_label(at.selectbox, "Operator").select("equals")
    _by_label(at.text_input, "Value").input("EMEA")
    at.run()

    at.button(key="rule_test").click().run()
    assert not at.exception, at.exception
    figures = {metric.label: metric.value for metric in at.metric}
    matched = int(figures["Matched"].replace(",", ""))
    assert matched > 0
    assert figures["Ran"] == "database"
    assert figures["Outcome"] == "no thresholds", "no warning for a rule that sets none"
    assert at.expander, "sample matches with their reasons"

    at.multiselect(key="rule_test_sources").select("Contracts DB")
    at.button(key="rule_test").click().run()
    narrowed = {metric.label: metric.value for metric in at.metric}
    assert 0 < int(narrowed["Matched"].replace(",", "")) < matched

    at.button(key="rule_save").click().run()
    assert not at.exception, at.exception
    assert at.selectbox(key="rule_choice").value == "EMEA contracts"
    assert "EMEA contracts" in list(at.dataframe[0].value["name"])

    at.button(key="rule_apply").click().run()
    deadline = time.monotonic() + TIMEOUT
    while "rule_apply_job" in at.session_state and time.monotonic() < deadline:
        time.sleep(0.3)
        at.run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == ["Rule applied. See the Insights page for what changed."]
    row = at.dataframe[0].value.set_index("name").loc["EMEA contracts"]
    assert row["matched"] == f"{matched:,}"
    assert row["outcome"] == "no thresholds", "matching is what a rule without thresholds is for"
    at.segmented_control(key="rule_more").set_value("Matched documents").run()
    assert any(c.value.startswith("Documents matched by version 1 (newest") for c in at.caption)

    at.switch_page("pages/insights.py").run()
    assert not at.exception, at.exception
    patterns = at.dataframe[0].value
    assert any("metadata.region = EMEA" in text for text in patterns["description"])
    assert at.get("plotly_chart")
    titles = [markdown.value for markdown in at.markdown]
    assert any("Refund requested" in title and "match rate rose" in title for title in titles)


def test_a_refused_rule_says_why_and_saves_nothing(workbench_env: Path) -> None:
    _seed(60)
    at = _open_rules()
    at.text_input(key="rule_new_name").input("Broken")
    _by_label(at.selectbox, "Field").select("title")
    _by_label(at.selectbox, "Operator").select("greater than")
    _by_label(at.text_input, "Value").input("5")
    at.run()
    at.button(key="rule_save").click().run()
    assert "Nothing was saved" in at.error[0].value
    assert "text field is compared with a number" in at.error[0].value
    assert "Broken" not in list(at.dataframe[0].value["name"])


def test_testing_a_refused_rule_says_it_was_not_tested_and_why(workbench_env: Path) -> None:
    _seed(60)
    at = _open_rules()
    at.text_input(key="rule_new_name").input("Broken")
    _by_label(at.selectbox, "Field").select("title")
    _by_label(at.selectbox, "Operator").select("greater than")
    _by_label(at.text_input, "Value").input("5")
    at.run()
    at.button(key="rule_test").click().run()
    (error,) = at.error
    assert error.value.startswith("Not tested")
    assert "text field is compared with a number" in error.value
    assert "saved" not in error.value, "a test saves nothing, so it has nothing to say about saving"


def test_a_json_rule_is_edited_as_json(workbench_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _seed(60)
    monkeypatch.setattr(counting, "ROW_BY_ROW_LIMIT", 10)  # the row-by-row test reads only the newest
    at = _open_rules()
    at.text_input(key="rule_new_name").input("Computed")
    at.toggle(key="rule_new_json_mode").set_value(True).run()
    at.text_area(key="rule_new_json").input(
        '{"==": [{"var": "metadata.priority"}, {"var": "metadata.assignee"}]}'
    )
    at.run()
    at.button(key="rule_test").click().run()
    assert {metric.label: metric.value for metric in at.metric}["Ran"] == "row by row"
    assert "read the newest 10 (this rule has no SQL form) of the 60 documents" in at.info[0].value, (
        "an estimate says it is one"
    )
    deadline = time.monotonic() + TIMEOUT
    while "rule_exact_job" in at.session_state and time.monotonic() < deadline:
        time.sleep(0.2)
        at.run()
    monkeypatch.setattr(counting, "ROW_BY_ROW_LIMIT", 1000)
    body = {"==": [{"var": "metadata.priority"}, {"var": "metadata.assignee"}]}  # contracts have neither
    full = rule_testing.run_test(get_resources(), system_actor(), RuleDraft("Computed", body))
    assert full.evaluated is None and full.total == 60 and full.matched, "compared on some matches"
    (counted,) = [s.value for s in at.success]
    assert counted.startswith(
        f"Counted exactly: **{full.matched:,}** of 60 documents match ({full.matched / 60:.1%}). "
        "Counted just now"
    ), "the job's figures arrive, with their age"
    picker = at.multiselect(key="rule_test_sources")
    picker.select(picker.options[0]).run()
    assert not at.success, "figures counted for all sources are not shown for one"
    at.text_area(key="rule_new_json").input("{not json").run()
    assert "not valid JSON" in at.warning[0].value


def test_a_saved_rule_reopens_as_the_groups_it_was_saved_with(workbench_env: Path) -> None:
    _seed(60)
    at = _open_rules()
    at.text_input(key="rule_new_name").input("Refund words")
    _by_label(at.selectbox, "Field").select("title")
    _by_label(at.selectbox, "Operator").select("contains")
    _by_label(at.text_input, "Value").input("refund")
    at.run()
    next(button for button in at.button if button.label == "+ Condition").click().run()
    fields = [box for box in at.selectbox if box.label == "Field"]
    fields[1].select("content")
    [box for box in at.selectbox if box.label == "Operator"][1].select("contains")
    [box for box in at.text_input if box.label == "Value"][1].input("chargeback")
    _by_label(at.radio, "Group 1: documents where").set_value("any")
    at.run()
    at.button(key="rule_save").click().run()
    assert not at.exception, at.exception
    assert at.selectbox(key="rule_choice").value == "Refund words"

    # Reopened from what was stored: one group, "any", both conditions, not the JSON editor.
    assert not [toggle for toggle in at.toggle if toggle.value], "opened in the form, not as JSON"
    assert [radio.label for radio in at.radio if radio.label.startswith("Group")] == [
        "Group 1: documents where"
    ]
    assert _by_label(at.radio, "Group 1: documents where").value == "any"
    assert [box.value for box in at.text_input if box.label == "Value"] == ["refund", "chargeback"]


def test_a_source_is_picked_by_name_and_the_rule_keeps_its_id(workbench_env: Path) -> None:
    _seed(60)
    at = _open_rules()
    at.text_input(key="rule_new_name").input("From contracts")
    field = _by_label(at.selectbox, "Field")
    assert "source (by name)" in field.options
    field.select("source_id").run()
    _by_label(at.selectbox, "Operator").select("equals").run()
    source = _by_label(at.selectbox, "Source")
    names = {s.name: s.id for s in sources.list_sources(get_resources(), role_actor("demo", "admin"))}
    assert set(source.options) == set(names), "sources are offered by name, not by id"
    source.select(str(names["Contracts DB"])).run()
    assert not at.exception, at.exception
    assert json.loads(at.code[0].value) == {"==": [{"var": "source_id"}, names["Contracts DB"]]}
    at.button(key="rule_save").click().run()
    assert not at.exception, at.exception
    assert _by_label(at.selectbox, "Source").value == str(names["Contracts DB"])
    assert "Contracts DB" in _by_label(at.selectbox, "Source").options


def test_several_sources_are_picked_by_name_for_is_one_of_and_kept_as_ids(workbench_env: Path) -> None:
    _seed(60)
    at = _open_rules()
    at.text_input(key="rule_new_name").input("Contracts or tickets")
    _by_label(at.selectbox, "Field").select("source_id").run()
    _by_label(at.selectbox, "Operator").select("is one of").run()
    picker = _by_label(at.multiselect, "Sources")
    names = {s.name: s.id for s in sources.list_sources(get_resources(), role_actor("demo", "admin"))}
    assert set(picker.options) == set(names), "sources are offered by name, not by id"
    chosen = sorted(names)[:2]
    for name in chosen:
        picker.select(str(names[name]))
    at.run()
    assert not at.exception, at.exception
    ids = [names[name] for name in chosen]
    assert json.loads(at.code[0].value) == {"in": [{"var": "source_id"}, ids]}, "numbers, as source_id holds"
    at.button(key="rule_test").click().run()
    assert not at.exception, at.exception
    with get_resources().uow() as uow:
        held = uow.session.scalar(
            select(func.count()).select_from(Document).where(Document.source_id.in_(ids))
        )
    assert held > 0
    assert int({m.label: m.value for m in at.metric}["Matched"].replace(",", "")) == held
    at.button(key="rule_save").click().run()
    assert not at.exception, at.exception
    assert _by_label(at.multiselect, "Sources").value == [str(i) for i in ids], "reopens on the same sources"
