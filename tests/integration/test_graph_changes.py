"""Labeling, uploads and source deletions reach the graph incrementally, on Neo4j and on the graph tables.

The same assertions run on SQLite's and PostgreSQL's graph tables and on a real
Neo4j (the `res` fixture of test_graph_service). Label Studio is stood in for by
an in-memory annotator here (tests/integration/test_labeling.py uses the real
one); what is under test is what launch and pull note, and what the graph makes
of it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from superinsight.documents.record import DocumentInput
from superinsight.lineage.values import NodeRef
from superinsight.masking import MaskingRule
from superinsight.resources import Resources
from superinsight.services.context import Actor, role_actor, system_actor
from superinsight.services.documents import edits, uploads
from superinsight.services.documents import masking as masking_rules
from superinsight.services.documents.search import SearchQuery
from superinsight.services.documents.writer import upsert_documents
from superinsight.services.errors import NotFoundError
from superinsight.services.graph import backlog, queries, settings
from superinsight.services.labeling import launch as labeling_launch
from superinsight.services.labeling import members
from superinsight.services.labeling import pull as labeling_pull
from superinsight.services.labeling.launch import LaunchRequest
from superinsight.services.labeling.selection import Selection
from superinsight.services.security import users
from superinsight.services.sync import catalogue, connections
from superinsight.services.sync import jobs as sync_jobs
from tests.integration.test_graph_service import (  # noqa: F401 - fixtures used by name
    ACME,
    MAPPING,
    RECORDS,
    UMBRELLA,
    agrees_with_rebuild,
    analyst,
    doc_id,
    finish,
    names,
    res,
    run_once,
    sync,
    waiting,
    world,
)


class FakeLabelStudio:
    """Label Studio as launch, push and pull use it: projects, tasks, and annotations set by the test."""

    def __init__(self) -> None:
        self.tasks: dict[int, dict[str, Any]] = {}
        self.annotations: dict[int, list[dict[str, Any]]] = {}
        self.projects = 0

    def ping(self) -> None:
        return None

    def version(self) -> str:
        return "fake"

    def create_project(self, title: str, label_config: str) -> int:
        self.projects += 1
        return self.projects

    def import_tasks(self, project_id: int, tasks: list[dict[str, Any]]) -> list[int]:
        created = []
        for task in tasks:
            task_id = len(self.tasks) + 1
            self.tasks[task_id] = {"project": project_id, "data": task["data"]}
            created.append(task_id)
        return created

    def export_tasks(self, project_id: int) -> list[dict[str, Any]]:
        return [
            {"id": task_id, "data": task["data"], "annotations": self.annotations.get(task_id, [])}
            for task_id, task in self.tasks.items()
            if task["project"] == project_id
        ]

    def delete_project(self, project_id: int) -> None:
        return None

    def project_url(self, project_id: int) -> str:
        return f"http://label-studio.invalid/projects/{project_id}"

    def task_counts(self, project_id: int) -> tuple[int, int]:
        return len(self.export_tasks(project_id)), 0

    def user_emails(self) -> dict[int, str]:
        return {}

    def mark(self, document_id: int, spans: list[tuple[str, str]], annotation_id: int = 1) -> None:
        """One annotation on the document's task, marking these (label, text) spans."""
        task_id = next(t for t, task in self.tasks.items() if task["data"]["document_id"] == document_id)
        result = [
            {
                "from_name": "entities",
                "to_name": "text",
                "type": "labels",
                "value": {"start": 0, "end": len(text), "text": text, "labels": [label]},
            }
            for label, text in spans
        ]
        self.annotations[task_id] = [{"id": annotation_id, "result": result, "completed_by": 1}]


@pytest.fixture
def studio(res: Resources) -> FakeLabelStudio:  # noqa: F811 - the imported fixture, by name
    fake = FakeLabelStudio()
    res.annotator = fake
    return fake


def launch(res: Resources, actor: Actor, title: str, source_ids: tuple[int, ...] = ()) -> int:  # noqa: F811
    request = LaunchRequest(
        title, "entities", Selection(SearchQuery(source_ids=source_ids)), ("PERSON", "ORG")
    )
    project_id, job_id = labeling_launch.launch(res, actor, request)
    finish(res, job_id)
    return project_id


COYOTE = NodeRef("Entity", "labelled:PERSON:wile e. coyote")
PASSWORD = "a long enough passphrase"


class TestLabelling:
    def test_a_launch_links_its_documents_and_a_pull_adds_the_entities_annotators_marked(
        self,
        res: Resources,  # noqa: F811
        analyst: Actor,  # noqa: F811
        studio: FakeLabelStudio,
    ) -> None:
        w = world(res, analyst)
        project_id = launch(res, analyst, "People")
        assert waiting(res, analyst) == [("labeling", project_id)]
        backlog.drain(res, analyst.tenant_id)
        first = int(w.docs["1"])
        lineage = queries.lineage(res, analyst, first)
        assert names(lineage.projects) == ["People"]
        assert lineage.projects[0].properties["labelstudio_id"] == 1
        project = NodeRef("LabelingProject", str(project_id))
        assert queries.impact(res, analyst, project).counts == {"Document": 4}

        studio.mark(first, [("PERSON", "  Wile   E. Coyote "), ("PERSON", "wile e. coyote"), ("ORG", " ")])
        labeling_pull.pull_annotations(res, analyst, project_id)
        assert waiting(res, analyst) == [("labeling", project_id)]
        backlog.drain(res, analyst.tenant_id)
        entities = queries.lineage(res, analyst, first).entities
        assert [e.ref for e in entities] == [ACME, COYOTE, NodeRef("Entity", "vendor:globex")]
        coyote = entities[1].properties
        assert (coyote["name"], coyote["field"]) == ("Wile E. Coyote", "PERSON")

        size = res.graph.size(analyst.tenant_id)
        with res.uow() as uow:
            backlog.note(uow.session, analyst.tenant_id, "labeling", project_id)
            uow.commit()
        backlog.drain(res, analyst.tenant_id)
        assert res.graph.size(analyst.tenant_id) == size, "projected twice, merged once"
        finish(res, settings.start_rebuild(res, analyst))
        assert res.graph.size(analyst.tenant_id) == size, "a rebuild gives the same graph"

        studio.annotations.clear()  # the annotation deleted in Label Studio
        labeling_pull.pull_annotations(res, analyst, project_id)
        backlog.drain(res, analyst.tenant_id)
        assert COYOTE not in [e.ref for e in queries.lineage(res, analyst, first).entities]
        assert res.graph.nodes(analyst.tenant_id, [COYOTE]) == [], "no document mentions it any more"
        assert labeling_pull.pull_annotations(res, analyst, project_id).added == 0
        assert waiting(res, analyst) == [], "a pull that changed nothing notes nothing"

    def test_a_narrowed_user_sees_a_project_only_when_all_its_documents_are_theirs(
        self,
        res: Resources,  # noqa: F811
        analyst: Actor,  # noqa: F811
        studio: FakeLabelStudio,
    ) -> None:
        w = world(res, analyst)
        other_source, _, _ = sync(res, analyst, "Other", [{"id": 9, "title": "Secret", "customer": "Road"}])
        theirs = launch(res, analyst, "Events only", (w.source_id,))
        mixed = launch(res, analyst, "Everything")
        secret = doc_id(res, analyst, "9", other_source)
        studio.mark(secret, [("PERSON", "Road Runner")])
        labeling_pull.pull_annotations(res, analyst, mixed)
        backlog.drain(res, analyst.tenant_id)
        runner = NodeRef("Entity", "labelled:PERSON:road runner")
        assert runner in [e.ref for e in queries.lineage(res, analyst, secret).entities]

        narrowed = Actor(
            analyst.tenant_id, None, "analyst", None, analyst.permissions, frozenset({w.source_id})
        )
        assert names(queries.lineage(res, narrowed, int(w.docs["1"])).projects) == ["Events only"]
        assert queries.impact(res, narrowed, NodeRef("LabelingProject", str(theirs))).counts == {
            "Document": 4
        }
        for hidden in (NodeRef("LabelingProject", str(mixed)), runner):
            with pytest.raises(NotFoundError):
                queries.neighbourhood(res, narrowed, hidden, 1)
        assert queries.search(res, narrowed, "Everything") == []
        assert queries.search(res, narrowed, "road") == []
        near = {
            n.ref for n in queries.neighbourhood(res, narrowed, NodeRef("Document", w.docs["1"]), 2).nodes
        }
        assert NodeRef("Document", str(secret)) not in near, "nothing through another source"

    def test_an_annotator_sees_in_the_graph_only_the_projects_they_are_a_member_of(
        self,
        res: Resources,  # noqa: F811
        analyst: Actor,  # noqa: F811
        studio: FakeLabelStudio,
    ) -> None:
        w = world(res, analyst)
        theirs, other = launch(res, analyst, "Mine"), launch(res, analyst, "Not mine")
        backlog.drain(res, analyst.tenant_id)
        member = users.create_user(
            res, system_actor(analyst.tenant_id), "ann@acme.example", PASSWORD, "annotator"
        )
        members.add_annotators(res, analyst, theirs, [member])
        annotator = role_actor(analyst.tenant_id, "annotator", member)
        first = int(w.docs["1"])
        assert names(queries.lineage(res, analyst, first).projects) == ["Mine", "Not mine"]
        assert names(queries.lineage(res, annotator, first).projects) == ["Mine"]
        assert names(queries.lineage(res, role_actor(analyst.tenant_id, "viewer"), first).projects) == []
        assert queries.impact(res, annotator, NodeRef("LabelingProject", str(theirs))).counts == {
            "Document": 4
        }
        with pytest.raises(NotFoundError):
            queries.impact(res, annotator, NodeRef("LabelingProject", str(other)))
        with pytest.raises(NotFoundError):
            queries.neighbourhood(res, annotator, NodeRef("LabelingProject", str(other)), 1)
        assert names(queries.search(res, annotator, "mine")) == ["Mine"]
        source = NodeRef("DataSource", str(w.source_id))
        assert queries.impact(res, analyst, source).counts.get("LabelingProject") == 2
        assert "LabelingProject" not in queries.impact(res, annotator, source).counts
        near = queries.neighbourhood(res, annotator, NodeRef("Document", w.docs["1"]), 1).nodes
        assert NodeRef("LabelingProject", str(other)) not in {n.ref for n in near}

    def test_a_span_is_hidden_where_the_text_is_masked(
        self,
        res: Resources,  # noqa: F811
        analyst: Actor,  # noqa: F811
        studio: FakeLabelStudio,
    ) -> None:
        w = world(res, analyst)
        project_id = launch(res, analyst, "People")
        studio.mark(int(w.docs["1"]), [("PERSON", "Wile E. Coyote")])
        labeling_pull.pull_annotations(res, analyst, project_id)
        backlog.drain(res, analyst.tenant_id)
        admin = role_actor(analyst.tenant_id, "admin")
        masking_rules.add_masking_rule(res, admin, "text", MaskingRule("content", None, "redact"))
        viewer = role_actor(analyst.tenant_id, "viewer")
        assert COYOTE not in [e.ref for e in queries.lineage(res, viewer, int(w.docs["1"])).entities]
        assert ACME in [e.ref for e in queries.lineage(res, viewer, int(w.docs["1"])).entities]
        assert queries.search(res, viewer, "coyote") == []
        assert COYOTE in [n.ref for n in queries.search(res, analyst, "coyote")]


def jsonl(*records: dict[str, Any]) -> uploads.ParsedUpload:
    data = "".join(json.dumps(record) + "\n" for record in records).encode()
    return uploads.parse_jsonl("upload.jsonl", data)


class TestUploadsAndDeletions:
    def test_an_upload_is_noted_with_its_write_and_drained_without_duplicates(
        self,
        res: Resources,  # noqa: F811
        analyst: Actor,  # noqa: F811
    ) -> None:
        finish(res, settings.set_entity_fields(res, analyst, ["customer"]))
        first = {"external_id": "u1", "title": "Uploaded ACME", "metadata": {"customer": "ACME"}}
        second = {"external_id": "u2", "title": "Uploaded Umbrella", "metadata": {"customer": "Umbrella"}}
        uploads.import_documents(res, analyst, jsonl(first, second))
        notes = waiting(res, analyst)
        assert [kind for kind, _ in notes] == ["document", "document"]
        backlog.drain(res, analyst.tenant_id)
        u1, u2 = (NodeRef("Document", str(ref_id)) for _, ref_id in notes)
        lineage = queries.lineage(res, analyst, int(u1.key))
        assert names(lineage.sources) == ["Uploads"]
        assert [e.ref for e in lineage.entities] == [ACME]

        uploads.import_documents(res, analyst, jsonl(first, second))
        assert waiting(res, analyst) == [], "an unchanged record is not written, so not noted"
        moved = {**second, "metadata": {"customer": "ACME"}}
        uploads.import_documents(res, analyst, jsonl(first, moved))
        assert waiting(res, analyst) == [("document", int(u2.key))]
        backlog.drain(res, analyst.tenant_id)
        assert [e.ref for e in queries.lineage(res, analyst, int(u2.key)).entities] == [ACME]
        assert res.graph.nodes(analyst.tenant_id, [UMBRELLA]) == [], "no document mentions it any more"
        agrees_with_rebuild(res, analyst)

    def test_batches_of_one_import_each_note_their_own_documents(
        self,
        res: Resources,  # noqa: F811
        analyst: Actor,  # noqa: F811
    ) -> None:
        source_id = uploads.sources.ensure_upload_source(res, analyst, "Uploads")
        records = [DocumentInput(f"d{i}", f"Doc {i}", "x") for i in range(7)]
        upsert_documents(res, analyst, source_id, records, batch_size=3)
        noted = [ref_id for _, ref_id in waiting(res, analyst)]
        assert len(noted) == len(set(noted)) == 7
        assert backlog.drain(res, analyst.tenant_id) == 7
        below = res.graph.downstream(analyst.tenant_id, NodeRef("DataSource", str(source_id)), 1)
        assert below == {NodeRef("Document", str(ref_id)) for ref_id in noted}

    def test_a_deleted_source_takes_its_nodes_and_what_only_they_mentioned(
        self,
        res: Resources,  # noqa: F811
        analyst: Actor,  # noqa: F811
    ) -> None:
        w = world(res, analyst)
        uploads.import_documents(
            res, analyst, jsonl({"external_id": "u1", "title": "Kept", "metadata": {"customer": "Umbrella"}})
        )
        backlog.drain(res, analyst.tenant_id)
        catalogue.delete_source(res, analyst, w.source_id, "Events")
        assert waiting(res, analyst) == [("source", w.source_id)]
        backlog.drain(res, analyst.tenant_id)
        gone = [
            NodeRef("DataSource", str(w.source_id)),
            NodeRef("SyncJob", str(w.job_id)),
            *(NodeRef("Document", d) for d in w.docs.values()),
            ACME,
        ]
        assert res.graph.nodes(analyst.tenant_id, gone) == []
        assert [n.ref for n in res.graph.nodes(analyst.tenant_id, [UMBRELLA])] == [UMBRELLA]
        assert queries.impact(res, analyst, NodeRef("Rule", str(w.rule_id))).counts == {"Insight": 1}
        agrees_with_rebuild(res, analyst)

    def test_a_narrowed_user_sees_no_upload(
        self,
        res: Resources,  # noqa: F811
        analyst: Actor,  # noqa: F811
    ) -> None:
        w = world(res, analyst)
        uploads.import_documents(
            res,
            analyst,
            jsonl({"external_id": "u1", "title": "Private ACME", "metadata": {"customer": "ACME"}}),
        )
        (_, upload_id), *_ = waiting(res, analyst)
        backlog.drain(res, analyst.tenant_id)
        narrowed = Actor(
            analyst.tenant_id, None, "analyst", None, analyst.permissions, frozenset({w.source_id})
        )
        upload = NodeRef("Document", str(upload_id))
        assert upload in {n.ref for n in queries.neighbourhood(res, analyst, ACME, 1).nodes}
        assert upload not in {n.ref for n in queries.neighbourhood(res, narrowed, ACME, 1).nodes}
        assert queries.search(res, narrowed, "Private") == []
        with pytest.raises(NotFoundError):
            queries.lineage(res, narrowed, upload_id)


class TestEditsAndRemovals:
    def test_an_edit_moves_the_documents_name_and_entities(
        self,
        res: Resources,  # noqa: F811
        analyst: Actor,  # noqa: F811
    ) -> None:
        w = world(res, analyst)
        first = int(w.docs["1"])
        metadata = {"customer": "Initrode", "vendor": "Globex"}
        edits.edit_document(res, analyst, first, title="Invoice Initrode", metadata=metadata)
        assert waiting(res, analyst) == [("document", first)]
        backlog.drain(res, analyst.tenant_id)
        lineage = queries.lineage(res, analyst, first)
        assert lineage.document.properties["name"] == "Invoice Initrode"
        assert [e.ref for e in lineage.entities] == [
            NodeRef("Entity", "customer:initrode"),
            NodeRef("Entity", "vendor:globex"),
        ]
        assert [n.ref for n in res.graph.nodes(analyst.tenant_id, [ACME])] == [ACME], "document 2's still"
        edits.edit_document(res, analyst, first, content="only the text")
        assert waiting(res, analyst) == [], "the graph shows no content"

    def test_documents_an_overwrite_run_removes_leave_the_graph(
        self,
        res: Resources,  # noqa: F811
        analyst: Actor,  # noqa: F811
    ) -> None:
        finish(res, settings.set_entity_fields(res, analyst, ["customer"]))
        folder = res.settings.effective_files_root / analyst.tenant_id
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "events.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in RECORDS))
        draft = connections.SourceDraft("Events", "jsonl", {"path": "events.jsonl"})
        source_id = connections.create_source(res, analyst, draft)
        job = sync_jobs.JobDraft("Events job", source_id, "full_refresh_overwrite", MAPPING, [])
        job_id = sync_jobs.create_job(res, analyst, job)
        run_once(res, analyst, job_id)
        backlog.drain(res, analyst.tenant_id)
        umbrellas = [doc_id(res, analyst, str(i), source_id) for i in (3, 4)]

        path.write_text("".join(json.dumps(r) + "\n" for r in RECORDS[:3]))
        second = run_once(res, analyst, job_id)
        assert waiting(res, analyst) == [("document", umbrellas[1]), ("run", second)]
        backlog.drain(res, analyst.tenant_id)
        assert res.graph.nodes(analyst.tenant_id, [NodeRef("Document", str(umbrellas[1]))]) == []
        assert [n.ref for n in res.graph.nodes(analyst.tenant_id, [UMBRELLA])] == [UMBRELLA]

        path.write_text("".join(json.dumps(r) + "\n" for r in RECORDS[:2]))
        run_once(res, analyst, job_id)
        backlog.drain(res, analyst.tenant_id)
        assert res.graph.nodes(analyst.tenant_id, [UMBRELLA]) == [], "no document mentions it any more"
        agrees_with_rebuild(res, analyst)
