"""Search speed at a million documents, deep pages, and what the facet cache buys.

    .venv/bin/python -m bench.documents [--rows 1000000]

Targets (issue 4): search first page p95 < 150 ms warm; page 10,000 / page 1
latency < 2; cached facet counts > 20x faster than computing them.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path
from tempfile import mkdtemp

from pydantic import SecretStr
from sqlalchemy import Engine, select, text

from bench.common import elapsed, postgres, report, seeded_in
from superinsight.config import Settings
from superinsight.db.models import Document
from superinsight.resources import build_resources
from superinsight.services.context import system_actor
from superinsight.services.documents import facets, keyset, search
from superinsight.services.documents.search import SearchQuery

TENANT = "bench"
QUERIES = ["invoice", "refund duplicate", "quarterly export", "penguin", "renewal contract terms"]
WORDS = [
    "invoice",
    "refund",
    "duplicate",
    "export",
    "quarterly",
    "renewal",
    "contract",
    "terms",
    "login",
    "dashboard",
    "billing",
    "customer",
    "report",
    "charge",
    "seats",
    "penguin",
]


def seed(engine: Engine, rows: int) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO data_sources (id, tenant_id, name, source_type, status, "
                "connection_config, schema_config, expectations, quality_weights, timeout_seconds, "
                "created_at, updated_at) VALUES (1, 'bench', 'bench', 'csv', 'active', '{}', '{}', "
                "'{}', '{}', 30, now(), now())"
            )
        )
        words = "ARRAY[" + ",".join(f"'{w}'" for w in WORDS) + "]"
        connection.execute(
            text(
                f"""
                INSERT INTO documents (tenant_id, source_id, external_id, title, content, metadata, tags,
                                       content_hash, sync_status, sync_version, created_at, updated_at)
                SELECT 'bench', 1, 'D' || n,
                       'Document ' || n || ' ' || ({words})[1 + n % 15],
                       ({words})[1 + (n * 7) % 15] || ' ' || ({words})[1 + (n * 13) % 15] || ' '
                           || ({words})[1 + (n * 31) % 15] || ' text number ' || n
                           || CASE WHEN n % 50000 = 0 THEN ' penguin' ELSE '' END,
                       jsonb_build_object('region', (ARRAY['EMEA', 'NA', 'APAC'])[1 + n % 3]),
                       CASE WHEN n % 10 = 0 THEN '["vip"]'::jsonb ELSE '[]'::jsonb END,
                       md5(n::text), 'synced', 1, now(), now()
                FROM generate_series(1, :rows) AS n
                """
            ),
            {"rows": rows},
        )
        connection.execute(text("ANALYZE documents"))


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with postgres() as engine:
        seeded = seeded_in(lambda: seed(engine, args.rows))
        settings = Settings(
            _env_file=None,
            data_dir=Path(mkdtemp()),
            database_url=SecretStr(engine.url.render_as_string(hide_password=False)),
        )
        resources = build_resources(settings)
        actor = system_actor(TENANT)

        def first_page(query: SearchQuery) -> float:
            return elapsed(lambda: search.search(resources, actor, query, limit=50))

        for words in QUERIES:  # warm-up
            first_page(SearchQuery(text=words))
        samples = [first_page(SearchQuery(text=words)) for _ in range(5) for words in QUERIES]
        samples += [first_page(SearchQuery(sort="newest")) for _ in range(5)]

        deep_page = min(10_000, args.rows // 100)  # page 10,000 needs 500,000 documents
        with resources.uow() as uow:  # the last row of the page before it, newest first
            before_deep = uow.session.execute(
                select(Document.created_at, Document.id)
                .order_by(*keyset.order(None, oldest_first=False))
                .offset(50 * deep_page - 1)
                .limit(1)
            ).one()
        deep = keyset.next_cursor(None, *before_deep)  # the link that page starts from

        def page(cursor: str | None) -> float:
            return elapsed(
                lambda: search.search(resources, actor, SearchQuery(sort="newest"), cursor=cursor, limit=50)
            )

        page_1 = statistics.median(page(None) for _ in range(7))
        page_10k = statistics.median(page(deep) for _ in range(7))

        query = SearchQuery(text="invoice")
        uncached = statistics.median(
            elapsed(lambda: facets.facets(resources, actor, query, exact=True)) for _ in range(3)
        )
        cached = statistics.median(elapsed(lambda: facets.facets(resources, actor, query)) for _ in range(20))
        report(
            f"bench/documents.py: {args.rows:,} documents in PostgreSQL (seeded in {seeded:.1f} s)",
            [
                ("search first page p50", f"{percentile(samples, 0.5) * 1000:.0f} ms"),
                ("search first page p95", f"{percentile(samples, 0.95) * 1000:.0f} ms  (target < 150 ms)"),
                ("page 1 (newest)", f"{page_1 * 1000:.1f} ms"),
                (f"page {deep_page:,} (newest)", f"{page_10k * 1000:.1f} ms"),
                (f"page {deep_page:,} / page 1", f"{page_10k / page_1:.2f}  (target < 2 at page 10,000)"),
                ("facet counts, computed", f"{uncached * 1000:.0f} ms"),
                ("facet counts, cached", f"{cached * 1000:.2f} ms"),
                ("computed / cached", f"{uncached / cached:.0f}x  (target > 20x)"),
            ],
        )
        resources.close()


if __name__ == "__main__":
    main()
