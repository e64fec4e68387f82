"""The Lineage & graph page against a real workbench: on the graph tables and on Neo4j, for every role."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from superinsight.resources import get_resources
from superinsight.services.context import system_actor
from superinsight.services.graph import project
from superinsight.services.graph import settings as graph_settings
from tests.pages.test_pages import TIMEOUT, _app, _seed

ROLES = ("admin", "analyst", "annotator", "viewer")


def _by_label(widgets: Any, label: str) -> Any:
    return next(widget for widget in widgets if widget.label == label)


def _graph_workbench() -> None:
    """The demo, with customers marked as entities and the graph rebuilt (the demo's sources are uploads)."""
    _seed(60)
    resources = get_resources()
    job = graph_settings.set_entity_fields(resources, system_actor(), ["customer"])
    deadline = time.monotonic() + TIMEOUT
    while not resources.jobs.status(job).done:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    project.rebuild(resources, "demo")


def _open(role: str) -> AppTest:
    at = _app(role)
    at.switch_page("app_pages/graph.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Lineage & graph"
    return at


def _walk_every_role() -> None:
    for role in ROLES:
        at = _open(role)
        at.text_input(key="graph_search").input("Contracts DB").run()
        picks = at.selectbox(key="graph_pick")
        assert "Data source · Contracts DB" in picks.options
        picks.select_index(picks.options.index("Data source · Contracts DB")).run()
        assert not at.exception, at.exception
        assert at.get("plotly_chart"), "the neighbourhood drawn as a network"
        figures = {metric.label: metric.value for metric in at.metric}
        assert int(figures["Document"].replace(",", "")) > 0, "impact counts the source's documents"
        assert ("Entities and rebuilding" in [e.label for e in at.expander]) == (role in ("admin", "analyst"))

        document = next(key for key in figures_keys(at) if key.startswith("Document:"))
        at.session_state["graph_focus"] = document  # what a click on the network does
        at.run()
        assert not at.exception, at.exception
        lineage = "\n".join(str(m.value) for m in at.markdown)
        assert "from source **Contracts DB**" in lineage
        assert "mentions Entity" in lineage

        _by_label(at.slider, "Depth").set_value(2).run()
        assert not at.exception, at.exception


def figures_keys(at: AppTest) -> list[str]:
    """The node addresses the drawn network carries (what a click sends back)."""
    chart = at.get("plotly_chart")[0]
    spec = chart.proto.spec if hasattr(chart, "proto") else chart.value
    import json

    figure = json.loads(spec)
    return [key for trace in figure["data"] for key in trace.get("customdata", []) or []]


@pytest.fixture(autouse=True)
def graph_rebuilt_by_the_test(monkeypatch: pytest.MonkeyPatch) -> None:
    """No drain in the background while the demo loads: on SQLite it would wait on the same write lock."""
    monkeypatch.setenv("GRAPH_FOLLOW_UPS", "false")


def test_every_role_finds_a_source_sees_its_impact_and_a_documents_lineage(workbench_env: Path) -> None:
    _graph_workbench()
    _walk_every_role()


def test_the_same_on_neo4j(workbench_env: Path, neo4j_uri: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_URI", neo4j_uri)
    _graph_workbench()
    assert get_resources().graph.backend == "neo4j"
    _walk_every_role()


def test_a_stopped_neo4j_is_said_plainly_and_the_rest_works(
    workbench_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEO4J_URI", "bolt://127.0.0.1:9")
    at = _open("analyst")
    at.query_params["node"] = "Entity:customer:acme"
    at.text_input(key="graph_search").input("acme").run()
    assert not at.exception, at.exception
    assert any("Neo4j does not answer" in error.value for error in at.error)
    at.switch_page("app_pages/documents.py").run()
    assert not at.exception, at.exception
