"""The lineage and entity graph: Neo4j over Bolt in production, relational tables by default.

Both stores take nodes and edges in batches (one `UNWIND` per batch on Neo4j,
as its ingestion guide advises) and answer the one question the workbench asks of
lineage: what lies downstream of this node.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import neo4j
from sqlalchemy import literal, select
from sqlalchemy.orm import Session, aliased, sessionmaker

from superinsight.db import dialect
from superinsight.db.models import GraphEdge, GraphNode

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
MAX_DEPTH = 10
Scalar = str | int | float | bool | None


class GraphInputError(ValueError):
    """A label, relationship type, depth or property the graph refuses to store."""


@dataclass(frozen=True)
class NodeRef:
    label: str
    key: str


@dataclass(frozen=True)
class Node:
    ref: NodeRef
    properties: dict[str, Scalar] = field(default_factory=dict)


@dataclass(frozen=True)
class Edge:
    source: NodeRef
    target: NodeRef
    rel_type: str
    properties: dict[str, Scalar] = field(default_factory=dict)


def check_name(kind: str, name: str) -> str:
    """Labels and types are spliced into Cypher, so only plain identifiers get through."""
    if not _NAME.match(name):
        raise GraphInputError(f"{kind} {name!r} must be a letter followed by letters, digits or _")
    return name


def check_properties(properties: dict[str, Scalar]) -> dict[str, Scalar]:
    for key, value in properties.items():
        check_name("property", key)
        if not isinstance(value, str | int | float | bool | type(None)):
            raise GraphInputError(f"property {key!r} must be a string, number or boolean")
    return properties


def check_depth(depth: int) -> int:
    if not 1 <= depth <= MAX_DEPTH:
        raise GraphInputError(f"depth must be between 1 and {MAX_DEPTH}, got {depth}")
    return depth


class GraphStore(Protocol):
    backend: str

    def merge_nodes(self, tenant_id: str, nodes: Sequence[Node]) -> None: ...

    def merge_edges(self, tenant_id: str, edges: Sequence[Edge]) -> None: ...

    def downstream(self, tenant_id: str, start: NodeRef, depth: int = 3) -> set[NodeRef]: ...

    def ping(self) -> None: ...


class Neo4jGraph:
    backend = "neo4j"

    def __init__(self, driver: neo4j.Driver, database: str | None = None) -> None:
        self._driver = driver
        self._database = database

    def merge_nodes(self, tenant_id: str, nodes: Sequence[Node]) -> None:
        by_label: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for node in nodes:
            by_label[check_name("label", node.ref.label)].append(
                {"key": node.ref.key, "properties": check_properties(node.properties)}
            )
        for label, rows in by_label.items():
            self._driver.execute_query(
                f"UNWIND $rows AS row MERGE (n:`{label}` {{tenant_id: $tenant, key: row.key}}) "
                "SET n += row.properties",
                rows=rows,
                tenant=tenant_id,
                database_=self._database,
            )

    def merge_edges(self, tenant_id: str, edges: Sequence[Edge]) -> None:
        groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
        for edge in edges:
            shape = (
                check_name("label", edge.source.label),
                check_name("relationship type", edge.rel_type),
                check_name("label", edge.target.label),
            )
            groups[shape].append(
                {
                    "source": edge.source.key,
                    "target": edge.target.key,
                    "properties": check_properties(edge.properties),
                }
            )
        for (source_label, rel_type, target_label), rows in groups.items():
            self._driver.execute_query(
                f"UNWIND $rows AS row "
                f"MERGE (a:`{source_label}` {{tenant_id: $tenant, key: row.source}}) "
                f"MERGE (b:`{target_label}` {{tenant_id: $tenant, key: row.target}}) "
                f"MERGE (a)-[r:`{rel_type}`]->(b) SET r += row.properties",
                rows=rows,
                tenant=tenant_id,
                database_=self._database,
            )

    def downstream(self, tenant_id: str, start: NodeRef, depth: int = 3) -> set[NodeRef]:
        label = check_name("label", start.label)
        records, _, _ = self._driver.execute_query(
            f"MATCH (a:`{label}` {{tenant_id: $tenant, key: $key}})-[*1..{check_depth(depth)}]->(b) "
            "WHERE b.tenant_id = $tenant RETURN DISTINCT labels(b)[0] AS label, b.key AS key",
            tenant=tenant_id,
            key=start.key,
            database_=self._database,
        )
        return {NodeRef(record["label"], record["key"]) for record in records}

    def ping(self) -> None:
        self._driver.verify_connectivity()


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


class RelationalGraph:
    """The graph in `graph_nodes`/`graph_edges`, walked with a recursive CTE."""

    backend = "relational"

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory

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
            _upsert(
                session, GraphNode, list(rows.values()), ["tenant_id", "label", "key"], update_properties=True
            )

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
            _upsert(session, GraphNode, endpoints, ["tenant_id", "label", "key"], update_properties=False)
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

    def downstream(self, tenant_id: str, start: NodeRef, depth: int = 3) -> set[NodeRef]:
        check_depth(depth)
        with self._session_factory() as session:
            start_id = self._node_ids(session, tenant_id, {start}).get(start)
            if start_id is None:
                return set()
            seed = select(GraphEdge.target_node_id.label("node_id"), literal(1).label("depth")).where(
                GraphEdge.source_node_id == start_id
            )
            reach = seed.cte("reach", recursive=True)
            step = aliased(GraphEdge)
            reach = reach.union(
                select(step.target_node_id, reach.c.depth + 1)
                .join(reach, step.source_node_id == reach.c.node_id)
                .where(reach.c.depth < depth)
            )
            rows = session.execute(
                select(GraphNode.label, GraphNode.key).where(
                    GraphNode.id.in_(select(reach.c.node_id)),
                    GraphNode.tenant_id == tenant_id,
                )
            )
            return {NodeRef(label, key) for label, key in rows}

    def ping(self) -> None:
        with self._session_factory() as session:
            session.execute(select(GraphNode.id).limit(1))

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
