"""The graph in Neo4j: parameterised Cypher, `UNWIND` batches, managed transactions.

Writes run in `session.execute_write`, which the driver retries on transient
errors and lost connections (with backoff from 1 s, doubling, for at most
`max_transaction_retry_time`, 30 s by default); every write here is a `MERGE` on
a uniquely constrained (tenant_id, key), so a retried batch lands once. The reads
are in `neo4j_graph_reads`, the class this one extends.
Labels and relationship types cannot be parameters in Cypher: they are checked
identifiers (`check_name`) before they are spliced in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence, Set
from typing import Any

import neo4j

from superinsight.adapters.neo4j_graph_reads import Neo4jGraphReads, by_label, reachable
from superinsight.lineage.values import SOURCE_PROPERTY, Edge, Node, NodeRef, check_name, check_properties

BATCH = 5_000


def _chunks(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [rows[i : i + BATCH] for i in range(0, len(rows), BATCH)]


class Neo4jGraph(Neo4jGraphReads):
    backend = "neo4j"

    def __init__(self, driver: neo4j.Driver, database: str | None = None) -> None:
        super().__init__(driver, database)
        self._constrained: set[str] = set()

    def _write(self, statements: list[tuple[str, dict[str, Any]]]) -> None:
        """All statements in one managed transaction: retried whole, landed whole."""
        if not statements:
            return

        def work(tx: neo4j.ManagedTransaction) -> None:
            for query, parameters in statements:
                tx.run(query, parameters).consume()

        with reachable(), self._driver.session(database=self._database) as session:
            session.execute_write(work)

    def ensure_schema(self, labels: Sequence[str]) -> None:
        """Per label, a uniqueness constraint on (tenant_id, key) — MERGE's index, and its guard —
        and an index on (tenant_id, source_id), which deleting a source's nodes looks up."""
        missing = [check_name("label", label) for label in labels if label not in self._constrained]
        empty: dict[str, Any] = {}
        self._write(
            [
                statement
                for label in missing
                for statement in (
                    (
                        f"CREATE CONSTRAINT graph_{label.lower()}_key IF NOT EXISTS "
                        f"FOR (n:`{label}`) REQUIRE (n.tenant_id, n.key) IS UNIQUE",
                        empty,
                    ),
                    (
                        f"CREATE INDEX graph_{label.lower()}_source IF NOT EXISTS "
                        f"FOR (n:`{label}`) ON (n.tenant_id, n.`{SOURCE_PROPERTY}`)",
                        empty,
                    ),
                )
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
                for label, keys in by_label(refs).items()
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

        with reachable(), self._driver.session(database=self._database) as session:
            while session.execute_write(work):
                pass

    def keep_only(self, tenant_id: str, rel_type: str, kept: Mapping[NodeRef, Set[NodeRef]]) -> set[NodeRef]:
        kind = check_name("type", rel_type)
        removed: set[NodeRef] = set()
        for label, keys in by_label(list(kept)).items():
            rows = [
                {"key": key, "keep": [[r.label, r.key] for r in sorted(kept[NodeRef(label, key)])]}
                for key in keys
            ]

            def work(
                tx: neo4j.ManagedTransaction, chunk: list[dict[str, Any]], label: str = label
            ) -> list[Any]:
                return list(
                    tx.run(
                        f"UNWIND $rows AS row MATCH (a:`{label}` {{tenant_id: $tenant, key: row.key}})"
                        f"-[r:`{kind}`]->(b) WHERE NOT [labels(b)[0], b.key] IN row.keep "
                        "DELETE r RETURN DISTINCT labels(b)[0] AS label, b.key AS key",
                        rows=chunk,
                        tenant=tenant_id,
                    )
                )

            with reachable(), self._driver.session(database=self._database) as session:
                for chunk in _chunks(rows):
                    records = session.execute_write(work, chunk)
                    removed.update(NodeRef(record["label"], record["key"]) for record in records)
        return removed

    def _delete_until_none(self, query: str, **parameters: Any) -> None:
        """Run a `... WITH n LIMIT 10000 ... DELETE ... RETURN count(*) AS n` until it deletes nothing."""

        def work(tx: neo4j.ManagedTransaction) -> int:
            record = tx.run(query, parameters).single()
            return int(record["n"]) if record else 0

        with reachable(), self._driver.session(database=self._database) as session:
            while session.execute_write(work):
                pass

    def delete_sourced(self, tenant_id: str, source_id: int) -> None:
        # Label by label, so each lookup is a seek on that label's source index, not a scan
        # of every node in the database (Neo4j indexes belong to a label).
        with reachable(), self._driver.session(database=self._database) as session:
            labels = [
                str(record["label"]) for record in session.run("CALL db.labels() YIELD label RETURN label")
            ]
        for label in labels:
            self._delete_until_none(
                f"MATCH (n:`{check_name('label', label)}`) "
                f"WHERE n.tenant_id = $tenant AND n.`{SOURCE_PROPERTY}` = $source "
                "WITH n LIMIT 10000 DETACH DELETE n RETURN count(*) AS n",
                tenant=tenant_id,
                source=source_id,
            )

    def delete_orphans(self, tenant_id: str, label: str, keys: Sequence[str] | None) -> None:
        checked = check_name("label", label)
        if keys is None:
            self._delete_until_none(
                f"MATCH (n:`{checked}`) WHERE n.tenant_id = $tenant AND NOT (n)--() "
                "WITH n LIMIT 10000 DELETE n RETURN count(*) AS n",
                tenant=tenant_id,
            )
            return
        self._write(
            [
                (
                    f"UNWIND $keys AS key MATCH (n:`{checked}` {{tenant_id: $tenant, key: key}}) "
                    "WHERE NOT (n)--() DELETE n",
                    {"keys": chunk, "tenant": tenant_id},
                )
                for chunk in (list(keys)[i : i + BATCH] for i in range(0, len(keys), BATCH))
            ]
        )

    def clear(self, tenant_id: str) -> None:
        """The tenant's whole graph, ten thousand nodes per transaction."""
        self._delete_until_none(
            "MATCH (n) WHERE n.tenant_id = $tenant WITH n LIMIT 10000 DETACH DELETE n RETURN count(*) AS n",
            tenant=tenant_id,
        )
