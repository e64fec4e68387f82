"""How fast the workbench projects into Neo4j, batched against one statement per relationship; lineage.

    .venv/bin/python -m bench.graph [--scale 0.02]

At `--scale 1` it projects 100,000 documents with 1,000,000 relationships (each
document: produced by a job, matched by a rule, mentioning eight entities); the
default scale is a fiftieth of that, to finish in a few minutes on a small machine.
Targets (issue 15): batched UNWIND relationships/s over one statement per
relationship > 20x; the lineage of a document (the service call a page makes)
p95 < 100 ms at the full size. The one-statement-per-relationship rate is measured
on a sample (a million single transactions would take hours), on the same server,
in the same run, with the same MERGE statement shape.
Uses TEST_NEO4J_URI if set, else starts the test harness's Neo4j.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from tempfile import TemporaryDirectory

import neo4j

from bench.common import elapsed, report
from superinsight.adapters.neo4j_graph import Neo4jGraph
from superinsight.config import Settings
from superinsight.db import migrate
from superinsight.lineage import projection as shape
from superinsight.lineage.projection import Projection
from superinsight.resources import build_resources
from superinsight.services.context import system_actor
from superinsight.services.graph import queries
from tests.servers import Neo4jServer

TENANT = "bench"
DOCUMENTS = 100_000
SOURCES, JOBS, RULES, ENTITIES = 20, 40, 50, 5_000
MENTIONS = 8
BATCH = 10_000
SINGLE_SAMPLE = 2_000
LINEAGE_SAMPLE = 200
WARM_UP = 500


@contextmanager
def neo4j_uri() -> Iterator[str]:
    configured = os.environ.get("TEST_NEO4J_URI")
    if configured:
        yield configured
        return
    server = Neo4jServer()
    server.launch()
    try:
        yield server.uri
    finally:
        server.stop()


def workbench(documents: int, rng: random.Random) -> Iterator[Projection]:
    """The workbench's rows as the projection shapes them, a batch of documents at a time."""
    setup = Projection()
    for source in range(1, SOURCES + 1):
        setup.add(shape.source(shape.SourceRow(source, f"Source {source}", "database")))
    for job in range(1, JOBS + 1):
        setup.add(shape.job(shape.JobRow(job, (job - 1) % SOURCES + 1, f"Job {job}", "incremental_dedup")))
    for rule in range(1, RULES + 1):
        setup.add(shape.rule(shape.RuleRow(rule, f"Rule {rule}", 1, "warning", "flag")))
    yield setup
    per_batch = BATCH // (2 + MENTIONS)
    for start in range(1, documents + 1, per_batch):
        batch = Projection()
        for doc in range(start, min(start + per_batch, documents + 1)):
            job = rng.randrange(1, JOBS + 1)
            customers = rng.sample(range(ENTITIES), MENTIONS)
            row = shape.DocumentRow(
                doc, (job - 1) % SOURCES + 1, job, 1, 1, f"Document {doc}", f"ext-{doc}",
                {"customer": [f"Customer {c}" for c in customers]},
            )  # fmt: skip
            batch.add(shape.document(row, ["customer"]))
            batch.add(shape.matches(rng.randrange(1, RULES + 1), 1, [doc]))
        yield batch


def batched(graph: Neo4jGraph, documents: int, tenant: str = TENANT) -> int:
    relationships = 0
    for projection in workbench(documents, random.Random(15)):
        graph.merge_nodes(tenant, projection.nodes)
        graph.merge_edges(tenant, projection.edges)
        relationships += len(projection.edges)
    return relationships


def _merge_one(
    tx: neo4j.ManagedTransaction, query: str, source: str, target: str, properties: Mapping[str, object]
) -> None:
    tx.run(query, tenant="bench-single", source=source, target=target, properties=properties).consume()


def one_by_one(driver: neo4j.Driver, sample: int) -> int:
    """The same MERGE, one relationship per statement and transaction, as a naive writer would."""
    edges = [
        edge for projection in workbench(sample // 10 + 1, random.Random(16)) for edge in projection.edges
    ]
    edges = edges[-sample:]
    with driver.session() as session:
        for edge in edges:
            query = (
                f"MERGE (a:`{edge.source.label}` {{tenant_id: $tenant, key: $source}}) "
                f"MERGE (b:`{edge.target.label}` {{tenant_id: $tenant, key: $target}}) "
                f"MERGE (a)-[r:`{edge.rel_type}`]->(b) SET r += $properties"
            )
            session.execute_write(
                partial(
                    _merge_one,
                    query=query,
                    source=edge.source.key,
                    target=edge.target.key,
                    properties=edge.properties,
                )
            )
    return len(edges)


def lineage_latencies(uri: str, documents: int) -> list[float]:
    """The page's own call: `queries.lineage` through the service layer, masking and all."""
    with TemporaryDirectory() as folder:
        settings = Settings(_env_file=None, data_dir=Path(folder), neo4j_uri=uri)
        resources = build_resources(settings)
        migrate.upgrade(resources.engine)
        actor = system_actor(TENANT)
        picks = random.Random(17).sample(range(1, documents + 1), min(LINEAGE_SAMPLE, documents))
        queries.lineage(resources, actor, picks[0])  # warm-up: driver pool, query plans
        took = []
        for doc in picks:
            started = time.perf_counter()
            found = queries.lineage(resources, actor, doc)
            took.append(time.perf_counter() - started)
            assert len(found.entities) == MENTIONS and found.runs and found.sources and found.rules
        resources.close()
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale", type=float, default=0.02, help="1 = 100,000 documents, 1,000,000 relationships"
    )
    args = parser.parse_args()
    documents = max(10, int(DOCUMENTS * args.scale))
    with neo4j_uri() as uri:
        driver = neo4j.GraphDatabase.driver(uri, auth=("neo4j", os.environ.get("TEST_NEO4J_PASSWORD", "")))
        graph = Neo4jGraph(driver)
        for tenant in (TENANT, "bench-single", "bench-warm"):
            graph.clear(tenant)
        graph.ensure_schema(shape.LABELS)
        # Both writers warm the server (JIT, page cache, query plans) before either is timed.
        batched(graph, WARM_UP, "bench-warm")
        one_by_one(driver, WARM_UP)
        graph.clear("bench-single")
        batch_seconds = elapsed(lambda: batched(graph, documents))
        relationships = graph.size(TENANT)[1]
        single_seconds = elapsed(lambda: one_by_one(driver, SINGLE_SAMPLE))
        batched_rate = relationships / batch_seconds
        single_rate = SINGLE_SAMPLE / single_seconds
        took = lineage_latencies(uri, documents)
        p95 = statistics.quantiles(took, n=20)[-1] * 1000
        report(
            f"Graph projection into Neo4j: {documents:,} documents, {relationships:,} relationships",
            [
                ("batched UNWIND", f"{batched_rate:,.0f} relationships/s ({batch_seconds:.1f} s)"),
                (
                    "one statement per relationship",
                    f"{single_rate:,.0f} relationships/s ({SINGLE_SAMPLE:,} sampled)",
                ),
                ("ratio (target > 20x)", f"{batched_rate / single_rate:.1f}x"),
                ("lineage p50", f"{statistics.median(took) * 1000:.1f} ms ({len(took)} documents)"),
                ("lineage p95 (target < 100 ms at scale 1)", f"{p95:.1f} ms"),
            ],
        )
        driver.close()


if __name__ == "__main__":
    main()
