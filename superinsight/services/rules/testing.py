"""Testing a rule before it is saved: what it matches, read in bounds so the answer comes while editing."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from superinsight.db import dialect
from superinsight.resources import Resources
from superinsight.rules.explain import explain
from superinsight.rules.sql import NotExpressibleInSQLError
from superinsight.rules.thresholds import Outcome, outcome
from superinsight.services.context import Actor, require
from superinsight.services.documents import sampling
from superinsight.services.documents.key_kinds import known_kinds
from superinsight.services.documents.masking import masker
from superinsight.services.rules import counting, exact_counts
from superinsight.services.rules.counting import Counts
from superinsight.services.rules.drafts import RuleDraft, check_draft, check_readable, field_catalog
from superinsight.services.rules.matching import document_data
from superinsight.services.rules.views import tenant_rule

TEST_SECONDS = 10.0
ESTIMATE_ABOVE = 100_000
"""Past this many documents in scope, a test on PostgreSQL counts a random sample and queues the
exact count as a job: a regex over 100,000 documents' content already takes about a third of a second."""


@dataclass(frozen=True)
class Sample:
    document_id: int
    title: str
    reasons: list[str]


@dataclass(frozen=True)
class RuleTestReport:
    total: int
    matched: int
    engine: str
    samples: list[Sample]
    outcome: Outcome | None  # None: the rule sets no thresholds, so nothing to pass or fail
    elapsed_ms: int
    gained: int | None = None
    lost: int | None = None
    evaluated: int | None = None
    """How many documents the counts are among when fewer than `total` were read; else None."""
    sampled: bool = False
    """Whether those were a random sample (True) or the newest documents (a row-by-row rule)."""
    exact: exact_counts.CountRequest | None = None
    """What the exact count's job counts (queued when the test read fewer than `total`)."""
    exact_job: str | None = None
    counted_at: datetime | None = None
    """When the figures were counted exactly by a job; None when this test counted them."""
    implied_matches: int = 0
    """The matches over all `total` documents (`matched` itself when every one was read)."""

    @property
    def rate(self) -> float:
        read = self.evaluated if self.evaluated is not None else self.total
        return self.matched / read if read else 0.0


def run_test(
    resources: Resources,
    actor: Actor,
    draft: RuleDraft,
    *,
    compare_with: int | None = None,
    source_ids: Sequence[int] | None = None,
    sample_size: int = 5,
) -> RuleTestReport:
    """Run a draft over the documents without saving anything: counts, samples and why they matched.

    A large scope is read as a random sample (PostgreSQL) and a row-by-row rule as its
    newest documents; either way the exact figures are then counted by a job, and a later
    test of the same draft shows them with their time.
    """
    require(actor, "rules.edit")
    check_readable(resources, actor, draft)  # first: the catalog leaves out what is masked
    check_draft(draft, field_catalog(resources, actor))
    started = time.perf_counter()
    sources = list(source_ids) if source_ids else None
    too_long = (
        f"the test took longer than {TEST_SECONDS:.0f} s and was stopped; "
        "narrow the rule (a field instead of the content, fewer patterns) or test on one source"
    )
    with resources.uow() as uow, counting.within(uow.session, TEST_SECONDS, too_long):
        previous = tenant_rule(uow, actor, compare_with).body if compare_with is not None else None
        request = exact_counts.request_for(resources, actor, draft.body, previous, sources)
        counts = _read(uow.session, actor, request, sample_size)
        mask = masker(resources, uow.session, actor)
        # Reasons are explained from the masked document, so they cannot quote a masked value.
        shown = [(doc.id, mask(document_data(doc))) for doc in counts.found]
        samples = [Sample(doc_id, data["title"], explain(draft.body, data)) for doc_id, data in shown]
    # Figures a job counted for these very documents replace an estimate (never a count made now).
    kept = exact_counts.kept(resources, request) if counts.evaluated is not None else None
    if kept is not None:
        counts = counts._replace(
            matched=kept.matched, total=kept.total, gained=kept.gained, lost=kept.lost, evaluated=None
        )
    estimated = counts.evaluated is not None
    # Thresholds judge the whole scope: an estimate is judged on the matches its rate implies.
    implied = counting.implied_matches(counts)
    return RuleTestReport(
        total=counts.total,
        matched=counts.matched,
        engine=counts.engine,
        samples=samples,
        outcome=_outcome(draft, implied, counts.total),
        elapsed_ms=int((time.perf_counter() - started) * 1000),
        gained=counts.gained,
        lost=counts.lost,
        evaluated=counts.evaluated,
        sampled=estimated and counts.engine == "database",
        exact=request if estimated else None,
        exact_job=exact_counts.queue(resources, request) if estimated else None,
        counted_at=kept.counted_at if kept is not None else None,
        implied_matches=implied,
    )


def _read(session: Session, actor: Actor, request: exact_counts.CountRequest, sample_size: int) -> Counts:
    """The test's bounded read: every document of a small scope, a sample of a large one."""
    sources = list(request.source_ids) if request.source_ids else None
    scope = counting.scope_of(actor, sources)
    try:
        known = known_kinds(session, actor.tenant_id)
        # SQLite has no TABLESAMPLE; the embedded store holds workspaces small enough to count.
        in_scope = counting.in_scope(session, actor, sources) if dialect.is_postgresql(session) else 0
        if in_scope <= ESTIMATE_ABOVE:
            return counting.in_sql(session, request.body, request.previous, scope, sample_size, known)
        sample = [*scope, sampling.randomly_sampled(session, actor.tenant_id, in_scope)]
        counts = counting.in_sql(session, request.body, request.previous, sample, sample_size, known)
        return counts._replace(total=in_scope, evaluated=counts.total)
    except NotExpressibleInSQLError:
        return counting.row_by_row(
            session, request.body, request.previous, scope, sample_size, counting.ROW_BY_ROW_LIMIT
        )


def _outcome(draft: RuleDraft, matched: int, total: int) -> Outcome | None:
    return outcome(
        matched, total, mostly=draft.mostly, warn_after=draft.warn_after, error_after=draft.error_after
    )
