"""The Lineage & graph page against a real workbench: on the graph tables and on Neo4j, for every role."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from superinsight.db.models import Annotation, DataSource, Document, LabelingProject, Task
from superinsight.resources import get_resources
from superinsight.services.context import system_actor
from superinsight.services.graph import project
from superinsight.services.graph import settings as graph_settings
from tests.pages.test_pages import TIMEOUT, _app, _seed

ROLES = ("admin", "analyst", "annotator", "viewer")


def _by_label(widgets: Any, label: str) -> Any:
    return next(widget for widget in widgets if widget.label == label)


def _labeling_project() -> None:
    """The Contracts DB documents sent for labeling, one with a person marked (as a pull leaves them)."""
    with get_resources().uow() as uow:
        source = uow.session.scalar(select(DataSource.id).where(DataSource.name == "Contracts DB"))
        ids = list(uow.session.scalars(select(Document.id).where(Document.source_id == source)))
        project = LabelingProject(
            tenant_id="demo", title="Contract review", template="entities", label_config="<View/>"
        )
        uow.session.add(project)
        uow.session.flush()
        tasks = [Task(tenant_id="demo", project_id=project.id, document_id=doc_id) for doc_id in ids]
        uow.session.add_all(tasks)
        uow.session.flush()
        span = {"labels": ["PERSON"], "text": "Ada Lovelace", "start": 0, "end": 12}
        uow.session.add(
            Annotation(
                tenant_id="demo",
                task_id=tasks[0].id,
                document_id=ids[0],
                labelstudio_annotation_id=1,
                result=[{"type": "labels", "value": span}],
            )
        )
        uow.commit()


def _graph_workbench() -> None:
    """The demo, with customers marked as entities, a labeling project, and the graph rebuilt."""
    _seed(60)
    _labeling_project()
    resources = get_resources()
    job = graph_settings.set_entity_fields(resources, system_actor(), ["customer"])
    deadline = time.monotonic() + TIMEOUT
    while not resources.jobs.status(job).done:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    project.rebuild(resources, "demo")


def _open(role: str) -> AppTest:
    at = _app(role)
    at.switch_page("pages/graph.py").run()
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
        # A project is seen where the Labeling page shows it: by those who manage labeling (and
        # its annotators, none here), not by a viewer or an annotator who is not a member.
        manages = role in ("admin", "analyst")
        assert ("sent for labeling in project **Contract review**" in lineage) == manages, role
        legend = {trace.get("name"): trace["marker"]["color"] for trace in figure_of(at)["data"][1:]}
        if manages:
            assert legend["Labeling project"] == "#9467bd", "the project drawn in a colour of its own"
        else:
            assert "Labeling project" not in legend, role

        _by_label(at.slider, "Depth").set_value(2).run()
        assert not at.exception, at.exception

        at.button(key="graph_open").click().run()
        assert at.title[0].value == "Documents", "the document opens on its page"
        assert at.query_params["document"] == document.removeprefix("Document:")


def figure_of(at: AppTest) -> dict[str, Any]:
    """The drawn network as plotly's JSON."""
    chart = at.get("plotly_chart")[0]
    spec = chart.proto.spec if hasattr(chart, "proto") else chart.value
    figure: dict[str, Any] = json.loads(spec)
    return figure


def figures_keys(at: AppTest) -> list[str]:
    """The node addresses the drawn network carries (what a click sends back)."""
    return [key for trace in figure_of(at)["data"] for key in trace.get("customdata", []) or []]


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
    at.switch_page("pages/documents.py").run()
    assert not at.exception, at.exception
