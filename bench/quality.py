"""Scoring a million documents in PostgreSQL against the same checks in pandas.

    .venv/bin/python -m bench.quality [--rows 1000000]

Target (issue 6): the SQL scoring is faster than pandas including loading the
rows into memory. Both compute completeness, validity, uniqueness, consistency
and timeliness over the same rows in the same run, and must agree on the scores
before any time is reported. Filing one issue per failing document is timed on
its own (pandas does not do it).
"""

from __future__ import annotations

import argparse
import json
from datetime import timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import pandas as pd
from sqlalchemy import Engine, insert, text

from bench.common import measure, postgres, report, seeded_in
from superinsight.config import Settings
from superinsight.db.base import utcnow
from superinsight.db.models import DataSource
from superinsight.quality.scores import overall, percent
from superinsight.resources import build_resources
from superinsight.services.context import system_actor
from superinsight.services.quality import scoring as quality_scoring
from superinsight.services.quality import settings as quality_settings

TENANT = "bench"
EXPECTATIONS: dict[str, Any] = {
    "required": ["customer", "region"],
    "types": {"amount": "number"},
    "ranges": {"amount": [0, 90000]},
    "allowed": {"region": ["EMEA", "NA", "APAC"]},
    "freshness_days": 30,
    "consistency": [{"field": "start", "not_after": "end"}],
}


def seed(engine: Engine, rows: int) -> None:
    with engine.begin() as connection:
        connection.execute(insert(DataSource).values(id=1, tenant_id=TENANT, name="bench", source_type="csv"))
        connection.execute(
            text(
                """
                INSERT INTO documents (tenant_id, source_id, external_id, title, content, metadata, tags,
                                       content_hash, sync_status, sync_version, created_at, updated_at)
                SELECT 'bench', 1, 'D' || n, 'Ticket ' || (n % 900000), 'Body ' || (n % 900000),
                       jsonb_strip_nulls(jsonb_build_object(
                           'customer', CASE WHEN n % 10 = 0 THEN NULL WHEN n % 10 = 1 THEN ''
                                            ELSE 'C' || (n % 5000) END,
                           'region', (ARRAY['EMEA', 'NA', 'APAC', 'LATAM'])[1 + n % 4],
                           'amount', CASE WHEN n % 7 = 0 THEN to_jsonb('12'::text)
                                          ELSE to_jsonb((n::bigint * 7919) % 100000) END,
                           'start', '2026-0' || (1 + n % 9) || '-01',
                           'end', '2026-0' || (1 + (n + 3) % 9) || '-15')),
                       '[]'::jsonb, md5(n::text), 'synced', 1,
                       now() - (n % 60) * interval '1 day', now()
                FROM generate_series(1, :rows) AS n
                """
            ),
            {"rows": rows},
        )
        connection.execute(text("ANALYZE documents"))


def pandas_scores(engine: Engine) -> dict[str, float | None]:
    """The same checks, written the way a pandas user would: load, then compute."""
    frame = pd.read_sql(
        text(
            "SELECT title, content, metadata::text AS metadata, created_at FROM documents WHERE source_id = 1"
        ),
        engine,
    )
    meta = pd.json_normalize(frame["metadata"].map(json.loads).tolist())
    total = len(frame)

    def present(column: str) -> pd.Series:
        return meta[column].notna() & meta[column].astype(str).ne("")

    completeness = (present("customer").sum() + present("region").sum()) / (2 * total)
    amount = meta["amount"]
    is_number = amount.map(lambda value: isinstance(value, int | float) and not isinstance(value, bool))
    number = pd.to_numeric(amount.where(is_number), errors="coerce")
    type_ok = amount.isna() | is_number
    range_ok = amount.isna() | (is_number & number.between(0, 90000))
    allowed_ok = meta["region"].isna() | meta["region"].isin(EXPECTATIONS["allowed"]["region"])
    valid = (type_ok & range_ok & allowed_ok).sum() / total
    distinct = (frame["title"] + "\x1f" + frame["content"]).nunique() / total
    both = present("start") & present("end")
    consistent = (~both | (meta["start"].astype(str) <= meta["end"].astype(str))).sum() / total
    cutoff = pd.Timestamp(utcnow() - timedelta(days=30))
    fresh = (pd.to_datetime(frame["created_at"], utc=True) >= cutoff).sum() / total
    scores = {
        "completeness": percent(round(completeness * total * 2), total * 2),
        "validity": percent(round(valid * total), total),
        "uniqueness": percent(round(distinct * total), total),
        "consistency": percent(round(consistent * total), total),
        "timeliness": percent(round(fresh * total), total),
    }
    return scores | {"overall": overall(scores)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with postgres() as engine, TemporaryDirectory() as scratch:
        seeding = seeded_in(lambda: seed(engine, args.rows))
        settings = Settings(
            _env_file=None,
            data_dir=Path(scratch),
            database_url=engine.url.render_as_string(hide_password=False),
        )
        resources = build_resources(settings)
        actor = system_actor(TENANT)
        quality_settings.set_expectations(resources, actor, 1, EXPECTATIONS)
        sql_seconds, scored = measure(
            lambda: quality_scoring.score_source(resources, actor, 1, file_issues=False)
        )
        pandas_seconds, expected = measure(lambda: pandas_scores(engine))
        sql = {name: getattr(scored, name) for name in expected}
        if sql != expected:
            raise SystemExit(f"SQL and pandas disagree:\n  sql    {sql}\n  pandas {expected}")
        issues_seconds, _ = measure(lambda: quality_scoring.score_source(resources, actor, 1))
        resources.close()
    report(
        f"Quality scores over {args.rows:,} documents (seeded in {seeding:.1f} s); both agree: {sql}",
        [
            ("PostgreSQL aggregates", f"{sql_seconds:.2f} s"),
            ("pandas, load included", f"{pandas_seconds:.2f} s"),
            ("pandas / SQL", f"{pandas_seconds / sql_seconds:.1f}x  (target > 1)"),
            ("scoring and filing an issue per failing document", f"{issues_seconds:.2f} s"),
        ],
    )


if __name__ == "__main__":
    main()
