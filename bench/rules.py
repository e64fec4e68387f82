"""How fast a compiled rule runs against a hand-written query and against Python evaluation.

    .venv/bin/python -m bench.rules [--rows 1000000]

Targets: compiled rule / hand-written SQL < 1.1 (issue 13; it was 1.45); Python / compiled > 20.
Also prints the size of the compiled SQL per rule node, for the benchmark rule and
for a 40-pair if chain (linear in the rule: issue 13 item 5).
The compiled rule is given the kinds each metadata key holds, read for every query
as the services read them (`documents.key_kinds`); the seed records them as the writers do.
Every figure is measured in this run, on the same rows, on the same server.
"""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from bench.common import postgres, report, seeded_in, timed
from superinsight.db.models import DataSource, Document
from superinsight.rules.extensions import WORKBENCH
from superinsight.rules.jsvalues import truthy
from superinsight.rules.sql import to_sql
from superinsight.services.documents.key_kinds import known_kinds, record
from superinsight.services.rules.matching import document_fields

TENANT = "bench"
POSTGRESQL = postgresql.dialect()  # type: ignore[no-untyped-call]  # the dialects' constructors carry no hints
RULE: dict[str, Any] = {
    "and": [
        {">": [{"var": "metadata.amount"}, 50000]},
        {"==": [{"var": "metadata.region"}, "EMEA"]},
        {"contains": [{"var": "title"}, "renewal"]},
    ]
}
HAND_WRITTEN = (
    "SELECT count(*) FROM documents WHERE tenant_id = 'bench'"
    " AND (metadata->>'amount')::float > 50000 AND metadata->>'region' = 'EMEA'"
    " AND strpos(lower(title), 'renewal') > 0"
)


def rule_nodes(rule: Any) -> int:
    """Operations, fields and values in a rule: what its SQL size is measured against."""
    if isinstance(rule, list):
        return sum(rule_nodes(item) for item in rule)
    if isinstance(rule, dict):
        return 1 + sum(rule_nodes(value) for value in rule.values())
    return 1


def sql_chars_per_node(rule: Any) -> tuple[int, float]:
    compiled = str(to_sql(rule, document_fields()).compile(dialect=POSTGRESQL))
    return len(compiled), len(compiled) / rule_nodes(rule)


IF_CHAIN: dict[str, Any] = {
    "if": [
        *(
            part
            for i in range(40)
            for part in ({">": [{"var": f"metadata.k{i}"}, i]}, {"contains": [{"var": "title"}, f"w{i}"]})
        ),
        False,
    ]
}


def seed(engine: Engine, rows: int) -> None:
    """Generate the rows inside PostgreSQL: a million in seconds, not minutes."""
    with engine.begin() as connection:
        connection.execute(insert(DataSource).values(id=1, tenant_id=TENANT, name="bench", source_type="csv"))
        connection.execute(
            text(
                """
                INSERT INTO documents (tenant_id, source_id, external_id, title, content, metadata, tags,
                                       content_hash, sync_status, sync_version, created_at, updated_at)
                SELECT 'bench', 1, 'D' || n,
                       (ARRAY['Renewal', 'Order form', 'Invoice', 'Support ticket'])[1 + n % 4] || ' ' || n,
                       'Document number ' || n || ' about '
                           || (ARRAY['billing', 'refund', 'export'])[1 + n % 3],
                       jsonb_build_object(
                           'amount', (n::bigint * 7919) % 100000,
                           'region', (ARRAY['EMEA', 'NA', 'APAC', 'LATAM'])[1 + n % 4],
                           'priority', (ARRAY['low', 'normal', 'high', 'urgent'])[1 + (n / 7) % 4]),
                       '[]'::jsonb, md5(n::text), 'synced', 1, now(), now()
                FROM generate_series(1, :rows) AS n
                """
            ),
            {"rows": rows},
        )
        record(Session(bind=connection), TENANT, 1, Document, Document.meta, Document.source_id == 1)
        connection.execute(text("ANALYZE documents"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with postgres() as engine:
        seeded = seeded_in(lambda: seed(engine, args.rows))

        def compiled() -> int:
            with Session(engine) as session:
                condition = to_sql(RULE, document_fields(), known_kinds(session, TENANT))
                query = (
                    select(func.count()).select_from(Document).where(Document.tenant_id == TENANT, condition)
                )
                return int(session.scalar(query) or 0)

        def hand_written() -> int:
            with engine.connect() as connection:
                return int(connection.scalar(text(HAND_WRITTEN)) or 0)

        def in_python() -> int:
            matched = 0
            with engine.connect() as connection:
                result = connection.execution_options(yield_per=5000).execute(
                    select(
                        Document.title,
                        Document.content,
                        Document.external_id,
                        Document.source_id,
                        Document.tags,
                        Document.meta,
                    ).where(Document.tenant_id == TENANT)
                )
                for title, content, external_id, source_id, tags, meta in result:
                    data = {
                        "title": title,
                        "content": content,
                        "external_id": external_id,
                        "source_id": source_id,
                        "tags": tags,
                        "metadata": meta,
                    }
                    matched += truthy(WORKBENCH.apply(RULE, data))
            return matched

        rule_sql, rule_per_node = sql_chars_per_node(RULE)
        chain_sql, chain_per_node = sql_chars_per_node(IF_CHAIN)
        compiled_s, compiled_n = timed(compiled)
        hand_s, hand_n = timed(hand_written)
        python_s, python_n = timed(in_python, repeat=1)
        assert compiled_n == hand_n == python_n, (compiled_n, hand_n, python_n)
        report(
            f"bench/rules.py: {args.rows:,} documents in PostgreSQL "
            f"(seeded in {seeded:.1f} s), {compiled_n:,} match",
            [
                ("compiled rule (median of 5)", f"{compiled_s * 1000:.0f} ms"),
                ("hand-written SQL (median of 5)", f"{hand_s * 1000:.0f} ms"),
                ("fetch + evaluate in Python", f"{python_s * 1000:.0f} ms"),
                ("compiled / hand-written", f"{compiled_s / hand_s:.2f}  (target < 1.1)"),
                ("Python / compiled", f"{python_s / compiled_s:.1f}x  (target > 20x)"),
                ("compiled SQL, benchmark rule", f"{rule_sql:,} chars, {rule_per_node:.0f} per node"),
                ("compiled SQL, 40-pair if chain", f"{chain_sql:,} chars, {chain_per_node:.0f} per node"),
            ],
        )


if __name__ == "__main__":
    main()
