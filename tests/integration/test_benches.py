"""The benchmarks still run: each at a tiny size, on the suite's PostgreSQL.

A benchmark is run by hand, rarely, and a break in one shows only then: bench/pages'
bulk SQL overflowed an integer past 271,183 documents, so its million never seeded, and
an AUTOCOMMIT migration broke it once before. These runs keep them working, not fast.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bench import documents, rule_tests
from bench.pages_setup import CONTRACTS_SQL, TICKETS_SQL, _bulk
from superinsight.db.models import Document, DocumentArrival
from superinsight.resources import build_resources
from superinsight.services.context import system_actor
from superinsight.services.documents.sources import ensure_source
from superinsight.services.rules import testing as rule_testing
from tests.conftest import make_settings


def test_the_page_bench_seeds_documents_numbered_past_a_million(pg_url: str, tmp_path: Path) -> None:
    resources = build_resources(make_settings(tmp_path, pg_url))
    try:
        source = ensure_source(resources.uow(), system_actor("big"), "Bulk", "upload")
        _bulk(resources, "big", TICKETS_SQL, source, 999_997, 999_999)
        _bulk(resources, "big", CONTRACTS_SQL, source, 1_000_000, 1_000_002)
        with resources.uow() as uow:
            documents = uow.session.scalar(select(func.count()).select_from(Document))
            counted = uow.session.scalar(select(func.sum(DocumentArrival.documents)))
        assert (documents, counted) == (6, 6), "every row inserted and counted on the arrivals"
    finally:
        resources.close()


def test_the_rule_test_bench_runs(
    pg_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BENCH_DATABASE_URL", pg_url)
    monkeypatch.setattr(
        sys, "argv", ["rule_tests", "--rows", "3000", "--rounds", "2", "--estimate-above", "1000"]
    )
    limits = rule_testing.ESTIMATE_ABOVE, rule_testing.TEST_SECONDS
    rule_tests.main()
    assert limits == (rule_testing.ESTIMATE_ABOVE, rule_testing.TEST_SECONDS), "the bench put them back"
    printed = capsys.readouterr().out
    assert "bench/rule_tests.py: 3,000 documents" in printed and "500 match" in printed
    assert re.search(r"the job's exact count\s+500 \(as the reference\)", printed)


def test_the_search_bench_runs(
    pg_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """It called two functions that had gone (a cursor encoder, a facet refresh) and no run showed it."""
    monkeypatch.setenv("BENCH_DATABASE_URL", pg_url)
    monkeypatch.setattr(sys, "argv", ["documents", "--rows", "3000"])
    documents.main()
    printed = capsys.readouterr().out
    assert "bench/documents.py: 3,000 documents" in printed
    assert re.search(r"page 30 / page 1\s+\d", printed) and re.search(r"computed / cached\s+\d+x", printed)
