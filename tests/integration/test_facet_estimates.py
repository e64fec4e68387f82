"""A search's counts by source and tag over many documents: estimated from a random sample, exact on request.

Scale is lowered by the module's thresholds (ESTIMATE_ABOVE, SAMPLE_ROWS,
FEWEST_SAMPLED_MATCHES): what is tested is the arithmetic of the estimate and when it is
made, on the real stores.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Select, or_, text

from superinsight.db.base import utcnow
from superinsight.db.models import Document
from superinsight.documents.record import DocumentInput
from superinsight.resources import Resources, build_resources
from superinsight.services.context import role_actor
from superinsight.services.documents import facet_estimates, facets, sampling
from superinsight.services.documents.search import SearchQuery
from superinsight.services.documents.sources import ensure_source
from superinsight.services.documents.writer import upsert_documents
from tests.conftest import make_settings

ANALYST = role_actor("acme", "analyst")
REFUNDS = SearchQuery(text="refund")


@pytest.fixture(autouse=True)
def estimating(monkeypatch: pytest.MonkeyPatch) -> None:
    """Estimate past 2,000 documents with 50 matches or more in the sample, about half the pages."""
    monkeypatch.setattr(facet_estimates, "ESTIMATE_ABOVE", 2000)
    monkeypatch.setattr(facet_estimates, "FEWEST_SAMPLED_MATCHES", 50)
    monkeypatch.setattr(sampling, "SAMPLE_ROWS", 3000)


def _seeded(url: str, tmp_path: Path) -> tuple[Resources, dict[str, int]]:
    """6,000 documents in two sources over ten days, every fourth a refund (half of those tagged vip),
    ten escalations."""
    resources = build_resources(make_settings(tmp_path, url))
    sources = {}
    for name, count in (("Tickets", 4000), ("Mail", 2000)):
        sources[name] = source = ensure_source(resources.uow(), ANALYST, name, "csv")
        docs = [
            DocumentInput(
                f"{name}-{i}",
                f"{name} {i}",
                ("refund asked" if i % 4 == 0 else "all good") + (" escalation" if i < 5 else ""),
                {},
                ["vip"] if i % 8 == 0 else ["other"],
                utcnow() - timedelta(days=i % 10),
            )
            for i in range(count)
        ]
        upsert_documents(resources, ANALYST, source, docs)
    return resources, sources


@pytest.fixture
def postgresql(pg_url: str, tmp_path: Path) -> Iterator[tuple[Resources, dict[str, int]]]:
    resources, sources = _seeded(pg_url, tmp_path)
    yield resources, sources
    resources.close()


def test_many_matches_are_estimated_from_a_sample_and_counted_exactly_on_request(
    postgresql: tuple[Resources, dict[str, int]],
) -> None:
    resources, _ = postgresql
    estimate = facets.facets(resources, ANALYST, REFUNDS)
    assert estimate.reach == 6000 and estimate.sampled is not None and 300 < estimate.sampled < 5000
    assert estimate.total == pytest.approx(1500, rel=0.2), "a quarter of the documents"
    assert dict(estimate.by_source)["Tickets"] == pytest.approx(1000, rel=0.25)
    assert dict(estimate.by_tag)["vip"] == pytest.approx(750, rel=0.3)
    assert facets.facets(resources, ANALYST, REFUNDS).from_cache, "an estimate is cached like a count"

    exact = facets.facets(resources, ANALYST, REFUNDS, exact=True)
    assert (exact.total, dict(exact.by_source), dict(exact.by_tag)) == (
        1500,
        {"Tickets": 1000, "Mail": 500},
        {"vip": 750, "other": 750},
    )
    assert (exact.sampled, exact.reach) == (None, None)
    again = facets.facets(resources, ANALYST, REFUNDS)
    assert again.from_cache and again.total == 1500, "the exact figures replaced the estimate"


def test_each_source_is_scaled_by_its_own_documents(
    postgresql: tuple[Resources, dict[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages hold one source each, so a sample may hold one source's documents more than another's."""
    resources, sources = postgresql

    def lopsided(pages: sampling.SampledPages, statement: Select[Any]) -> Select[Any]:
        """Every Tickets document, two Mail documents in three: scaled as one, Tickets would look bigger."""
        return statement.where(or_(Document.source_id == sources["Tickets"], Document.id % 3 != 0))

    monkeypatch.setattr(sampling.SampledPages, "read", lopsided)
    estimate = facets.facets(resources, ANALYST, REFUNDS)
    assert estimate.sampled is not None and 5300 <= estimate.sampled <= 5400
    assert (estimate.total, dict(estimate.by_source)) == (1500, {"Tickets": 1000, "Mail": 500})
    assert dict(estimate.by_tag) == {"vip": 750, "other": 750}


def test_an_estimate_within_dates_counts_the_documents_of_those_days(
    postgresql: tuple[Resources, dict[str, int]],
) -> None:
    resources, _ = postgresql
    today = utcnow().date()
    last_week = replace(REFUNDS, created_from=today - timedelta(days=6), created_to=today)
    estimate = facets.facets(resources, ANALYST, last_week)
    assert estimate.reach == 4200 and estimate.sampled is not None, "seven of ten days"
    exact = facets.facets(resources, ANALYST, last_week, exact=True)
    assert exact.total == 1200, "four refunds in five fall on those days"
    assert estimate.total == pytest.approx(exact.total, rel=0.2)


def test_rare_matches_and_a_small_reach_are_counted_exactly(
    postgresql: tuple[Resources, dict[str, int]],
) -> None:
    resources, sources = postgresql
    rare = facets.facets(resources, ANALYST, SearchQuery(text="escalation"))
    assert (rare.sampled, rare.total, dict(rare.by_source)) == (None, 10, {"Tickets": 5, "Mail": 5})
    small = facets.facets(resources, ANALYST, replace(REFUNDS, source_ids=(sources["Mail"],)))
    assert (small.sampled, small.total) == (None, 500), "2,000 documents searched: not past the threshold"


def test_a_sample_cut_short_by_the_size_of_the_table_is_not_drawn(
    postgresql: tuple[Resources, dict[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Other workspaces' documents share the table: past SAMPLE_PAGES_ROWS counting costs less."""
    resources, _ = postgresql
    with resources.engine.begin() as connection:  # the table's size as the planner knows it
        connection.execute(text("ANALYZE documents"))
    monkeypatch.setattr(sampling, "SAMPLE_PAGES_ROWS", 1000)  # a sixth of the table, not half
    counted = facets.facets(resources, ANALYST, REFUNDS)
    assert (counted.sampled, counted.total) == (None, 1500)


def test_an_estimate_covers_only_the_sources_a_user_may_see(
    postgresql: tuple[Resources, dict[str, int]],
) -> None:
    resources, sources = postgresql
    tickets_only = replace(ANALYST, source_ids=frozenset({sources["Tickets"]}))
    estimate = facets.facets(resources, tickets_only, REFUNDS)
    assert estimate.reach == 4000 and estimate.sampled is not None
    assert [name for name, _ in estimate.by_source] == ["Tickets"]
    assert estimate.total == pytest.approx(1000, rel=0.25)


def test_sqlite_always_counts(sqlite_url: str, tmp_path: Path) -> None:
    """The embedded store has no TABLESAMPLE, and holds workspaces small enough to count."""
    resources, _ = _seeded(sqlite_url, tmp_path)
    counted = facets.facets(resources, ANALYST, REFUNDS)
    assert (counted.sampled, counted.total) == (None, 1500)
    resources.close()
