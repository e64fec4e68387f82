"""The graph in Neo4j: parameterised Cypher, `UNWIND` batches, managed transactions.

Writes run in `session.execute_write`, which the driver retries on transient
errors and lost connections (with backoff from 1 s, doubling, for at most
`max_transaction_retry_time`, 30 s by default); every write here is a `MERGE` on
a uniquely constrained (tenant_id, key), so a retried batch lands once. Reads give
up after one retry, so a page asking a stopped server hears so in seconds.
Labels and relationship types cannot be parameters in Cypher: they are checked
identifiers (`check_name`) before they are spliced in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import neo4j

from superinsight.adapters.graph import GraphUnavailableError
from superinsight.lineage.values import (
    Edge,
    Hop,
    Node,
    NodeRef,
    Scalar,
    check_depth,
    check_limit,
    check_name,
    check_properties,
)

BATCH = 5_000
READ_RETRY_SECONDS = 0.0
_VISIBLE = "($sources IS NULL OR {n}.source_id IS NULL OR {n}.source_id IN $sources)"


@contextmanager
def _reachable() -> Iterator[None]:
    """A server that is down (or a connection lost past the driver's retries) says so in one way."""
    try:
        yield
    except (neo4j.exceptions.ServiceUnavailable, neo4j.exceptions.SessionExpired) as exc:
        raise GraphUnavailableError(f"Neo4j does not answer: {exc}") from exc


def _by_label(refs: Sequence[NodeRef]) -> dict[str, list[str]]:
    keys: dict[str, list[str]] = defaultdict(list)
    for ref in refs:
        keys[check_name("label", ref.label)].append(ref.key)
    return keys


def _chunks(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [rows[i : i + BATCH] for i in range(0, len(rows), BATCH)]


def _sources(sources: frozenset[int] | None) -> list[int] | None:
    return None if sources is None else sorted(sources)


def _node(label: str, key: str, properties: dict[str, Any]) -> Node:
    kept: dict[str, Scalar] = {k: v for k, v in properties.items() if k not in ("tenant_id", "key")}
    return Node(NodeRef(label, key), kept)


class Neo4jGraph:
    backend = "neo4j"

    def __init__(self, driver: neo4j.Driver, database: str | None = None) -> None:
        self._driver = driver
        self._database = database
        self._constrained: set[str] = set()

    def _write(self, statements: list[tuple[str, dict[str, Any]]]) -> None:
        """All statements in one managed transaction: retried whole, landed whole."""
        if not statements:
            return

        def work(tx: neo4j.ManagedTransaction) -> None:
            for query, parameters in statements:
                tx.run(query, parameters).consume()

        with _reachable(), self._driver.session(database=self._database) as session:
            session.execute_write(work)

    def _read(self, query: str, **parameters: Any) -> list[neo4j.Record]:
        def work(tx: neo4j.ManagedTransaction) -> list[neo4j.Record]:
            return list(tx.run(query, parameters))

        with (
            _reachable(),
            self._driver.session(
                database=self._database,
                max_transaction_retry_time=READ_RETRY_SECONDS,
                # A relationship type not created yet is a warning per query otherwise: noise, not news.
                notifications_min_severity=neo4j.NotificationMinimumSeverity.OFF,
            ) as session,
        ):
            return session.execute_read(work)

    def ensure_schema(self, labels: Sequence[str]) -> None:
        """One uniqueness constraint per label on (tenant_id, key): MERGE's index, and its guard."""
        missing = [check_name("label", label) for label in labels if label not in self._constrained]
        self._write(
            [
                (
                    f"CREATE CONSTRAINT graph_{label.lower()}_key IF NOT EXISTS "
                    f"FOR (n:`{label}`) REQUIRE (n.tenant_id, n.key) IS UNIQUE",
                    {},
                )
                for label in missing
            ]
        )
        self._constrained.update(missing)

    def merge_nodes(self, tenant_id: str, nodes: Sequence[Node]) -> None:
        by_key: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)  # a node named twice: merged once
        for node in nodes:
            by_key[check_name("label", node.ref.label)][node.ref.key] = {
                "key": node.ref.key,
                "properties": check_properties(node.properties),
            }
        by_label = {label: list(rows.values()) for label, rows in by_key.items()}
        self.ensure_schema(list(by_label))
        self._write(
            [
                (
                    f"UNWIND $rows AS row MERGE (n:`{label}` {{tenant_id: $tenant, key: row.key}}) "
                    "SET n += row.properties",
                    {"rows": chunk, "tenant": tenant_id},
                )
                for label, rows in by_label.items()
                for chunk in _chunks(rows)
            ]
        )

    def merge_edges(self, tenant_id: str, edges: Sequence[Edge]) -> None:
        # Edges without properties get a statement without SET: with one, Cypher plans an Eager step
        # (every row of the batch read and held before any is written). Repeats are sent once.
        unique: dict[tuple[str, str, str, bool], dict[tuple[str, str], dict[str, Any]]] = defaultdict(dict)
        for edge in edges:
            shape = (
                check_name("label", edge.source.label),
                check_name("relationship type", edge.rel_type),
                check_name("label", edge.target.label),
                bool(check_properties(edge.properties)),
            )
            unique[shape][(edge.source.key, edge.target.key)] = {
                "source": edge.source.key,
                "target": edge.target.key,
                "properties": edge.properties,
            }
        groups = {shape: list(rows.values()) for shape, rows in unique.items()}
        self.ensure_schema(sorted({label for shape in groups for label in (shape[0], shape[2])}))
        self._write(
            [
                (
                    f"UNWIND $rows AS row "
                    f"MERGE (a:`{source_label}` {{tenant_id: $tenant, key: row.source}}) "
                    f"MERGE (b:`{target_label}` {{tenant_id: $tenant, key: row.target}}) "
                    f"MERGE (a)-[r:`{rel_type}`]->(b)"
                    + (" SET r += row.properties" if with_properties else ""),
                    {"rows": chunk, "tenant": tenant_id},
                )
                for (source_label, rel_type, target_label, with_properties), rows in groups.items()
                for chunk in _chunks(rows)
            ]
        )

    def delete_nodes(self, tenant_id: str, refs: Sequence[NodeRef]) -> None:
        self._write(
            [
                (
                    f"UNWIND $keys AS key MATCH (n:`{label}` {{tenant_id: $tenant, key: key}}) "
                    "DETACH DELETE n",
                    {"keys": keys, "tenant": tenant_id},
                )
                for label, keys in _by_label(refs).items()
            ]
        )

    def prune_edges(self, tenant_id: str, source: NodeRef, rel_type: str, keep: tuple[str, int]) -> None:
        label, kind, name = (
            check_name("label", source.label),
            check_name("type", rel_type),
            check_name("key", keep[0]),
        )

        def work(tx: neo4j.ManagedTransaction) -> int:
            record = tx.run(
                f"MATCH (:`{label}` {{tenant_id: $tenant, key: $key}})-[r:`{kind}`]->() "
                f"WHERE r.`{name}` IS NULL OR r.`{name}` <> $value WITH r LIMIT 10000 "
                "DELETE r RETURN count(*) AS n",
                tenant=tenant_id,
                key=source.key,
                value=keep[1],
            ).single()
            return int(record["n"]) if record else 0

        with _reachable(), self._driver.session(database=self._database) as session:
            while session.execute_write(work):
                pass

    def clear(self, tenant_id: str) -> None:
        """The tenant's whole graph, ten thousand nodes per transaction."""

        def work(tx: neo4j.ManagedTransaction) -> int:
            record = tx.run(
                "MATCH (n) WHERE n.tenant_id = $tenant WITH n LIMIT 10000 "
                "DETACH DELETE n RETURN count(*) AS n",
                tenant=tenant_id,
            ).single()
            return int(record["n"]) if record else 0

        with _reachable(), self._driver.session(database=self._database) as session:
            while session.execute_write(work):
                pass

    def downstream(self, tenant_id: str, start: NodeRef, depth: int = 3) -> set[NodeRef]:
        label = check_name("label", start.label)
        records = self._read(
            f"MATCH (a:`{label}` {{tenant_id: $tenant, key: $key}})-[*1..{check_depth(depth)}]->(b) "
            "WHERE b.tenant_id = $tenant RETURN DISTINCT labels(b)[0] AS label, b.key AS key",
            tenant=tenant_id,
            key=start.key,
        )
        return {NodeRef(record["label"], record["key"]) for record in records}

    def expand(
        self,
        tenant_id: str,
        refs: Sequence[NodeRef],
        rel_types: Sequence[str] | None,
        sources: frozenset[int] | None,
        limit: int,
    ) -> list[Hop]:
        # Types in the pattern, not a WHERE: Neo4j then follows only those relationships of a hub.
        types = "" if rel_types is None else ":" + "|".join(f"`{check_name('type', t)}`" for t in rel_types)
        hops: list[Hop] = []
        for label, keys in _by_label(refs).items():
            records = self._read(
                f"UNWIND $keys AS key MATCH (a:`{label}` {{tenant_id: $tenant, key: key}})-[r{types}]-(b) "
                f"WHERE b.tenant_id = $tenant AND {_VISIBLE.format(n='b')} "
                "RETURN a.key AS key, startNode(r) = a AS outgoing, type(r) AS type, "
                "properties(r) AS rel, labels(b)[0] AS label, properties(b) AS other "
                "ORDER BY label, other.key, type LIMIT $limit",
                keys=keys,
                tenant=tenant_id,
                sources=_sources(sources),
                limit=check_limit(limit),
            )
            for record in records:
                here = NodeRef(label, record["key"])
                other = _node(record["label"], record["other"]["key"], record["other"])
                source, target = (here, other.ref) if record["outgoing"] else (other.ref, here)
                hops.append(Hop(Edge(source, target, record["type"], dict(record["rel"])), other))
        hops.sort(key=lambda hop: (hop.other.ref, hop.edge.rel_type, hop.edge.source, hop.edge.target))
        return hops[:limit]

    def nodes(self, tenant_id: str, refs: Sequence[NodeRef]) -> list[Node]:
        found: list[Node] = []
        for label, keys in _by_label(refs).items():
            records = self._read(
                f"UNWIND $keys AS key MATCH (n:`{label}` {{tenant_id: $tenant, key: key}}) "
                "RETURN properties(n) AS n",
                keys=keys,
                tenant=tenant_id,
            )
            found += [_node(label, record["n"]["key"], record["n"]) for record in records]
        return sorted(found, key=lambda node: node.ref)

    def find(self, tenant_id: str, text: str, limit: int) -> list[Node]:
        records = self._read(
            "MATCH (n) WHERE n.tenant_id = $tenant AND (toLower(n.name) CONTAINS $lowered OR n.key = $text) "
            "RETURN labels(n)[0] AS label, properties(n) AS n ORDER BY n.name, label, n.key LIMIT $limit",
            tenant=tenant_id,
            lowered=text.lower(),
            text=text,
            limit=check_limit(limit),
        )
        return [_node(record["label"], record["n"]["key"], record["n"]) for record in records]

    def reach_counts(
        self, tenant_id: str, start: NodeRef, depth: int, sources: frozenset[int] | None
    ) -> dict[str, int]:
        label = check_name("label", start.label)
        records = self._read(
            f"MATCH (a:`{label}` {{tenant_id: $tenant, key: $key}}) "
            f"MATCH p = (a)-[*1..{check_depth(depth)}]->(b) "
            f"WHERE all(n IN nodes(p)[1..] WHERE n.tenant_id = $tenant AND {_VISIBLE.format(n='n')}) "
            "RETURN labels(b)[0] AS label, count(DISTINCT b) AS n",
            tenant=tenant_id,
            key=start.key,
            sources=_sources(sources),
        )
        return {record["label"]: int(record["n"]) for record in records}

    def co_occurring(
        self, tenant_id: str, entity: NodeRef, sources: frozenset[int] | None, limit: int
    ) -> list[tuple[Node, int]]:
        label = check_name("label", entity.label)
        records = self._read(
            f"MATCH (e:`{label}` {{tenant_id: $tenant, key: $key}})<-[:MENTIONS]-(d)-[:MENTIONS]->(o) "
            f"WHERE o <> e AND d.tenant_id = $tenant AND o.tenant_id = $tenant AND {_VISIBLE.format(n='d')} "
            "RETURN labels(o)[0] AS label, properties(o) AS o, count(DISTINCT d) AS n "
            "ORDER BY n DESC, o.key LIMIT $limit",
            tenant=tenant_id,
            key=entity.key,
            sources=_sources(sources),
            limit=check_limit(limit),
        )
        return [
            (_node(record["label"], record["o"]["key"], record["o"]), int(record["n"])) for record in records
        ]

    def size(self, tenant_id: str) -> tuple[int, int]:
        """How many nodes and relationships the tenant's graph holds."""
        nodes = self._read("MATCH (n) WHERE n.tenant_id = $tenant RETURN count(n) AS n", tenant=tenant_id)
        edges = self._read(
            "MATCH (n)-[r]->() WHERE n.tenant_id = $tenant RETURN count(r) AS n", tenant=tenant_id
        )
        return int(nodes[0]["n"]), int(edges[0]["n"])

    def ping(self) -> None:
        with _reachable():
            self._driver.verify_connectivity()

    def version(self) -> str:
        """The server's agent string (`Neo4j/5.26.0`), for the health page."""
        with _reachable():
            return str(self._driver.get_server_info().agent)
