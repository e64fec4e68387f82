"""Lineage behaves the same in Neo4j and in the relational graph tables."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import neo4j
import pytest

from superinsight.adapters.graph import GraphStore, GraphUnavailableError
from superinsight.adapters.neo4j_graph import Neo4jGraph
from superinsight.lineage.values import Edge, GraphInputError, Node, NodeRef
from superinsight.resources import build_resources
from tests.conftest import make_settings

SOURCE = NodeRef("Source", "crm")
DOC = NodeRef("Document", "42")
RULE = NodeRef("Rule", "high-value")
INSIGHT = NodeRef("Insight", "spike-1")


@pytest.fixture(params=["relational-sqlite", "relational-postgresql", "neo4j"])
def graph(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    if request.param == "neo4j":
        driver = neo4j.GraphDatabase.driver(request.getfixturevalue("neo4j_uri"), auth=("neo4j", ""))
        yield Neo4jGraph(driver)
        driver.close()
        return
    url = request.getfixturevalue("sqlite_url" if request.param.endswith("sqlite") else "pg_url")
    resources = build_resources(make_settings(tmp_path, url))
    yield resources.graph
    resources.close()


def _lineage(graph: GraphStore, tenant: str = "acme") -> None:
    graph.merge_nodes(tenant, [Node(SOURCE, {"name": "CRM"}), Node(DOC, {"title": "Invoice"})])
    graph.merge_edges(
        tenant,
        [
            Edge(SOURCE, DOC, "PRODUCED"),
            Edge(DOC, RULE, "MATCHED", {"version": 2}),
            Edge(RULE, INSIGHT, "RAISED"),
        ],
    )


class TestLineage:
    def test_downstream_follows_edges_up_to_the_depth(self, graph: GraphStore) -> None:
        _lineage(graph)
        assert graph.downstream("acme", SOURCE, depth=1) == {DOC}
        assert graph.downstream("acme", SOURCE, depth=3) == {DOC, RULE, INSIGHT}
        assert graph.downstream("acme", INSIGHT) == set()

    def test_merging_twice_creates_no_duplicates(self, graph: GraphStore) -> None:
        _lineage(graph)
        _lineage(graph)
        assert graph.downstream("acme", SOURCE, depth=3) == {DOC, RULE, INSIGHT}

    def test_tenants_never_see_each_others_lineage(self, graph: GraphStore) -> None:
        _lineage(graph, "acme")
        graph.merge_edges("evil", [Edge(SOURCE, NodeRef("Document", "666"), "PRODUCED")])
        assert graph.downstream("evil", SOURCE, depth=3) == {NodeRef("Document", "666")}
        assert NodeRef("Document", "666") not in graph.downstream("acme", SOURCE, depth=3)

    def test_unknown_start_has_nothing_downstream(self, graph: GraphStore) -> None:
        assert graph.downstream("acme", NodeRef("Source", "nowhere")) == set()

    def test_hostile_labels_are_refused_before_reaching_the_store(self, graph: GraphStore) -> None:
        with pytest.raises(GraphInputError):
            graph.merge_nodes("acme", [Node(NodeRef("X` {}) DETACH DELETE (n", "1"))])
        with pytest.raises(GraphInputError):
            graph.merge_edges("acme", [Edge(SOURCE, DOC, "R]->() DELETE r //")])

    def test_a_batch_of_a_thousand_edges_lands_whole(self, graph: GraphStore) -> None:
        docs = [NodeRef("Document", str(i)) for i in range(1000)]
        graph.merge_edges("acme", [Edge(SOURCE, doc, "PRODUCED") for doc in docs])
        assert graph.downstream("acme", SOURCE, depth=1) == set(docs)

    def test_keep_only_removes_the_other_edges_of_a_type_and_says_whose(self, graph: GraphStore) -> None:
        _lineage(graph)
        other = NodeRef("Rule", "low-value")
        graph.merge_edges("acme", [Edge(DOC, other, "MATCHED"), Edge(DOC, INSIGHT, "CITED")])
        assert graph.keep_only("acme", "MATCHED", {DOC: {RULE}, SOURCE: set()}) == {other}
        assert graph.downstream("acme", DOC, depth=1) == {RULE, INSIGHT}
        assert graph.keep_only("acme", "MATCHED", {DOC: {RULE}}) == set(), "again: nothing to remove"

    def test_a_sources_nodes_go_and_orphans_only_when_untouched(self, graph: GraphStore) -> None:
        owned = [NodeRef("Document", str(i)) for i in (1, 2)]
        kept = NodeRef("Document", "3")
        alone, shared = NodeRef("Entity", "x:alone"), NodeRef("Entity", "x:shared")
        graph.merge_nodes(
            "acme", [Node(ref, {"source_id": 7}) for ref in owned] + [Node(kept, {"source_id": 8})]
        )
        graph.merge_nodes("evil", [Node(owned[0], {"source_id": 7})])
        graph.merge_edges(
            "acme",
            [
                Edge(owned[0], alone, "MENTIONS"),
                Edge(owned[1], shared, "MENTIONS"),
                Edge(kept, shared, "MENTIONS"),
            ],
        )
        graph.delete_sourced("acme", 7)
        assert graph.nodes("acme", [*owned, kept]) == graph.nodes("acme", [kept])
        assert [n.ref for n in graph.nodes("evil", owned)] == [owned[0]], "another tenant's stay"
        graph.delete_orphans("acme", "Entity", [shared.key])
        assert [n.ref for n in graph.nodes("acme", [alone, shared])] == [alone, shared]
        graph.delete_orphans("acme", "Entity", None)
        assert [n.ref for n in graph.nodes("acme", [alone, shared])] == [shared]

    def test_ping_answers(self, graph: GraphStore) -> None:
        graph.ping()


def test_a_stopped_neo4j_is_reported_as_unavailable_and_nothing_hangs() -> None:
    driver = neo4j.GraphDatabase.driver("bolt://127.0.0.1:9", auth=("neo4j", ""), connection_timeout=1)
    stopped = Neo4jGraph(driver)
    with pytest.raises(GraphUnavailableError):
        stopped.ping()
    with pytest.raises(GraphUnavailableError):
        stopped.expand("acme", [SOURCE], None, None, 10)
    driver.close()


def test_a_sources_nodes_are_found_by_index_not_by_scanning(neo4j_uri: str) -> None:
    """Deleting a source looks its nodes up label by label; each label has a (tenant, source) index."""
    driver = neo4j.GraphDatabase.driver(neo4j_uri, auth=("neo4j", ""))
    graph = Neo4jGraph(driver)
    graph.merge_nodes(
        "acme", [Node(NodeRef(label, "1"), {"source_id": 7}) for label in ("Document", "SyncJob")]
    )
    with driver.session() as session:
        session.run("CALL db.awaitIndexes(30)").consume()  # a new index is planned on once online
        for label in ("Document", "SyncJob"):
            plan = (
                session.run(
                    f"EXPLAIN MATCH (n:`{label}`) WHERE n.tenant_id = $tenant AND n.source_id = $source "
                    "RETURN n",
                    tenant="acme",
                    source=7,
                )
                .consume()
                .plan
            )
            assert plan is not None
            assert "NodeIndexSeek" in str(plan), (label, plan)
    graph.delete_sourced("acme", 7)
    assert graph.nodes("acme", [NodeRef("Document", "1"), NodeRef("SyncJob", "1")]) == []
    driver.close()
