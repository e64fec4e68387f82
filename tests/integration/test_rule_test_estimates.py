"""A rule test of a large scope reads a random sample, says so, and a job counts every document.

Scale is lowered by the module's thresholds (ESTIMATE_ABOVE, SAMPLE_ROWS): what is tested is
the path a million documents take, on a few thousand.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from superinsight.documents.record import DocumentInput
from superinsight.resources import Resources, build_resources
from superinsight.services.context import Actor, role_actor
from superinsight.services.documents import sampling
from superinsight.services.documents.sources import ensure_source
from superinsight.services.documents.writer import upsert_documents
from superinsight.services.errors import InvalidInputError, PermissionDeniedError
from superinsight.services.jobs import job_status
from superinsight.services.rules import counting, exact_counts
from superinsight.services.rules import testing as rule_testing
from superinsight.services.rules.drafts import RuleDraft
from tests.conftest import make_settings
from tests.integration.slow import slow_statement

ACME = role_actor("acme", "analyst")
REFUND = RuleDraft("Refunds", {"in": ["refund", {"var": "content"}]})
NO_SQL_FORM = RuleDraft("Big", {">": [{"+": [{"var": "metadata.amount"}, 0]}, 1500]})


def _seed(resources: Resources, name: str, n: int, every: int) -> int:
    """`n` documents of source `name`, one in `every` asking for a refund (spread evenly)."""
    source = ensure_source(resources.uow(), ACME, name, "database")
    docs = [
        DocumentInput(
            f"{name}-{i}",
            f"{name} {i}",
            "refund requested" if i % every == 0 else "all good",
            {"amount": i * 100},
        )
        for i in range(n)
    ]
    upsert_documents(resources, ACME, source, docs)
    return source


def _finished(resources: Resources, job_id: str | None) -> None:
    assert job_id is not None, "an estimate queues the exact count"
    deadline = time.monotonic() + 120
    while not (status := job_status(resources, job_id)).done and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (status.state, status.error) == ("finished", None)


@pytest.fixture
def estimating(monkeypatch: pytest.MonkeyPatch) -> None:
    """Estimate past 1,000 documents, from samples of about 1,000."""
    monkeypatch.setattr(rule_testing, "ESTIMATE_ABOVE", 1000)
    monkeypatch.setattr(sampling, "SAMPLE_ROWS", 1000)


def _built(url: str, tmp_path: Path) -> Iterator[Resources]:
    built = build_resources(make_settings(tmp_path, url))
    yield built
    built.close()


@pytest.fixture
def pg_resources(pg_url: str, tmp_path: Path) -> Iterator[Resources]:
    yield from _built(pg_url, tmp_path)


@pytest.fixture
def sqlite_resources(sqlite_url: str, tmp_path: Path) -> Iterator[Resources]:
    yield from _built(sqlite_url, tmp_path)


@pytest.mark.usefixtures("estimating")
class TestOnPostgreSQL:
    @pytest.fixture
    def resources(self, pg_resources: Resources) -> Resources:
        return pg_resources

    def test_a_large_scope_is_estimated_from_a_random_sample_then_counted_exactly(
        self, resources: Resources
    ) -> None:
        _seed(resources, "Tickets", 5000, every=4)  # 1,250 refunds
        report = rule_testing.run_test(resources, ACME, REFUND, sample_size=3)
        assert report.sampled and report.total == 5000
        assert report.evaluated is not None and 300 < report.evaluated < 4000, "a share of the pages"
        assert report.rate == pytest.approx(0.25, abs=0.03), "refunds are every fourth document"
        assert report.implied_matches == pytest.approx(1250, abs=150)
        assert report.samples and all("refund" in " ".join(s.reasons) for s in report.samples)
        assert report.counted_at is None

        _finished(resources, report.exact_job)
        assert report.exact is not None
        figures = exact_counts.counted(resources, ACME, report.exact)
        assert figures is not None and (figures.matched, figures.total) == (1250, 5000)

        again = rule_testing.run_test(resources, ACME, REFUND, sample_size=3)
        assert (again.matched, again.total, again.evaluated) == (1250, 5000, None), "the job's figures"
        assert again.counted_at is not None and again.exact_job is None
        assert again.outcome is None and again.samples

    def test_a_row_by_row_rule_past_its_limit_is_counted_in_full_by_the_job(
        self, resources: Resources, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(counting, "ROW_BY_ROW_LIMIT", 10)
        _seed(resources, "Contracts", 40, every=10)  # amount 100 * i: 24 over 1500
        report = rule_testing.run_test(resources, ACME, NO_SQL_FORM)
        assert (report.engine, report.sampled, report.evaluated, report.matched) == (
            "row by row",
            False,
            10,
            10,
        )
        _finished(resources, report.exact_job)
        assert report.exact is not None
        figures = exact_counts.counted(resources, ACME, report.exact)
        assert figures is not None and (figures.matched, figures.total, figures.engine) == (
            24,
            40,
            "row by row",
        )

    def test_the_job_counts_only_what_the_asker_may_see_and_no_one_else_reads_it(
        self, resources: Resources
    ) -> None:
        seen = _seed(resources, "Seen", 2000, every=2)  # 1,000 refunds
        _seed(resources, "Hidden", 2000, every=1)  # 2,000 more, out of reach
        narrowed = dataclasses.replace(ACME, source_ids=frozenset({seen}))
        report = rule_testing.run_test(resources, narrowed, REFUND)
        assert report.total == 2000 and report.evaluated is not None
        _finished(resources, report.exact_job)
        assert report.exact is not None
        figures = exact_counts.counted(resources, narrowed, report.exact)
        assert figures is not None and (figures.matched, figures.total) == (1000, 2000)
        # The whole tenant's analyst and another tenant's get nothing from this request's figures.
        assert exact_counts.counted(resources, ACME, report.exact) is None
        assert exact_counts.counted(resources, role_actor("evil", "analyst"), report.exact) is None
        whole = rule_testing.run_test(resources, ACME, REFUND)
        assert whole.total == 4000 and whole.counted_at is None, "their own test is estimated afresh"

    def test_a_scope_that_is_a_small_part_of_the_table_reads_a_bounded_share_of_its_pages(
        self, resources: Resources, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        other = role_actor("other", "analyst")
        source = ensure_source(resources.uow(), other, "Theirs", "database")
        theirs = [DocumentInput(f"O{i}", f"Other {i}", "refund", {}) for i in range(6000)]
        upsert_documents(resources, other, source, theirs)
        _seed(resources, "Tickets", 2000, every=4)
        with resources.engine.begin() as connection:
            connection.execute(text("ANALYZE documents"))
        monkeypatch.setattr(sampling, "SAMPLE_PAGES_ROWS", 800)  # a tenth of the table's pages at most
        report = rule_testing.run_test(resources, ACME, REFUND)
        assert report.total == 2000 and report.evaluated is not None
        assert 50 < report.evaluated < 500, "a tenth of the pages, not the half SAMPLE_ROWS asks for"
        assert report.implied_matches == pytest.approx(500, abs=200), "still only acme's documents"


@pytest.mark.usefixtures("estimating")
def test_sqlite_counts_every_document_whatever_the_size(sqlite_resources: Resources) -> None:
    """No TABLESAMPLE there: the embedded store counts exactly and queues nothing."""
    _seed(sqlite_resources, "Tickets", 2000, every=4)
    report = rule_testing.run_test(sqlite_resources, ACME, REFUND)
    assert (report.matched, report.total, report.evaluated, report.exact_job) == (500, 2000, None, None)


def test_only_those_who_edit_rules_read_counted_figures(sqlite_resources: Resources) -> None:
    request = exact_counts.request_for(sqlite_resources, ACME, REFUND.body, None, None)
    viewer: Actor = role_actor("acme", "viewer")
    with pytest.raises(PermissionDeniedError):
        exact_counts.counted(sqlite_resources, viewer, request)


def test_a_count_past_its_limit_fails_with_words_and_keeps_nothing(
    resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(resources, "Tickets", 10, every=2)
    monkeypatch.setattr(exact_counts, "EXACT_SECONDS", 0.2)
    monkeypatch.setattr(counting, "in_sql", lambda session, *args: slow_statement(session))
    request = exact_counts.request_for(resources, ACME, REFUND.body, None, None)
    with pytest.raises(
        InvalidInputError, match="counting every document took longer than 0 min and was stopped"
    ):
        exact_counts.count_exactly(resources, request)
    assert exact_counts.kept(resources, request) is None
