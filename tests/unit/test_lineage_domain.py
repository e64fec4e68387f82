"""The graph's pure parts: what rows become, and walks within depth and size, against a reference BFS."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from hypothesis import given
from hypothesis import strategies as st

from superinsight.lineage import projection as shape
from superinsight.lineage import walks
from superinsight.lineage.values import Edge, Hop, Node, NodeRef
from superinsight.services.graph.backlog import _in_order


def _doc(**overrides: object) -> shape.DocumentRow:
    values: dict[str, object] = {
        "id": 7,
        "source_id": 3,
        "job_id": 5,
        "run_id": 11,
        "version": 2,
        "title": "Invoice",
        "external_id": "inv-7",
        "metadata": {"customer": "ACME  Corp", "vendor": ["Globex", "globex", " ", 4, True, None], "x": "y"},
    }
    return shape.DocumentRow(**(values | overrides))  # type: ignore[arg-type]


class TestProjection:
    def test_a_synced_document_is_produced_by_its_job_and_mentions_its_marked_fields(self) -> None:
        projected = shape.document(_doc(), ["customer", "vendor"])
        doc = NodeRef("Document", "7")
        assert projected.nodes[0] == Node(
            doc, {"name": "Invoice", "external_id": "inv-7", "version": 2, "source_id": 3}
        )
        assert [(e.source, e.target, e.rel_type, e.properties) for e in projected.edges] == [
            (NodeRef("SyncJob", "5"), doc, "PRODUCED", {"version": 2, "run": 11}),
            (doc, NodeRef("Entity", "customer:acme corp"), "MENTIONS", {}),
            (doc, NodeRef("Entity", "vendor:globex"), "MENTIONS", {}),
            (doc, NodeRef("Entity", "vendor:4"), "MENTIONS", {}),
        ]

    def test_an_upload_without_a_source_belongs_to_none_and_has_no_producer(self) -> None:
        projected = shape.document(_doc(source_id=None, job_id=None, run_id=None))
        assert projected.nodes[0].properties["source_id"] == shape.SOURCELESS
        assert projected.edges == []

    def test_a_document_uploaded_into_a_source_is_held_by_it(self) -> None:
        projected = shape.document(_doc(job_id=None, run_id=None))
        assert projected.edges == [Edge(NodeRef("DataSource", "3"), NodeRef("Document", "7"), "HOLDS")]

    def test_jobs_feed_from_their_source_and_apply_their_steps_in_order(self) -> None:
        projected = shape.job(
            shape.JobRow(5, 3, "Nightly", "incremental_dedup"), [shape.StepRow(9, 5, 3, 1, "trim")]
        )
        assert [(e.source.label, e.rel_type, e.target.label) for e in projected.edges] == [
            ("DataSource", "FEEDS", "SyncJob"),
            ("SyncJob", "APPLIES", "Transformation"),
        ]
        assert projected.nodes[1].properties == {"name": "1. trim", "source_id": 3}

    def test_issues_rules_and_insights(self) -> None:
        issue = shape.issue(shape.IssueRow(1, 7, 3, "missing title", "error", "open"))
        assert issue.edges == [Edge(NodeRef("Document", "7"), NodeRef("QualityIssue", "1"), "HAS_ISSUE")]
        insight = shape.insight(shape.InsightRow(2, 4, "Spike", "trend"))
        assert insight.edges == [Edge(NodeRef("Insight", "2"), NodeRef("Rule", "4"), "ABOUT")]
        matches = shape.matches(4, 3, [7, 8])
        assert {(e.target.key, e.properties["version"]) for e in matches.edges} == {("7", 3), ("8", 3)}

    @given(
        st.one_of(st.text(max_size=30), st.lists(st.one_of(st.text(max_size=10), st.integers()), max_size=40))
    )
    def test_entity_values_are_trimmed_distinct_and_bounded(self, value: object) -> None:
        found = shape.entity_values(value)
        assert len(found) == len(set(found)) <= shape.ENTITIES_PER_FIELD
        assert all(name and name == " ".join(name.split()) for name in found)

    @given(st.text(min_size=1, max_size=400))
    def test_an_entity_key_folds_case_and_fits_its_column(self, name: str) -> None:
        node = shape.entity("customer", name)
        assert node.ref == shape.entity("customer", name.casefold()).ref
        assert len(node.ref.key) <= shape.KEY_LENGTH and node.ref.key.startswith("customer:")

    def test_labelled_spans_are_entities_of_their_own_folded_like_metadata_ones(self) -> None:
        spans = [("PERSON", " Ada  Lovelace "), ("PERSON", "ada lovelace"), ("ORG", "  "), ("ORG", "ACME")]
        projected = shape.document(_doc(labelled=spans), ["customer"])
        mentions = [(e.target.key, e.rel_type) for e in projected.edges if e.rel_type == "MENTIONS"]
        assert mentions == [
            ("customer:acme corp", "MENTIONS"),
            ("labelled:PERSON:ada lovelace", "MENTIONS"),
            ("labelled:ORG:acme", "MENTIONS"),
        ], "a span is never the metadata entity of the same name: it is masked with the text"
        ada = next(n for n in projected.nodes if n.ref.key == "labelled:PERSON:ada lovelace")
        assert ada.properties == {"name": "Ada Lovelace", "field": "PERSON"}
        assert shape.is_labelled(ada.ref) and not shape.is_labelled(NodeRef("Entity", "customer:acme corp"))

    def test_a_labeling_project_belongs_to_its_documents_one_source_or_to_none(self) -> None:
        row = shape.ProjectRow(5, "People", "entities", 12)
        single = shape.labeling_project(row, [3, 3])
        assert single.nodes == [
            Node(
                NodeRef("LabelingProject", "5"),
                {"name": "People", "template": "entities", "labelstudio_id": 12, "source_id": 3},
            )
        ]
        for sources in ([3, 4], [], [None]):
            assert shape.labeling_project(row, sources).nodes[0].properties["source_id"] == shape.SOURCELESS
        assert shape.labelled_in(5, [7]).edges == [
            Edge(NodeRef("Document", "7"), NodeRef("LabelingProject", "5"), "LABELLED_IN")
        ]


Graph = list[tuple[int, int]]
graphs = st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12)), max_size=40)


def _expander(edges: Graph, limit: int = 10_000) -> walks.Expand:
    def expand(refs: Sequence[NodeRef], rel_types: Sequence[str] | None) -> list[Hop]:
        hops = []
        for a, b in set(edges):
            edge = Edge(NodeRef("N", str(a)), NodeRef("N", str(b)), "R")
            if edge.source in refs:
                hops.append(Hop(edge, Node(edge.target)))
            if edge.target in refs:
                hops.append(Hop(edge, Node(edge.source)))
        hops.sort(key=lambda hop: (hop.other.ref, hop.edge.source, hop.edge.target))
        return hops[:limit]

    return expand


def _distances(edges: Graph, start: int) -> dict[int, int]:
    near: dict[int, set[int]] = {}
    for a, b in edges:
        near.setdefault(a, set()).add(b)
        near.setdefault(b, set()).add(a)
    seen, queue = {start: 0}, deque([start])
    while queue:
        here = queue.popleft()
        for there in near.get(here, ()):
            if there not in seen:
                seen[there] = seen[here] + 1
                queue.append(there)
    return seen


class TestWalks:
    @given(graphs, st.integers(1, 4))
    def test_a_neighbourhood_is_everything_within_depth_at_its_distance(
        self, edges: Graph, depth: int
    ) -> None:
        graph = walks.neighbourhood(Node(NodeRef("N", "0")), _expander(edges), depth, 10_000, 10_000)
        expected = {node: d for node, d in _distances(edges, 0).items() if d <= depth}
        assert {int(ref.key): level for ref, level in graph.depth_of.items()} == expected
        assert not graph.truncated
        assert all(e.source in graph.nodes and e.target in graph.nodes for e in graph.edges.values())

    @given(graphs, st.integers(1, 5))
    def test_a_neighbourhood_over_its_size_is_cut_and_says_so(self, edges: Graph, size: int) -> None:
        graph = walks.neighbourhood(Node(NodeRef("N", "0")), _expander(edges), 4, size, 10_000)
        reachable = len([d for d in _distances(edges, 0).values() if d <= 4])
        assert len(graph.nodes) == min(size, reachable)
        assert graph.truncated == (reachable > size)

    def test_a_cut_neighbourhood_keeps_the_rarer_kinds_of_a_level(self) -> None:
        """A rule's insight was never drawn: its documents, first in the store's order, filled the cut."""
        rule = NodeRef("Rule", "1")
        near = [NodeRef("Document", str(n)) for n in range(50)] + [NodeRef("Insight", "9")]
        entities = [NodeRef("Entity", name) for name in ("acme", "globex")]
        issues = [NodeRef("QualityIssue", str(n)) for n in range(20)]

        def expand(refs: Sequence[NodeRef], _types: Sequence[str] | None) -> list[Hop]:
            if rule in refs:
                return [Hop(Edge(rule, ref, "R"), Node(ref)) for ref in near]
            documents = [ref for ref in refs if ref.label == "Document"]
            # Every document mentions both entities (a hop each), and has an issue of its own.
            mentions = [Hop(Edge(d, e, "M"), Node(e)) for d in documents for e in entities]
            return mentions + [Hop(Edge(d, i, "H"), Node(i)) for d, i in zip(documents, issues, strict=False)]

        graph = walks.neighbourhood(Node(rule), expand, 2, 11, 10_000)
        assert list(graph.nodes) == [rule, NodeRef("Insight", "9"), *near[:9]]
        assert graph.truncated, "nearest first: the second level is cut"
        wider = walks.neighbourhood(Node(rule), expand, 2, 55, 10_000)
        second = [ref for ref, level in wider.depth_of.items() if level == 2]
        assert second == [*entities, issues[0]], "two entities (a hundred hops) before twenty issues"

    @given(graphs, st.integers(0, 12), st.integers(1, 90))
    def test_a_shortest_path_is_as_short_as_a_reference_bfs_finds_and_walks_real_edges(
        self, edges: Graph, goal: int, hop_limit: int
    ) -> None:
        """With any hop limit: a path as short as any, none where there is none, or a refusal."""
        distance = _distances(edges, 0).get(goal)
        try:
            found = walks.shortest_path(_n(0), _n(goal), _expander(edges, hop_limit), 12, 10_000, hop_limit)
        except walks.TooBigError:
            assert hop_limit <= 2 * len(set(edges)), "refused only where a level may have more hops than read"
            return
        if distance is None:
            assert found is None
            return
        assert found is not None and len(found) == distance
        here = NodeRef("N", "0")
        for hop in found:
            assert here in (hop.edge.source, hop.edge.target)
            assert hop.other == Node(hop.edge.target if here == hop.edge.source else hop.edge.source)
            here = hop.other.ref
        assert here == NodeRef("N", str(goal))

    def test_a_path_into_a_hub_is_walked_from_the_rarer_end(self) -> None:
        """An entity thousands of documents mention, reached from one a few mention: once refused."""
        star = [(0, n) for n in range(1, 13)]
        for start, goal, length in [(0, 7, 1), (7, 0, 1), (1, 2, 2)]:
            found = walks.shortest_path(_n(start), _n(goal), _expander(star, 5), 4, 100, 5)
            assert found is not None and len(found) == length, (start, goal)
            assert found[-1].other == _n(goal)

    def test_a_path_between_two_hubs_is_refused_not_walked(self) -> None:
        stars = [(0, n) for n in range(1, 13)] + [(100, n) for n in range(101, 113)] + [(1, 101)]
        try:
            walks.shortest_path(_n(0), _n(100), _expander(stars, 5), 4, 100, 5)
        except walks.TooBigError as exc:
            assert "more than 5 links" in str(exc)
        else:
            raise AssertionError("two hubs over the hop limit must be refused")

    def test_a_walk_within_its_depth_finds_nothing_farther(self) -> None:
        chain = [(n, n + 1) for n in range(6)]
        assert walks.shortest_path(_n(0), _n(6), _expander(chain), 5, 100, 10) is None
        found = walks.shortest_path(_n(0), _n(6), _expander(chain), 6, 100, 10)
        assert found is not None and [hop.other for hop in found] == [_n(n) for n in range(1, 7)]


def _n(number: int) -> Node:
    return Node(NodeRef("N", str(number)))


def test_the_backlog_keeps_its_order_and_hands_over_runs_of_one_kind_together() -> None:
    notes = [("document", 1), ("document", 2), ("rule", 4), ("document", 1), ("document", 3), ("rule", 4)]
    assert list(_in_order(notes)) == [("document", [1, 2]), ("rule", [4]), ("document", [3])]
