"""Reads from the graph tables, bounded, in Neo4j's order: apart from the writes, which upsert in batches."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select, true
from sqlalchemy.orm import Session, aliased, sessionmaker

from superinsight.db.models import GraphEdge, GraphNode
from superinsight.lineage.values import (
    SOURCE_PROPERTY,
    Edge,
    Hop,
    Node,
    NodeRef,
    check_depth,
    check_limit,
    check_name,
)


def _visible(node: Any, sources: frozenset[int] | None) -> ColumnElement[bool]:
    if sources is None:
        return true()
    source_id = node.properties[SOURCE_PROPERTY].as_integer()
    return or_(source_id.is_(None), source_id.in_(sorted(sources)))


def among(node: Any, refs: Sequence[NodeRef]) -> ColumnElement[bool]:
    by_label: dict[str, list[str]] = {}
    for ref in refs:
        by_label.setdefault(check_name("label", ref.label), []).append(ref.key)
    return or_(*(and_(node.label == label, node.key.in_(keys)) for label, keys in by_label.items()))


def _node(label: str, key: str, properties: dict[str, Any]) -> Node:
    return Node(NodeRef(label, key), dict(properties))


class RelationalGraphReads:
    """What `RelationalGraph` answers: one hop out, walks (a recursive CTE), counts and look-ups."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory

    def downstream(self, tenant_id: str, start: NodeRef, depth: int = 3) -> set[NodeRef]:
        check_depth(depth)
        with self._session_factory() as session:
            reached = self._reached(session, tenant_id, start, depth, None)
            if reached is None:
                return set()
            rows = session.execute(select(GraphNode.label, GraphNode.key).where(GraphNode.id.in_(reached)))
            return {NodeRef(label, key) for label, key in rows}

    def expand(
        self,
        tenant_id: str,
        refs: Sequence[NodeRef],
        rel_types: Sequence[str] | None,
        sources: frozenset[int] | None,
        limit: int,
    ) -> list[Hop]:
        if not refs:
            return []
        check_limit(limit)
        types = (
            true()
            if rel_types is None
            else GraphEdge.rel_type.in_([check_name("type", t) for t in rel_types])
        )
        here, other = aliased(GraphNode), aliased(GraphNode)
        hops: list[Hop] = []
        with self._session_factory() as session:
            for outgoing in (True, False):
                near, far = (
                    (GraphEdge.source_node_id, GraphEdge.target_node_id)
                    if outgoing
                    else (GraphEdge.target_node_id, GraphEdge.source_node_id)
                )
                rows = session.execute(
                    select(here.label, here.key, GraphEdge.rel_type, GraphEdge.properties, other)
                    .join(here, here.id == near)
                    .join(other, other.id == far)
                    .where(here.tenant_id == tenant_id, among(here, refs), types, _visible(other, sources))
                    .order_by(other.label, other.key, GraphEdge.rel_type)
                    .limit(limit)
                )
                for label, key, rel_type, properties, node in rows:
                    near_ref, far_node = NodeRef(label, key), _node(node.label, node.key, node.properties)
                    source, target = (near_ref, far_node.ref) if outgoing else (far_node.ref, near_ref)
                    hops.append(Hop(Edge(source, target, rel_type, dict(properties)), far_node))
        hops.sort(key=lambda hop: (hop.other.ref, hop.edge.rel_type, hop.edge.source, hop.edge.target))
        return hops[:limit]

    def nodes(self, tenant_id: str, refs: Sequence[NodeRef]) -> list[Node]:
        if not refs:
            return []
        with self._session_factory() as session:
            found = session.scalars(
                select(GraphNode).where(GraphNode.tenant_id == tenant_id, among(GraphNode, refs))
            ).all()
            return sorted((_node(n.label, n.key, n.properties) for n in found), key=lambda node: node.ref)

    def find(
        self, tenant_id: str, text: str, limit: int, labels: Sequence[str], last: Sequence[str] = ()
    ) -> list[Node]:
        name = GraphNode.properties["name"].as_string()
        lowered = func.lower(name)
        closeness = case(
            (lowered == text.lower(), 0), (lowered.startswith(text.lower(), autoescape=True), 1), else_=2
        )
        with self._session_factory() as session:
            found = session.scalars(
                select(GraphNode)
                .where(
                    GraphNode.tenant_id == tenant_id,
                    GraphNode.label.in_([check_name("label", label) for label in labels]),
                    or_(lowered.contains(text.lower(), autoescape=True), GraphNode.key == text),
                )
                .order_by(GraphNode.label.in_(list(last)), closeness, name, GraphNode.label, GraphNode.key)
                .limit(check_limit(limit))
            ).all()
            return [_node(n.label, n.key, n.properties) for n in found]

    def reach_counts(
        self, tenant_id: str, start: NodeRef, depth: int, sources: frozenset[int] | None
    ) -> dict[str, int]:
        check_depth(depth)
        with self._session_factory() as session:
            reached = self._reached(session, tenant_id, start, depth, sources)
            if reached is None:
                return {}
            rows = session.execute(
                select(GraphNode.label, func.count(GraphNode.id))
                .where(GraphNode.id.in_(reached))
                .group_by(GraphNode.label)
            )
            return {label: int(n) for label, n in rows}

    def _reached(
        self, session: Session, tenant_id: str, start: NodeRef, depth: int, sources: frozenset[int] | None
    ) -> Any | None:
        """The ids of nodes reached along outgoing edges within `depth`, through visible nodes only."""
        start_id = self._node_ids(session, tenant_id, {start}).get(start)
        if start_id is None:
            return None
        first = aliased(GraphNode)
        seed = (
            select(GraphEdge.target_node_id.label("node_id"), literal(1).label("depth"))
            .join(first, first.id == GraphEdge.target_node_id)
            .where(
                GraphEdge.source_node_id == start_id, first.tenant_id == tenant_id, _visible(first, sources)
            )
        )
        reach = seed.cte("reach", recursive=True)
        step, node = aliased(GraphEdge), aliased(GraphNode)
        reach = reach.union(
            select(step.target_node_id, reach.c.depth + 1)
            .join(reach, step.source_node_id == reach.c.node_id)
            .join(node, node.id == step.target_node_id)
            .where(reach.c.depth < depth, _visible(node, sources))
        )
        return select(reach.c.node_id)

    def co_occurring(
        self, tenant_id: str, entity: NodeRef, sources: frozenset[int] | None, limit: int
    ) -> list[tuple[Node, int]]:
        mention, other_mention = aliased(GraphEdge), aliased(GraphEdge)
        document, other = aliased(GraphNode), aliased(GraphNode)
        with self._session_factory() as session:
            entity_id = self._node_ids(session, tenant_id, {entity}).get(entity)
            if entity_id is None:
                return []
            shared = func.count(func.distinct(document.id))
            rows = session.execute(
                select(other.id, shared)
                .select_from(mention)
                .join(document, document.id == mention.source_node_id)
                .join(other_mention, other_mention.source_node_id == document.id)
                .join(other, other.id == other_mention.target_node_id)
                .where(
                    mention.target_node_id == entity_id,
                    mention.rel_type == "MENTIONS",
                    other_mention.rel_type == "MENTIONS",
                    other.id != entity_id,
                    _visible(document, sources),
                )
                .group_by(other.id)
                .order_by(shared.desc(), other.id)
            ).all()
            found = {
                n.id: n
                for n in session.scalars(select(GraphNode).where(GraphNode.id.in_([r[0] for r in rows])))
            }
            ranked = sorted(rows, key=lambda row: (-row[1], found[row[0]].key))[: check_limit(limit)]
            return [(_node(found[i].label, found[i].key, found[i].properties), int(n)) for i, n in ranked]

    def size(self, tenant_id: str) -> tuple[int, int]:
        """How many nodes and edges the tenant's graph holds."""
        with self._session_factory() as session:
            nodes = session.scalar(select(func.count()).where(GraphNode.tenant_id == tenant_id))
            edges = session.scalar(select(func.count()).where(GraphEdge.tenant_id == tenant_id))
            return int(nodes or 0), int(edges or 0)

    def ping(self) -> None:
        with self._session_factory() as session:
            session.execute(select(GraphNode.id).limit(1))

    def version(self) -> str:
        """No server of its own: the tables live in the relational store."""
        return "graph tables"

    @staticmethod
    def _node_ids(session: Session, tenant_id: str, refs: set[NodeRef]) -> dict[NodeRef, int]:
        found: dict[NodeRef, int] = {}
        for label in {ref.label for ref in refs}:
            keys = [ref.key for ref in refs if ref.label == label]
            rows = session.execute(
                select(GraphNode.key, GraphNode.id).where(
                    GraphNode.tenant_id == tenant_id, GraphNode.label == label, GraphNode.key.in_(keys)
                )
            )
            found.update({NodeRef(label, key): node_id for key, node_id in rows})
        return found
