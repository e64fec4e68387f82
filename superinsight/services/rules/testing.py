"""Testing a rule before it is saved: what it matches, counted in SQL where it can be."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import and_, func, not_, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from superinsight.db import dialect
from superinsight.db.models import Document
from superinsight.resources import Resources
from superinsight.rules.explain import explain
from superinsight.rules.extensions import WORKBENCH
from superinsight.rules.jsonlogic import RuleError
from superinsight.rules.jsvalues import truthy
from superinsight.rules.sql import KeyKinds, NotExpressibleInSQLError, to_sql
from superinsight.rules.thresholds import Outcome, outcome
from superinsight.services.context import Actor, require
from superinsight.services.documents.key_kinds import known_kinds
from superinsight.services.documents.masking import masker
from superinsight.services.errors import InvalidInputError
from superinsight.services.rules.drafts import RuleDraft, check_draft, check_readable, field_catalog
from superinsight.services.rules.matching import document_data, document_fields
from superinsight.services.rules.views import tenant_rule
from superinsight.services.scoping import visible_sources

TEST_SECONDS = 10.0
STREAM_BATCH = 2000
ROW_BY_ROW_LIMIT = 20_000
"""A rule with no SQL form is tested on at most this many of the newest documents: Python reads
about 20,000 a second, and a test is a question asked while editing (applying checks them all)."""


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
    """How many documents were read when fewer than `total` (an estimate from the newest); else None."""

    @property
    def rate(self) -> float:
        read = self.evaluated if self.evaluated is not None else self.total
        return self.matched / read if read else 0.0


# Testing ----------------------------------------------------------------------


def _scope(actor: Actor, source_ids: Sequence[int] | None) -> list[Any]:
    conditions: list[Any] = [
        Document.tenant_id == actor.tenant_id,
        visible_sources(actor, Document.source_id),
    ]
    if source_ids:
        conditions.append(Document.source_id.in_(list(source_ids)))
    return conditions


def _count(session: Session, conditions: list[Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(Document).where(*conditions)) or 0)


def _stream_newest(session: Session, conditions: list[Any], limit: int) -> Iterator[Document]:
    query = select(Document).where(*conditions).order_by(Document.id.desc()).limit(limit)
    yield from session.scalars(query.execution_options(yield_per=STREAM_BATCH))


def _matches(rule: dict[str, Any], document: Document) -> bool:
    return truthy(WORKBENCH.apply(rule, document_data(document)))


@contextmanager
def _answered_in_time(session: Session) -> Iterator[None]:
    """A test that would run past TEST_SECONDS (on any store) stops and says so; nothing was saved."""
    try:
        with dialect.time_limited(session, TEST_SECONDS):
            yield
    except OperationalError as exc:
        if dialect.timed_out(exc):
            raise InvalidInputError(
                f"the test took longer than {TEST_SECONDS:.0f} s and was stopped; "
                "narrow the rule (a field instead of the content, fewer patterns) or test on one source"
            ) from None
        raise
    except RuleError as exc:
        raise InvalidInputError(f"the rule cannot be evaluated: {exc}") from None


def run_test(
    resources: Resources,
    actor: Actor,
    draft: RuleDraft,
    *,
    compare_with: int | None = None,
    source_ids: Sequence[int] | None = None,
    sample_size: int = 5,
) -> RuleTestReport:
    """Run a draft over the documents without saving anything: counts, samples and why they matched."""
    require(actor, "rules.edit")
    check_readable(resources, actor, draft)  # first: the catalog leaves out what is masked
    check_draft(draft, field_catalog(resources, actor))
    started = time.perf_counter()
    with resources.uow() as uow, _answered_in_time(uow.session):
        previous = tenant_rule(uow, actor, compare_with).body if compare_with is not None else None
        scope = _scope(actor, source_ids)
        try:
            known = known_kinds(uow.session, actor.tenant_id)
            counts = _test_in_sql(uow.session, draft, previous, scope, sample_size, known)
        except NotExpressibleInSQLError:
            counts = _test_row_by_row(uow.session, draft, previous, scope, sample_size)
        mask = masker(resources, uow.session, actor)
        # Reasons are explained from the masked document, so they cannot quote a masked value.
        shown = [(doc.id, mask(document_data(doc))) for doc in counts.found]
        samples = [Sample(doc_id, data["title"], explain(draft.body, data)) for doc_id, data in shown]
    judged = counts.evaluated if counts.evaluated is not None else counts.total
    return RuleTestReport(
        total=counts.total,
        matched=counts.matched,
        engine=counts.engine,
        samples=samples,
        outcome=_outcome(draft, counts.matched, judged),
        elapsed_ms=int((time.perf_counter() - started) * 1000),
        gained=counts.gained,
        lost=counts.lost,
        evaluated=counts.evaluated,
    )


def _outcome(draft: RuleDraft, matched: int, total: int) -> Outcome | None:
    return outcome(
        matched, total, mostly=draft.mostly, warn_after=draft.warn_after, error_after=draft.error_after
    )


class _TestCounts(NamedTuple):
    matched: int
    total: int
    engine: str
    found: list[Document]
    gained: int | None
    lost: int | None
    evaluated: int | None = None


def _test_in_sql(
    session: Session,
    draft: RuleDraft,
    previous: dict[str, Any] | None,
    scope: list[Any],
    sample_size: int,
    known: KeyKinds,
) -> _TestCounts:
    fields = document_fields()
    condition = to_sql(draft.body, fields, known)
    old = to_sql(previous, fields, known) if previous is not None else None
    # One pass over the documents for every count (FILTER works on both stores).
    counts = [func.count(), func.count().filter(condition)]
    if old is not None:
        counts += [
            func.count().filter(and_(condition, not_(old))),
            func.count().filter(and_(old, not_(condition))),
        ]
    total, matched, *changes = session.execute(select(*counts).select_from(Document).where(*scope)).one()
    samples = list(
        session.scalars(
            select(Document).where(*scope, condition).order_by(Document.id.desc()).limit(sample_size)
        )
    )
    gained, lost = (int(changes[0]), int(changes[1])) if changes else (None, None)
    return _TestCounts(int(matched), int(total), "database", samples, gained, lost)


def _test_row_by_row(
    session: Session, draft: RuleDraft, previous: dict[str, Any] | None, scope: list[Any], sample_size: int
) -> _TestCounts:
    """The newest ROW_BY_ROW_LIMIT documents evaluated in Python; counts are among those."""
    matched = gained = lost = read = 0
    samples: list[Document] = []
    for document in _stream_newest(session, scope, ROW_BY_ROW_LIMIT):
        read += 1
        now = _matches(draft.body, document)
        matched += now
        if now and len(samples) < sample_size:
            samples.append(document)
        if previous is not None:
            before = _matches(previous, document)
            gained += now and not before
            lost += before and not now
    total = _count(session, scope) if read == ROW_BY_ROW_LIMIT else read
    evaluated = read if read < total else None
    if previous is None:
        return _TestCounts(matched, total, "row by row", samples, None, None, evaluated)
    return _TestCounts(matched, total, "row by row", samples, gained, lost, evaluated)
