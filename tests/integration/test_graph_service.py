"""The graph services on Neo4j and on the embedded graph tables: projection, backlog, questions, reach.

Every test runs against SQLite's and PostgreSQL's graph tables and a real Neo4j,
with the same assertions, so the answers agree. Each test works in a tenant of
its own (the Neo4j server is shared by the session).
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import neo4j
import pytest
from sqlalchemy import func, select, update

from superinsight.adapters.graph import GraphUnavailableError
from superinsight.adapters.neo4j_graph import Neo4jGraph
from superinsight.db.models import AuditLog, BusinessInsight, Document, QualityIssue
from superinsight.db.models.graph import GraphBacklog
from superinsight.lineage.projection import LABELS
from superinsight.lineage.values import Node, NodeRef
from superinsight.masking import MaskingRule
from superinsight.resources import Resources, build_resources
from superinsight.services.context import Actor, role_actor
from superinsight.services.documents import masking as masking_rules
from superinsight.services.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from superinsight.services.graph import backlog, queries, settings
from superinsight.services.graph.reach import GraphDownError
from superinsight.services.quality import issues as quality_issues
from superinsight.services.rules import apply as rule_apply
from superinsight.services.rules import commands as rule_commands
from superinsight.services.rules import drafts as rule_drafts
from superinsight.services.sync import connections
from superinsight.services.sync import jobs as sync_jobs
from superinsight.services.sync import runs as sync_runs
from superinsight.services.sync import scheduler as sync_scheduler
from tests.conftest import make_settings

MAPPING = {"external_id": "id", "title": "title", "content": "body", "metadata.*": ""}
RECORDS = [
    {"id": 1, "title": "Invoice ACME", "body": "x", "customer": "ACME", "vendor": "Globex"},
    {"id": 2, "title": "Refund acme", "body": "x", "customer": "acme ", "vendor": "Initech"},
    {"id": 3, "title": "Order Umbrella", "body": "x", "customer": "Umbrella", "vendor": "Globex"},
    {"id": 4, "title": "Note Umbrella", "body": "x", "customer": "Umbrella"},
]
ACME, UMBRELLA = NodeRef("Entity", "customer:acme"), NodeRef("Entity", "customer:umbrella")
GLOBEX, INITECH = NodeRef("Entity", "vendor:globex"), NodeRef("Entity", "vendor:initech")


def build(request: pytest.FixtureRequest, tmp_path: Path, **overrides: object) -> Resources:
    url = request.getfixturevalue("pg_url" if request.param == "postgresql" else "sqlite_url")
    if request.param == "neo4j":
        overrides.setdefault("neo4j_uri", request.getfixturevalue("neo4j_uri"))
    values = {
        "files_root": tmp_path / "files",
        "sync_follow_ups": False,
        "graph_follow_ups": False,
    } | overrides
    return build_resources(make_settings(tmp_path, url, **values))


@pytest.fixture(params=["sqlite", "postgresql", "neo4j"])
def res(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Resources]:
    built = build(request, tmp_path)
    yield built
    built.close()


@pytest.fixture
def analyst() -> Actor:
    return role_actor(f"g{uuid.uuid4().hex[:10]}", "analyst")


def finish(res: Resources, job_id: str) -> None:
    deadline = time.monotonic() + 60
    while not res.jobs.status(job_id).done:
        assert time.monotonic() < deadline, "job did not finish"
        time.sleep(0.05)
    assert res.jobs.status(job_id).state == "finished", res.jobs.status(job_id).error


def sync(res: Resources, actor: Actor, name: str, records: list[dict[str, object]]) -> tuple[int, int, int]:
    """A JSON Lines source synced once; returns (source id, job id, run id)."""
    folder = res.settings.effective_files_root / actor.tenant_id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    source_id = connections.create_source(
        res, actor, connections.SourceDraft(name, "jsonl", {"path": f"{name}.jsonl"})
    )
    draft = sync_jobs.JobDraft(
        f"{name} job", source_id, "full_refresh_append", MAPPING, [{"type": "trim", "field": "title"}]
    )
    job_id = sync_jobs.create_job(res, actor, draft)
    return source_id, job_id, run_once(res, actor, job_id)


def run_once(res: Resources, actor: Actor, job_id: int) -> int:
    """Run the job now and wait for it to succeed; its run's id."""
    run_id = sync_runs.start_run(res, actor, job_id)
    deadline = time.monotonic() + 60
    while sync_runs.get_run(res, actor, run_id).status in ("queued", "running"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert sync_runs.get_run(res, actor, run_id).status == "succeeded"
    return run_id


def agrees_with_rebuild(res: Resources, actor: Actor) -> None:
    """The graph built change by change is the one a full rebuild makes."""
    size = res.graph.size(actor.tenant_id)
    finish(res, settings.start_rebuild(res, actor))
    assert res.graph.size(actor.tenant_id) == size, "incremental and rebuilt graphs agree"


def doc_id(res: Resources, actor: Actor, external_id: str, source_id: int) -> int:
    with res.uow() as uow:
        found = uow.session.scalar(
            select(Document.id).where(
                Document.tenant_id == actor.tenant_id,
                Document.external_id == external_id,
                Document.source_id == source_id,
            )
        )
    assert found is not None
    return found


def waiting(res: Resources, actor: Actor) -> list[tuple[str, int]]:
    with res.uow() as uow:
        rows = uow.session.execute(
            select(GraphBacklog.kind, GraphBacklog.ref_id)
            .where(GraphBacklog.tenant_id == actor.tenant_id)
            .order_by(GraphBacklog.id)
        )
        return [(kind, ref_id) for kind, ref_id in rows]


@dataclass
class World:
    source_id: int
    job_id: int
    run_id: int
    rule_id: int
    insight_id: int
    docs: dict[str, str]


def world(res: Resources, actor: Actor) -> World:
    """Entities marked, a source synced, a rule applied that files issues, all drained into the graph."""
    finish(res, settings.set_entity_fields(res, actor, ["customer", "vendor"]))
    source_id, job_id, run_id = sync(res, actor, "Events", RECORDS)
    rule = rule_commands.create_rule(
        res,
        actor,
        rule_drafts.RuleDraft(
            "Globex", {"==": [{"var": "metadata.vendor"}, "Globex"]}, action="quality_issue"
        ),
    )
    with res.uow() as uow:
        insight = BusinessInsight(
            tenant_id=actor.tenant_id, rule_id=rule.id, insight_type="spike", title="Globex up"
        )
        uow.session.add(insight)
        uow.commit()
        insight_id = insight.id
    rule_apply.apply_rule(res, actor, rule.id, rule_apply.new_run(res, actor, rule.id))
    assert waiting(res, actor) == [("source", source_id), ("run", run_id), ("rule", rule.id)]
    backlog.drain(res, actor.tenant_id)
    docs = {str(r["id"]): str(doc_id(res, actor, str(r["id"]), source_id)) for r in RECORDS}
    return World(source_id, job_id, run_id, rule.id, insight_id, docs)


def names(nodes: list[object]) -> list[str]:
    return [str(node.properties["name"]) for node in nodes]  # type: ignore[attr-defined]


class TestProjection:
    def test_a_job_made_for_a_source_puts_both_in_the_graph_before_any_run(
        self, res: Resources, analyst: Actor
    ) -> None:
        """The demo's Partner tickets source and job, left for the analyst to run, were missing
        from the graph until a rebuild; a job renamed is renamed there too."""
        folder = res.settings.effective_files_root / analyst.tenant_id
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "partners.jsonl").write_text("")
        draft = connections.SourceDraft("Partner tickets", "jsonl", {"path": "partners.jsonl"})
        source_id = connections.create_source(res, analyst, draft)
        job = sync_jobs.JobDraft("Partners nightly", source_id, "full_refresh_append", MAPPING, [])
        job_id = sync_jobs.create_job(res, analyst, job)
        backlog.drain(res, analyst.tenant_id)
        source, synced = NodeRef("DataSource", str(source_id)), NodeRef("SyncJob", str(job_id))
        assert res.graph.downstream(analyst.tenant_id, source, 1) == {synced}
        sync_jobs.update_job(res, analyst, job_id, replace(job, name="Partners hourly"))
        backlog.drain(res, analyst.tenant_id)
        assert [n.properties["name"] for n in res.graph.nodes(analyst.tenant_id, [synced])] == [
            "Partners hourly"
        ]

    def test_a_sync_and_a_rule_apply_are_noted_then_drained_into_the_graph(
        self, res: Resources, analyst: Actor
    ) -> None:
        w = world(res, analyst)
        assert waiting(res, analyst) == []
        below = res.graph.downstream(analyst.tenant_id, NodeRef("DataSource", str(w.source_id)), 3)
        assert NodeRef("SyncJob", str(w.job_id)) in below
        assert {NodeRef("Document", d) for d in w.docs.values()} <= below
        assert {ACME, UMBRELLA, GLOBEX, INITECH} <= below
        assert len([ref for ref in below if ref.label == "Transformation"]) == 1
        matched = res.graph.downstream(analyst.tenant_id, NodeRef("Rule", str(w.rule_id)), 1)
        assert matched == {NodeRef("Document", w.docs["1"]), NodeRef("Document", w.docs["3"])}

    def test_draining_again_and_rebuilding_add_no_node_or_edge(self, res: Resources, analyst: Actor) -> None:
        w = world(res, analyst)
        size = res.graph.size(analyst.tenant_id)
        assert size[0] > 10 and size[1] > 10
        with res.uow() as uow:
            for kind, ref_id in [("run", w.run_id), ("rule", w.rule_id), ("source_issues", w.source_id)]:
                backlog.note(uow.session, analyst.tenant_id, kind, ref_id)
            uow.commit()
        assert backlog.drain(res, analyst.tenant_id) == 3
        assert res.graph.size(analyst.tenant_id) == size
        finish(res, settings.start_rebuild(res, analyst))
        assert res.graph.size(analyst.tenant_id) == size

    def test_a_drain_leaves_the_notes_to_one_already_at_work_for_the_tenant(
        self, res: Resources, analyst: Actor
    ) -> None:
        w = world(res, analyst)
        with res.uow() as uow:
            for kind, ref_id in [("run", w.run_id), ("rule", w.rule_id)]:
                backlog.note(uow.session, analyst.tenant_id, kind, ref_id)
            uow.commit()
        lease = f"graph-drain:{analyst.tenant_id}"
        assert res.cache.add(lease, True, 60), "no drain holds the lease once drains are over"
        assert backlog.drain(res, analyst.tenant_id) == 0
        assert backlog.pending(res, analyst) == 2, "left for the drain at work"
        res.cache.delete(lease)
        assert backlog.drain(res, analyst.tenant_id) == 2
        assert backlog.pending(res, analyst) == 0

    def test_notes_that_came_while_a_drain_held_the_lease_are_drained_by_it(
        self, res: Resources, analyst: Actor, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Another change's drain found the lease taken and left; the holder looks again after letting go."""
        w = world(res, analyst)
        with res.uow() as uow:
            backlog.note(uow.session, analyst.tenant_id, "run", w.run_id)
            uow.commit()
        held = backlog._drain_held
        rounds: list[int] = []

        def meanwhile(resources: Resources, tenant_id: str, lease: str) -> int:
            rounds.append(held(resources, tenant_id, lease))
            if len(rounds) == 1:
                with res.uow() as uow:
                    backlog.note(uow.session, analyst.tenant_id, "rule", w.rule_id)
                    uow.commit()
                assert backlog.drain(res, analyst.tenant_id) == 0, "refused: the lease is held"
            return rounds[-1]

        monkeypatch.setattr(backlog, "_drain_held", meanwhile)
        assert backlog.drain(res, analyst.tenant_id) == 2
        assert rounds == [1, 1], "the holder took the lease again for the note that came"
        assert backlog.pending(res, analyst) == 0

    def test_a_new_rule_version_replaces_the_old_matches_and_a_deleted_rule_leaves(
        self, res: Resources, analyst: Actor
    ) -> None:
        w = world(res, analyst)
        rule = NodeRef("Rule", str(w.rule_id))
        draft = rule_drafts.RuleDraft(
            "Globex", {"==": [{"var": "metadata.vendor"}, "Initech"]}, action="flag"
        )
        rule_commands.update_rule(res, analyst, w.rule_id, draft)
        rule_apply.apply_rule(res, analyst, w.rule_id, rule_apply.new_run(res, analyst, w.rule_id))
        backlog.drain(res, analyst.tenant_id)
        assert res.graph.downstream(analyst.tenant_id, rule, 1) == {NodeRef("Document", w.docs["2"])}
        rule_commands.delete_rule(res, analyst, w.rule_id)
        assert waiting(res, analyst) == [("rule", w.rule_id)]
        backlog.drain(res, analyst.tenant_id)
        assert res.graph.nodes(analyst.tenant_id, [rule]) == []

    def test_triage_is_noted_and_the_issue_node_follows(self, res: Resources, analyst: Actor) -> None:
        w = world(res, analyst)
        with res.uow() as uow:
            issue_id = uow.session.scalar(
                select(QualityIssue.id).where(QualityIssue.document_id == int(w.docs["3"]))
            )
        assert issue_id is not None
        quality_issues.triage(res, analyst, [issue_id], status="resolved")
        assert ("issue", issue_id) in waiting(res, analyst)
        backlog.drain(res, analyst.tenant_id)
        lineage = queries.lineage(res, analyst, int(w.docs["3"]))
        assert [(issue.ref.key, issue.properties["status"]) for issue in lineage.issues] == [
            (str(issue_id), "resolved")
        ]


class TestQuestions:
    def test_lineage_of_a_document(self, res: Resources, analyst: Actor) -> None:
        w = world(res, analyst)
        lineage = queries.lineage(res, analyst, int(w.docs["1"]))
        assert lineage.document.properties["name"] == "Invoice ACME"
        assert names(lineage.sources) == ["Events"]
        assert [(n.properties["name"], props) for n, props in lineage.runs] == [
            ("Events job", {"run": w.run_id, "version": 1})
        ]
        assert names(lineage.steps) == ["1. trim"]
        assert [(n.properties["name"], props) for n, props in lineage.rules] == [("Globex", {"version": 1})]
        assert names(lineage.insights) == ["Globex up"]
        assert [issue.properties["status"] for issue in lineage.issues] == ["open"]
        assert [e.ref for e in lineage.entities] == [ACME, GLOBEX]
        assert not lineage.truncated

    def test_impact_of_a_source_a_job_and_a_rule_with_counts(self, res: Resources, analyst: Actor) -> None:
        w = world(res, analyst)
        source = queries.impact(res, analyst, NodeRef("DataSource", str(w.source_id)))
        assert source.counts == {
            "SyncJob": 1,
            "Transformation": 1,
            "Document": 4,
            "Entity": 4,
            "QualityIssue": 2,
        }
        job = queries.impact(res, analyst, NodeRef("SyncJob", str(w.job_id)))
        assert job.counts == {"Transformation": 1, "Document": 4, "Entity": 4, "QualityIssue": 2}
        rule = queries.impact(res, analyst, NodeRef("Rule", str(w.rule_id)))
        assert rule.counts == {"Document": 2, "Entity": 3, "QualityIssue": 2, "Insight": 1}
        with pytest.raises(InvalidInputError, match="impact is for"):
            queries.impact(res, analyst, ACME)

    def test_neighbourhood_of_an_entity_by_depth(self, res: Resources, analyst: Actor) -> None:
        w = world(res, analyst)
        one = queries.neighbourhood(res, analyst, ACME, 1)
        assert {n.ref for n in one.nodes} == {
            ACME,
            NodeRef("Document", w.docs["1"]),
            NodeRef("Document", w.docs["2"]),
        }
        assert {(e.source, e.target, e.rel_type) for e in one.edges} == {
            (NodeRef("Document", w.docs["1"]), ACME, "MENTIONS"),
            (NodeRef("Document", w.docs["2"]), ACME, "MENTIONS"),
        }
        two = queries.neighbourhood(res, analyst, ACME, 2)
        assert {GLOBEX, INITECH, NodeRef("SyncJob", str(w.job_id)), NodeRef("Rule", str(w.rule_id))} <= {
            n.ref for n in two.nodes
        }
        assert two.depth_of[GLOBEX] == 2 and not two.truncated
        with pytest.raises(InvalidInputError, match="depth must be between 1 and 4"):
            queries.neighbourhood(res, analyst, ACME, 5)

    def test_a_neighbourhood_too_big_is_cut_and_says_so(
        self, res: Resources, analyst: Actor, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        world(res, analyst)
        monkeypatch.setattr(queries, "MAX_NODES", 4)
        cut = queries.neighbourhood(res, analyst, ACME, 3)
        assert cut.truncated and len(cut.nodes) == 4

    def test_shortest_path_between_two_entities(self, res: Resources, analyst: Actor) -> None:
        w = world(res, analyst)
        path = queries.shortest_path(res, analyst, ACME, UMBRELLA)
        assert path is not None
        # Of the paths of four hops (none is shorter), the one where the walks from both ends meet
        # first, in every store alike: through the vendor both documents name (not the rule).
        assert [n.ref for n in path] == [
            ACME,
            NodeRef("Document", w.docs["1"]),
            GLOBEX,
            NodeRef("Document", w.docs["3"]),
            UMBRELLA,
        ]
        same = queries.shortest_path(res, analyst, ACME, ACME)
        assert same is not None and [n.ref for n in same] == [ACME]

    def test_a_path_out_of_a_hub_is_found_from_the_other_end(
        self, res: Resources, analyst: Actor, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A job with more links than a hop reads: walking out of it was refused; the document's end
        walks to it instead. Two such ends are still refused."""
        w = world(res, analyst)
        job, document = NodeRef("SyncJob", str(w.job_id)), NodeRef("Document", w.docs["3"])
        links = {
            ref: len(res.graph.expand(analyst.tenant_id, [ref], None, None, 100)) for ref in (job, document)
        }
        monkeypatch.setattr(queries, "HOP_LIMIT", links[job])
        assert links[document] < links[job]
        path = queries.shortest_path(res, analyst, job, document)
        assert path is not None and [n.ref for n in path] == [job, document]
        monkeypatch.setattr(queries, "HOP_LIMIT", links[document])
        with pytest.raises(InvalidInputError, match=f"more than {links[document]} links"):
            queries.shortest_path(res, analyst, job, document)

    def test_entities_that_co_occur_most(self, res: Resources, analyst: Actor) -> None:
        world(res, analyst)
        found = queries.co_occurring(res, analyst, GLOBEX)
        assert [(n.ref, count) for n, count in found] == [(ACME, 1), (UMBRELLA, 1)]
        assert [(n.ref, c) for n, c in queries.co_occurring(res, analyst, UMBRELLA)] == [(GLOBEX, 1)]

    def test_search_finds_documents_and_entities_by_name(self, res: Resources, analyst: Actor) -> None:
        w = world(res, analyst)
        found = {n.ref for n in queries.search(res, analyst, "acme")}
        assert found == {ACME, NodeRef("Document", w.docs["1"]), NodeRef("Document", w.docs["2"])}
        with pytest.raises(InvalidInputError):
            queries.search(res, analyst, "acme\x00")

    def test_search_offers_rules_and_entities_before_the_documents_and_issues_named_alike(
        self, res: Resources, analyst: Actor
    ) -> None:
        """A rule's every quality issue carries its name: by name alone the rule was never offered."""
        tenant = analyst.tenant_id
        named = "Contract missing end date"
        many = [Node(NodeRef("QualityIssue", str(i)), {"name": named}) for i in range(1, 40)]
        many += [Node(NodeRef("Document", str(i)), {"name": f"Contract {i:03}"}) for i in range(1, 40)]
        few = [
            Node(NodeRef("Rule", "7"), {"name": named}),
            Node(NodeRef("DataSource", "3"), {"name": "Contracts DB"}),
            Node(NodeRef("Entity", "customer:contract co"), {"name": "Contract Co", "field": "customer"}),
        ]
        res.graph.merge_nodes(tenant, [*many, *few])
        found = [n.ref for n in queries.search(res, analyst, "contract")]
        assert found[:3] == [  # a name starting with the text first, then by name
            NodeRef("Entity", "customer:contract co"),
            NodeRef("Rule", "7"),
            NodeRef("DataSource", "3"),
        ]
        assert found[3:] == [NodeRef("Document", str(i)) for i in range(1, queries.SEARCH_SHOWN - 2)]
        exact = [n.ref for n in queries.search(res, analyst, named.lower(), limit=2)]
        assert exact == [NodeRef("Rule", "7"), NodeRef("QualityIssue", "1")], "the same name comes first"
        only = queries.search(res, analyst, "contract", kinds=["Entity"])
        assert [n.ref for n in only] == [NodeRef("Entity", "customer:contract co")]

    def test_search_ranks_in_the_store_so_an_exact_name_is_not_cut_behind_others(
        self, res: Resources, analyst: Actor
    ) -> None:
        """Two hundred and ten names sort before "Acme" ("2024 acme ..."): read by name and cut at
        two hundred, the one named exactly so was never offered."""
        before = [
            Node(NodeRef("Document", str(n)), {"name": f"2024 acme report {n:03}"})
            for n in range(queries.SEARCH_READ + 10)
        ]
        res.graph.merge_nodes(
            analyst.tenant_id, [*before, Node(NodeRef("Document", "999"), {"name": "Acme"})]
        )
        found = queries.search(res, analyst, "acme", limit=3)
        assert [n.ref for n in found] == [NodeRef("Document", k) for k in ("999", "0", "1")]


class TestReach:
    def test_a_narrowed_user_sees_only_what_their_sources_reach(self, res: Resources, analyst: Actor) -> None:
        w = world(res, analyst)
        other_source, _, _ = sync(
            res, analyst, "Other", [{"id": 9, "title": "Secret ACME", "customer": "ACME"}]
        )
        backlog.drain(res, analyst.tenant_id)
        secret = NodeRef("Document", str(doc_id(res, analyst, "9", other_source)))
        assert secret in {n.ref for n in queries.neighbourhood(res, analyst, ACME, 1).nodes}
        narrowed = Actor(
            analyst.tenant_id, None, "analyst", None, analyst.permissions, frozenset({w.source_id})
        )
        assert secret not in {n.ref for n in queries.neighbourhood(res, narrowed, ACME, 1).nodes}
        assert secret not in {n.ref for n in queries.search(res, narrowed, "secret")}
        with pytest.raises(NotFoundError):
            queries.lineage(res, narrowed, int(secret.key))
        with pytest.raises(NotFoundError):
            queries.impact(res, narrowed, NodeRef("DataSource", str(other_source)))
        assert queries.impact(res, narrowed, NodeRef("Rule", str(w.rule_id))).counts["Document"] == 2
        only_theirs = Actor(
            analyst.tenant_id, None, "analyst", None, analyst.permissions, frozenset({other_source})
        )
        with pytest.raises(NotFoundError):
            queries.neighbourhood(res, only_theirs, GLOBEX, 1)

    def test_a_masked_user_sees_titles_masked_and_no_masked_entity(
        self, res: Resources, analyst: Actor
    ) -> None:
        w = world(res, analyst)
        admin = role_actor(analyst.tenant_id, "admin")
        masking_rules.add_masking_rule(res, admin, "titles", MaskingRule("title", None, "redact"))
        masking_rules.add_masking_rule(
            res, admin, "customers", MaskingRule("metadata.customer", None, "mask")
        )
        viewer = role_actor(analyst.tenant_id, "viewer")
        lineage = queries.lineage(res, viewer, int(w.docs["1"]))
        assert "Invoice" not in str(lineage.document.properties["name"])
        assert [e.ref for e in lineage.entities] == [GLOBEX], (
            "the masked customer is not shown, not even its key"
        )
        shown = {n.ref for n in queries.neighbourhood(res, viewer, GLOBEX, 2).nodes}
        assert ACME not in shown and UMBRELLA not in shown and NodeRef("Document", w.docs["1"]) in shown
        assert queries.co_occurring(res, viewer, GLOBEX) == []
        assert queries.search(res, viewer, "Invoice") == [], "a search does not reveal a masked title"
        assert NodeRef("Document", w.docs["1"]) in {n.ref for n in queries.search(res, analyst, "Invoice")}
        # A masked entity asked for by its key (the page's address) is answered as one that is not
        # there, by every question, in the same words: nothing tells which customers exist.
        missing = NodeRef("Entity", "customer:nobody")
        for ref in (ACME, missing):
            asked = [
                lambda ref=ref: queries.neighbourhood(res, viewer, ref, 1),
                lambda ref=ref: queries.co_occurring(res, viewer, ref),
                lambda ref=ref: queries.shortest_path(res, viewer, GLOBEX, ref),
                lambda ref=ref: queries.shortest_path(res, viewer, ref, GLOBEX),
            ]
            for question in asked:
                with pytest.raises(NotFoundError) as refused:
                    question()
                assert str(refused.value).replace(ref.key, "KEY") == (
                    "Entity KEY is not in the graph (yet): a sync, a rule applied or a rebuild puts it there"
                )
        assert [n.ref for n, _ in queries.co_occurring(res, analyst, GLOBEX)] == [ACME, UMBRELLA]
        source = NodeRef("DataSource", str(w.source_id))
        assert "Entity" not in queries.impact(res, viewer, source).counts, "it would count masked values"
        assert queries.impact(res, analyst, source).counts["Entity"] == 4
        # A path for the viewer runs only through what they see: around the masked customers.
        path = queries.shortest_path(res, viewer, GLOBEX, INITECH)
        assert path is not None and len(path) == 5
        assert not {ACME, UMBRELLA} & {node.ref for node in path}

    def test_who_may_mark_entity_fields_and_rebuild(self, res: Resources, analyst: Actor) -> None:
        viewer = role_actor(analyst.tenant_id, "viewer")
        narrowed = Actor(analyst.tenant_id, None, "analyst", None, analyst.permissions, frozenset({1}))
        for actor in (viewer, narrowed):
            with pytest.raises(PermissionDeniedError):
                settings.set_entity_fields(res, actor, ["customer"])
            with pytest.raises(PermissionDeniedError):
                settings.start_rebuild(res, actor)
        with pytest.raises(InvalidInputError):
            settings.set_entity_fields(res, analyst, ["customer", "bad\x00field"])
        assert settings.entity_fields(res, analyst) == []
        with res.uow() as uow:
            audits = uow.session.scalar(
                select(func.count()).where(
                    AuditLog.tenant_id == analyst.tenant_id, AuditLog.entity_type == "graph"
                )
            )
        assert audits == 0


class Relay:
    """A loopback TCP relay to Neo4j that can be stopped and started: Neo4j going away, as the app sees it."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._open: list[socket.socket] = []
        self._listener: socket.socket | None = None

    def start(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def stop(self) -> None:
        for sock in [self._listener, *self._open]:
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
        self._open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            self._open += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                target.sendall(data)
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)


def test_neo4j_stopped_during_a_sync_loses_nothing_and_catches_up_without_duplicates(
    tmp_path: Path, analyst: Actor, sqlite_url: str, neo4j_uri: str
) -> None:
    address = urlsplit(neo4j_uri)
    relay = Relay((address.hostname or "127.0.0.1", address.port or 7687))
    relay.start()
    # Drains by hand only: one queued by a change (a job created) would hold the drain's lease.
    settings_ = make_settings(
        tmp_path, sqlite_url, files_root=tmp_path / "files", sync_follow_ups=False, graph_follow_ups=False
    )
    res = build_resources(settings_)
    driver = neo4j.GraphDatabase.driver(
        f"bolt://127.0.0.1:{relay.port}",
        auth=("neo4j", ""),
        connection_timeout=1,
        max_transaction_retry_time=1,
    )
    res.graph = Neo4jGraph(driver)
    try:
        finish(res, settings.set_entity_fields(res, analyst, ["customer"]))
        sync(res, analyst, "Events", RECORDS[:2])
        backlog.drain(res, analyst.tenant_id)
        before = res.graph.size(analyst.tenant_id)

        relay.stop()
        later_source, _, later_run = sync(res, analyst, "Later", RECORDS[2:])
        with pytest.raises(GraphUnavailableError):
            backlog.drain(res, analyst.tenant_id)
        assert waiting(res, analyst) == [("source", later_source), ("run", later_run)], "nothing lost"
        with pytest.raises(GraphDownError, match="Neo4j does not answer"):
            queries.neighbourhood(res, analyst, ACME, 1)

        relay.start()
        with res.uow() as uow:  # as if it had waited past the scheduler's patience
            uow.session.execute(update(GraphBacklog).values(created_at=datetime(2026, 1, 1, tzinfo=UTC)))
            uow.commit()
        assert sync_scheduler.tick(res)["graph"] == 1
        deadline = time.monotonic() + 30
        while waiting(res, analyst):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        below = res.graph.downstream(analyst.tenant_id, NodeRef("DataSource", str(later_source)), 2)
        assert len([ref for ref in below if ref.label == "Document"]) == 2
        caught_up = res.graph.size(analyst.tenant_id)
        assert caught_up[0] > before[0]
        with res.uow() as uow:
            backlog.note(uow.session, analyst.tenant_id, "run", later_run)
            uow.commit()
        backlog.drain(res, analyst.tenant_id)
        assert res.graph.size(analyst.tenant_id) == caught_up, "projected twice, merged once"
    finally:
        relay.stop()
        res.close()
        driver.close()


def test_start_up_creates_a_uniqueness_constraint_per_label_that_neo4j_enforces(
    tmp_path: Path, sqlite_url: str, neo4j_uri: str
) -> None:
    res = build_resources(make_settings(tmp_path, sqlite_url, neo4j_uri=neo4j_uri))
    try:
        settings.prepare_store(res)
        with neo4j.GraphDatabase.driver(neo4j_uri, auth=("neo4j", "")) as driver, driver.session() as session:
            names = {record["name"] for record in session.run("SHOW CONSTRAINTS")}
            assert {f"graph_{label.lower()}_key" for label in LABELS} <= names
            tenant = f"u{uuid.uuid4().hex[:8]}"
            session.run("CREATE (:Document {tenant_id: $t, key: '1'})", t=tenant).consume()
            with pytest.raises(neo4j.exceptions.ConstraintError):
                session.run("CREATE (:Document {tenant_id: $t, key: '1'})", t=tenant).consume()
            session.run("MATCH (n {tenant_id: $t}) DELETE n", t=tenant).consume()
    finally:
        res.close()
