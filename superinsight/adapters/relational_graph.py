"""The graph in `graph_nodes`/`graph_edges`: the embedded stand-in for Neo4j.

Merges are one `INSERT ... ON CONFLICT` per batch on either store; walks are
recursive CTEs; each read answers what the Neo4j adapter's Cypher answers, in the
same order, so the graph services behave alike on both. The reads are in
`relational_graph_reads`, the class this one extends.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, or_, select
from sqlalchemy.orm import Session, aliased

from superinsight.adapters.relational_graph_reads import RelationalGraphReads, among
from superinsight.db import dialect
from superinsight.db.models import GraphEdge, GraphNode
from superinsight.lineage.values import SOURCE_PROPERTY, Edge, Node, NodeRef, check_name, check_properties

_KEYS = ["tenant_id", "label", "key"]
_CHUNK = 500  # keys per IN list: well inside SQLite's and PostgreSQL's bound-parameter limits


def _untouched(node_id: Any) -> ColumnElement[bool]:
    """No edge starts or ends at the node."""
    return ~exists().where(GraphEdge.source_node_id == node_id) & ~exists().where(
        GraphEdge.target_node_id == node_id
    )


def _upsert(
    session: Session,
    model: type[GraphNode] | type[GraphEdge],
    rows: list[dict[str, Any]],
    keys: list[str],
    *,
    update_properties: bool,
) -> None:
    """Insert-or-update in one statement on either store (both speak ON CONFLICT)."""
    statement = dialect.insert(session, model).values(rows)
    if update_properties:
        session.execute(
            statement.on_conflict_do_update(
                index_elements=keys, set_={"properties": statement.excluded.properties}
            )
        )
    else:
        session.execute(statement.on_conflict_do_nothing(index_elements=keys))


class RelationalGraph(RelationalGraphReads):
    """The graph in `graph_nodes`/`graph_edges`, walked with a recursive CTE."""

    backend = "relational"

    def ensure_schema(self, labels: Sequence[str]) -> None:
        """The tables' unique constraints are the schema; labels are only checked."""
        for label in labels:
            check_name("label", label)

    def merge_nodes(self, tenant_id: str, nodes: Sequence[Node]) -> None:
        rows = {
            (check_name("label", n.ref.label), n.ref.key): {
                "tenant_id": tenant_id,
                "label": n.ref.label,
                "key": n.ref.key,
                "properties": check_properties(n.properties),
            }
            for n in nodes
        }
        if not rows:
            return
        with self._session_factory.begin() as session:
            _upsert(session, GraphNode, list(rows.values()), _KEYS, update_properties=True)

    def merge_edges(self, tenant_id: str, edges: Sequence[Edge]) -> None:
        if not edges:
            return
        for edge in edges:
            check_name("relationship type", edge.rel_type)
            check_properties(edge.properties)
        refs = {e.source for e in edges} | {e.target for e in edges}
        endpoints = [
            {"tenant_id": tenant_id, "label": check_name("label", r.label), "key": r.key, "properties": {}}
            for r in refs
        ]
        with self._session_factory.begin() as session:
            _upsert(session, GraphNode, endpoints, _KEYS, update_properties=False)
            ids = self._node_ids(session, tenant_id, refs)
            rows = {
                (ids[e.source], ids[e.target], e.rel_type): {
                    "tenant_id": tenant_id,
                    "source_node_id": ids[e.source],
                    "target_node_id": ids[e.target],
                    "rel_type": e.rel_type,
                    "properties": e.properties,
                }
                for e in edges
            }
            _upsert(
                session,
                GraphEdge,
                list(rows.values()),
                ["source_node_id", "target_node_id", "rel_type"],
                update_properties=True,
            )

    def delete_nodes(self, tenant_id: str, refs: Sequence[NodeRef]) -> None:
        if not refs:
            return
        with self._session_factory.begin() as session:
            ids = select(GraphNode.id).where(GraphNode.tenant_id == tenant_id, among(GraphNode, refs))
            session.execute(
                delete(GraphEdge).where(
                    or_(GraphEdge.source_node_id.in_(ids), GraphEdge.target_node_id.in_(ids))
                )
            )
            session.execute(delete(GraphNode).where(GraphNode.tenant_id == tenant_id, among(GraphNode, refs)))

    def prune_edges(self, tenant_id: str, source: NodeRef, rel_type: str, keep: tuple[str, int]) -> None:
        kept = GraphEdge.properties[check_name("key", keep[0])].as_integer()
        with self._session_factory.begin() as session:
            source_id = self._node_ids(session, tenant_id, {source}).get(source)
            session.execute(
                delete(GraphEdge).where(
                    GraphEdge.source_node_id == source_id,
                    GraphEdge.rel_type == check_name("type", rel_type),
                    or_(kept.is_(None), kept != keep[1]),
                )
            )

    def keep_only(self, tenant_id: str, rel_type: str, kept: Mapping[NodeRef, Set[NodeRef]]) -> set[NodeRef]:
        kind = check_name("type", rel_type)
        target = aliased(GraphNode)
        removed: set[NodeRef] = set()
        refs = list(kept)
        with self._session_factory.begin() as session:
            for start in range(0, len(refs), _CHUNK):
                ids = self._node_ids(session, tenant_id, set(refs[start : start + _CHUNK]))
                by_id = {node_id: ref for ref, node_id in ids.items()}
                rows = session.execute(
                    select(GraphEdge.id, GraphEdge.source_node_id, target.label, target.key)
                    .join(target, target.id == GraphEdge.target_node_id)
                    .where(GraphEdge.source_node_id.in_(list(by_id)), GraphEdge.rel_type == kind)
                ).all()
                gone = [
                    (edge_id, NodeRef(label, key))
                    for edge_id, source_id, label, key in rows
                    if NodeRef(label, key) not in kept[by_id[source_id]]
                ]
                for first in range(0, len(gone), _CHUNK):
                    chunk = [edge_id for edge_id, _ in gone[first : first + _CHUNK]]
                    session.execute(delete(GraphEdge).where(GraphEdge.id.in_(chunk)))
                removed.update(ref for _, ref in gone)
        return removed

    def delete_sourced(self, tenant_id: str, source_id: int) -> None:
        owned = select(GraphNode.id).where(
            GraphNode.tenant_id == tenant_id, GraphNode.properties[SOURCE_PROPERTY].as_integer() == source_id
        )
        with self._session_factory.begin() as session:
            session.execute(
                delete(GraphEdge).where(
                    or_(GraphEdge.source_node_id.in_(owned), GraphEdge.target_node_id.in_(owned))
                )
            )
            session.execute(delete(GraphNode).where(GraphNode.id.in_(owned)))

    def delete_orphans(self, tenant_id: str, label: str, keys: Sequence[str] | None) -> None:
        base = [GraphNode.tenant_id == tenant_id, GraphNode.label == check_name("label", label)]
        chunks = [None] if keys is None else [keys[i : i + _CHUNK] for i in range(0, len(keys), _CHUNK)]
        with self._session_factory.begin() as session:
            for chunk in chunks:
                among_keys = [] if chunk is None else [GraphNode.key.in_(list(chunk))]
                session.execute(
                    delete(GraphNode)
                    .where(*base, *among_keys, _untouched(GraphNode.id))
                    .execution_options(synchronize_session=False)
                )

    def clear(self, tenant_id: str) -> None:
        with self._session_factory.begin() as session:
            session.execute(delete(GraphEdge).where(GraphEdge.tenant_id == tenant_id))
            session.execute(delete(GraphNode).where(GraphNode.tenant_id == tenant_id))
