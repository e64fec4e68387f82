"""The quality issue counts the database keeps are exact, whatever changes the issues.

After every way an issue changes (filed by scoring, opened by a rule, triaged, resolved
by a new score, deleted with its document or its source by a foreign-key cascade, and
each trigger path in plain SQL) the kept counts are compared with a fresh GROUP BY over
quality_issues, and with what the Quality page reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from superinsight.db import migrate
from superinsight.db.base import utcnow
from superinsight.db.engine import build_session_factory
from superinsight.db.models import Document, QualityIssue, QualityIssueCount
from superinsight.documents.record import DocumentInput
from superinsight.resources import Resources, build_resources
from superinsight.services.context import system_actor
from superinsight.services.documents import writer as document_writer
from superinsight.services.documents.sources import ensure_source
from superinsight.services.quality import filing
from superinsight.services.quality import issues as quality_issues
from superinsight.services.quality import scoring as quality_scoring
from superinsight.services.quality import settings as quality_settings
from superinsight.services.rules import commands as rule_commands
from superinsight.services.rules.drafts import RuleDraft
from superinsight.services.security import users
from superinsight.services.sync import catalogue
from tests.conftest import make_settings
from tests.integration.lock_waits import while_waiting
from tests.integration.test_rules_service import _apply
from tests.integration.triggers import just_before, triggers_and_functions, two_sources

TENANT = "acme"
ADMIN = system_actor(TENANT)
NOW = utcnow()
EXPECTATIONS = {"required": ["customer"], "allowed": {"region": ["EMEA", "NA"]}, "freshness_days": 30}
Group = tuple[str, int, str, str]


def kept_counts_match_the_issues(session: Session) -> dict[Group, int]:
    """The kept counts, once they are shown to equal a fresh GROUP BY over the issues with a source.

    Refuses an empty answer: a comparison of nothing with nothing would pass whatever
    the triggers do.
    """
    group = (QualityIssue.tenant_id, QualityIssue.source_id, QualityIssue.dimension, QualityIssue.status)
    grouped = {
        (tenant, source, dimension, status): count
        for tenant, source, dimension, status, count in session.execute(
            select(*group, func.count()).where(QualityIssue.source_id.is_not(None)).group_by(*group)
        )
    }
    kept = {
        (row.tenant_id, row.source_id, row.dimension, row.status): row.issues
        for row in session.scalars(select(QualityIssueCount))
    }
    assert grouped, "nothing to compare: the scenario left no issues"
    assert kept == grouped
    return kept


def exact(resources: Resources) -> dict[Group, int]:
    """The kept counts equal the issues, and each source's counts are what the Quality page reads."""
    with resources.uow() as uow:
        kept = kept_counts_match_the_issues(uow.session)
    for source in {source for tenant, source, _, _ in kept if tenant == TENANT}:
        assert quality_issues.counts(resources, ADMIN, source) == _of(kept, source)
    return kept


def _of(kept: dict[Group, int], source: int) -> dict[tuple[str, str], int]:
    """One source's counts, as `quality_issues.counts` gives them."""
    return {
        (dimension, status): n
        for (tenant, at, dimension, status), n in kept.items()
        if (tenant, at) == (TENANT, source)
    }


def _documents(prefix: str, passing: bool = False) -> list[DocumentInput]:
    """Twelve documents failing checks of every kind unless `passing` (the first two repeat each other)."""
    return [
        DocumentInput(
            f"{prefix}{i}",
            "same" if i < 2 else f"{prefix} title {i}",
            "same" if i < 2 else f"{prefix} text {i}",
            {
                "customer": "" if i % 3 == 0 and not passing else "Acme",
                "region": "Mars" if i % 4 == 0 else "NA",
            },
            created_at=NOW - timedelta(days=40 if i % 5 == 0 else 1),
        )
        for i in range(12)
    ]


def _source(resources: Resources, name: str) -> int:
    source = ensure_source(resources.uow(), ADMIN, name, "csv")
    document_writer.upsert_documents(resources, ADMIN, source, _documents(name))
    quality_settings.set_expectations(resources, ADMIN, source, EXPECTATIONS)
    quality_scoring.score_source(resources, ADMIN, source, now=NOW)
    return source


@pytest.fixture
def sources(resources: Resources) -> tuple[int, int]:
    """Two scored sources, so that one can go and the comparison still has rows."""
    return _source(resources, "North"), _source(resources, "South")


class TestEveryChangeKeepsTheCountsExact:
    def test_issues_filed_by_scoring(self, resources: Resources, sources: tuple[int, int]) -> None:
        north, _ = sources
        assert _of(exact(resources), north) == {
            ("completeness", "open"): 4,
            ("validity", "open"): 3,
            ("timeliness", "open"): 3,
            ("uniqueness", "open"): 1,
        }

    def test_issues_opened_by_a_rule(self, resources: Resources, sources: tuple[int, int]) -> None:
        north, south = sources
        rule = rule_commands.create_rule(
            resources,
            ADMIN,
            RuleDraft("Mars", {"==": [{"var": "metadata.region"}, "Mars"]}, action="quality_issue"),
        )
        _apply(resources, rule.id)
        kept = exact(resources)
        # three filed by scoring (region Mars is not allowed) and three by the rule, in each source
        assert _of(kept, north)[("validity", "open")] == _of(kept, south)[("validity", "open")] == 3 + 3

    def test_triage_in_bulk_and_of_the_assignee_alone(
        self, resources: Resources, sources: tuple[int, int]
    ) -> None:
        north, _ = sources
        listed = quality_issues.issues(resources, ADMIN, north, status="open")
        bulk = [row.id for row in listed if row.dimension in ("completeness", "validity")]
        late = next(row.id for row in listed if row.dimension == "timeliness")
        assert quality_issues.triage(resources, ADMIN, bulk, status="acknowledged") == 7
        quality_issues.triage(resources, ADMIN, [late], status="resolved")
        quality_issues.triage(resources, ADMIN, [late], status="resolved")  # to the status it has
        dana = users.create_user(resources, ADMIN, "dana@acme.example", "a long enough password", "analyst")
        quality_issues.triage(resources, ADMIN, bulk, assignee_id=dana)
        assert _of(exact(resources), north) == {
            ("completeness", "acknowledged"): 4,
            ("validity", "acknowledged"): 3,
            ("timeliness", "open"): 2,
            ("timeliness", "resolved"): 1,
            ("uniqueness", "open"): 1,
        }

    def test_rescoring_resolves_what_passes_again(
        self, resources: Resources, sources: tuple[int, int]
    ) -> None:
        north, _ = sources
        document_writer.upsert_documents(resources, ADMIN, north, _documents("North", passing=True))
        quality_scoring.score_source(resources, ADMIN, north, now=NOW)
        counts = _of(exact(resources), north)
        assert (counts[("completeness", "resolved")], counts.get(("completeness", "open"))) == (4, None)

    def test_deleting_a_document_cascades_to_its_issues_and_their_counts(
        self, resources: Resources, sources: tuple[int, int]
    ) -> None:
        north, _ = sources
        with resources.uow() as uow:
            uow.session.execute(
                delete(Document).where(
                    Document.source_id == north, Document.external_id.in_(["North0", "North4"])
                )
            )
            uow.commit()
        # North0 was missing a customer, in Mars and old; North4 in Mars
        assert _of(exact(resources), north) == {
            ("completeness", "open"): 3,
            ("validity", "open"): 1,
            ("timeliness", "open"): 2,
            ("uniqueness", "open"): 1,
        }

    def test_deleting_a_source_cascades_and_leaves_no_counts_behind(
        self, resources: Resources, sources: tuple[int, int]
    ) -> None:
        north, south = sources
        catalogue.delete_source(resources, ADMIN, south, "South")
        kept = exact(resources)
        assert {source for _, source, _, _ in kept} == {north}

    def test_every_trigger_path_in_plain_sql(self, resources: Resources, sources: tuple[int, int]) -> None:
        north, south = sources
        with resources.uow() as uow:
            first, second, third, fourth, fifth, *rest = uow.session.scalars(
                select(QualityIssue.id).where(QualityIssue.source_id == north).order_by(QualityIssue.id)
            )
            for issue_id, change in (
                (first, {"dimension": "consistency"}),
                (second, {"source_id": south}),
                (third, {"source_id": None}),  # an issue without a source is not counted...
                (third, {"source_id": north}),  # ...until it has one again
                (fourth, {"tenant_id": "globex"}),
                (fifth, {"status": "open", "assignee_id": None}),  # no group changes
            ):
                uow.session.execute(update(QualityIssue).where(QualityIssue.id == issue_id).values(**change))
                kept_counts_match_the_issues(uow.session)
            uow.session.execute(delete(QualityIssue).where(QualityIssue.id.in_(rest[:3])))
            uow.commit()
        kept = exact(resources)
        assert _of(kept, north)[("consistency", "open")] == 1
        assert [tenant for tenant, *_ in kept if tenant != TENANT] == ["globex"]


def test_the_migration_counts_the_issues_already_there(empty_url: str) -> None:
    engine, before = just_before(empty_url, "0019")
    with build_session_factory(engine)() as session:
        sources = two_sources(session, TENANT)
        session.add_all(
            QualityIssue(
                tenant_id=TENANT,
                source_id=None if n % 7 == 0 else sources[n % 2].id,
                check_name="c",
                dimension=("validity", "completeness")[n % 3 % 2],
                status=("open", "acknowledged", "resolved")[n % 3],
            )
            for n in range(40)
        )
        session.commit()
    migrate.upgrade(engine)
    with build_session_factory(engine)() as session:
        kept = kept_counts_match_the_issues(session)
    assert sum(kept.values()) == 40 - 6, "the six issues without a source are not counted"
    # SQLite: insert, update, delete; PostgreSQL: those and truncate, each with its function
    installed = (3, 0) if engine.dialect.name == "sqlite" else (4, 4)
    assert triggers_and_functions(engine, "quality_issue_counts") == installed
    migrate.downgrade(engine, before)
    assert triggers_and_functions(engine, "quality_issue_counts") == (0, 0), (
        "a downgrade takes the triggers and functions too"
    )
    engine.dispose()


# Two writers at once (PostgreSQL: SQLite has one writer at a time) ----------------


@pytest.fixture
def postgres(pg_url: str, tmp_path: Path) -> Iterator[Resources]:
    built = build_resources(make_settings(tmp_path, pg_url))
    yield built
    built.close()


def _open_issues(session: Session, source: int, check: str) -> None:
    """A validity issue for every document of the source, as a rule files them."""
    found = select(Document.id, Document.source_id).where(Document.source_id == source)
    filing.open_issues(
        session, TENANT, found, check=check, dimension="validity", severity="warning", description="", now=NOW
    )


@pytest.mark.postgres_only
def test_two_transactions_filing_into_the_same_counts_at_once_both_count(postgres: Resources) -> None:
    source = ensure_source(postgres.uow(), ADMIN, "Busy", "csv")
    document_writer.upsert_documents(postgres, ADMIN, source, _documents("Busy"))
    with Session(postgres.engine) as first, Session(postgres.engine) as second:
        _open_issues(first, source, "first")
        while_waiting(postgres, first, second, lambda: _open_issues(second, source, "second"))
    assert _of(exact(postgres), source) == {("validity", "open"): 24}


@pytest.mark.postgres_only
def test_a_group_emptied_by_one_transaction_while_another_adds_to_it(postgres: Resources) -> None:
    source = ensure_source(postgres.uow(), ADMIN, "Busy", "csv")
    document_writer.upsert_documents(postgres, ADMIN, source, _documents("Busy"))
    with Session(postgres.engine) as session:
        _open_issues(session, source, "before")
        session.commit()
    with Session(postgres.engine) as first, Session(postgres.engine) as second:
        # Resolving all twelve empties (validity, open): its row is deleted, under the second's upsert.
        first.execute(update(QualityIssue).where(QualityIssue.source_id == source).values(status="resolved"))
        while_waiting(postgres, first, second, lambda: _open_issues(second, source, "after"))
    assert _of(exact(postgres), source) == {("validity", "resolved"): 12, ("validity", "open"): 12}
