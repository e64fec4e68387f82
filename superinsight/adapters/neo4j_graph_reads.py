"""Reads from the Neo4j graph, bounded and retried once: apart from the writes, which the driver retries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import neo4j

from superinsight.adapters.graph import GraphUnavailableError
from superinsight.lineage.values import Edge, Hop, Node, NodeRef, Scalar, check_depth, check_limit, check_name

# A read gives up after one retry, so a page asking a stopped server hears so in seconds.
READ_RETRY_SECONDS = 0.0
_VISIBLE = "($sources IS NULL OR {n}.source_id IS NULL OR {n}.source_id IN $sources)"


@contextmanager
def reachable() -> Iterator[None]:
    """A server that is down (or a connection lost past the driver's retries) says so in one way."""
    try:
        yield
    except (neo4j.exceptions.ServiceUnavailable, neo4j.exceptions.SessionExpired) as exc:
        raise GraphUnavailableError(f"Neo4j does not answer: {exc}") from exc


def by_label(refs: Sequence[NodeRef]) -> dict[str, list[str]]:
    keys: dict[str, list[str]] = defaultdict(list)
    for ref in refs:
        keys[check_name("label", ref.label)].append(ref.key)
    return keys


def _sources(sources: frozenset[int] | None) -> list[int] | None:
    return None if sources is None else sorted(sources)


def _node(label: str, key: str, properties: dict[str, Any]) -> Node:
    kept: dict[str, Scalar] = {k: v for k, v in properties.items() if k not in ("tenant_id", "key")}
    return Node(NodeRef(label, key), kept)


class Neo4jGraphReads:
    """What `Neo4jGraph` answers: one hop out, walks, counts and look-ups, each bounded by a limit."""

    def __init__(self, driver: neo4j.Driver, database: str | None = None) -> None:
        self._driver = driver
        self._database = database

    def _read(self, query: str, **parameters: Any) -> list[neo4j.Record]:
        def work(tx: neo4j.ManagedTransaction) -> list[neo4j.Record]:
            return list(tx.run(query, parameters))

        with (
            reachable(),
            self._driver.session(
                database=self._database,
                max_transaction_retry_time=READ_RETRY_SECONDS,
                # A relationship type not created yet is a warning per query otherwise: noise, not news.
                notifications_min_severity=neo4j.NotificationMinimumSeverity.OFF,
            ) as session,
        ):
            return session.execute_read(work)

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
        for label, keys in by_label(refs).items():
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
        for label, keys in by_label(refs).items():
            records = self._read(
                f"UNWIND $keys AS key MATCH (n:`{label}` {{tenant_id: $tenant, key: key}}) "
                "RETURN properties(n) AS n",
                keys=keys,
                tenant=tenant_id,
            )
            found += [_node(label, record["n"]["key"], record["n"]) for record in records]
        return sorted(found, key=lambda node: node.ref)

    def find(
        self, tenant_id: str, text: str, limit: int, labels: Sequence[str], last: Sequence[str] = ()
    ) -> list[Node]:
        records = self._read(
            "MATCH (n) WHERE n.tenant_id = $tenant AND labels(n)[0] IN $labels "
            "AND (toLower(n.name) CONTAINS $lowered OR n.key = $text) "
            "WITH n, labels(n)[0] AS label, CASE WHEN toLower(n.name) = $lowered THEN 0 "
            "WHEN toLower(n.name) STARTS WITH $lowered THEN 1 ELSE 2 END AS closeness "
            "RETURN label, properties(n) AS n, label IN $last AS later, closeness "
            "ORDER BY later, closeness, n.name, label, n.key LIMIT $limit",
            tenant=tenant_id,
            labels=[check_name("label", label) for label in labels],
            last=list(last),
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
        with reachable():
            self._driver.verify_connectivity()

    def version(self) -> str:
        """The server's agent string (`Neo4j/5.26.0`), for the health page."""
        with reachable():
            return str(self._driver.get_server_info().agent)
