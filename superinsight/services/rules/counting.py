"""Counting what a rule matches: in SQL where it has a SQL form, row by row where it has not.

A test asks these on a bounded read (every document of a small scope, a random sample of
a large one, the newest of a row-by-row rule); the exact count of a large scope asks the
same functions with no bound, as a job (`exact_counts`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

from sqlalchemy import and_, func, not_, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from superinsight.db import dialect
from superinsight.db.models import Document, DocumentArrival
from superinsight.rules.extensions import WORKBENCH
from superinsight.rules.jsonlogic import RuleError
from superinsight.rules.jsvalues import truthy
from superinsight.rules.sql import KeyKinds, to_sql
from superinsight.services.context import Actor, internal
from superinsight.services.documents.arrivals import within_reach
from superinsight.services.errors import InvalidInputError
from superinsight.services.rules.matching import document_data, document_fields
from superinsight.services.scoping import visible_sources

STREAM_BATCH = 2000
ROW_BY_ROW_LIMIT = 20_000
"""A rule with no SQL form is tested on at most this many of the newest documents: Python reads
about 20,000 a second, and a test is a question asked while editing (its exact count is a job)."""


class Counts(NamedTuple):
    matched: int
    total: int
    engine: str
    found: list[Document]
    gained: int | None
    lost: int | None
    evaluated: int | None = None
    """How many documents the counts are among, when fewer than `total` were read; else None."""


def implied_matches(counts: Counts) -> int:
    """The matches over all `total` documents: those counted, or what the rate among those read implies."""
    if counts.evaluated is None:
        return counts.matched
    return round(counts.matched / counts.evaluated * counts.total) if counts.evaluated else 0


def in_sql(
    session: Session,
    body: dict[str, Any],
    previous: dict[str, Any] | None,
    scope: list[Any],
    sample_size: int,
    known: KeyKinds,
) -> Counts:
    """Every count in one pass over the scope (FILTER works on both stores), then the newest matches."""
    fields = document_fields()
    condition = to_sql(body, fields, known)
    old = to_sql(previous, fields, known) if previous is not None else None
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
        if sample_size
        else ()
    )
    gained, lost = (int(changes[0]), int(changes[1])) if changes else (None, None)
    return Counts(int(matched), int(total), "database", samples, gained, lost)


def row_by_row(
    session: Session,
    body: dict[str, Any],
    previous: dict[str, Any] | None,
    scope: list[Any],
    sample_size: int,
    limit: int | None,
    progress: Callable[[int], None] = lambda read: None,
) -> Counts:
    """The newest `limit` documents (all of them for None) evaluated in Python; counts are among those."""
    matched = gained = lost = read = 0
    samples: list[Document] = []
    for document in _stream_newest(session, scope, limit):
        read += 1
        now = _matches(body, document)
        matched += now
        if now and len(samples) < sample_size:
            samples.append(document)
        if previous is not None:
            before = _matches(previous, document)
            gained += now and not before
            lost += before and not now
        if read % STREAM_BATCH == 0:
            progress(read)
    total = count(session, scope) if read == limit else read
    evaluated = read if read < total else None
    if previous is None:
        return Counts(matched, total, "row by row", samples, None, None, evaluated)
    return Counts(matched, total, "row by row", samples, gained, lost, evaluated)


@internal("builds conditions for a query inside a guarded call and reads nothing itself")
def scope_of(actor: Actor, source_ids: Sequence[int] | None) -> list[Any]:
    """The documents a test reads: the tenant's, within the actor's reach, of the sources picked."""
    conditions: list[Any] = [
        Document.tenant_id == actor.tenant_id,
        visible_sources(actor, Document.source_id),
    ]
    if source_ids:
        conditions.append(Document.source_id.in_(list(source_ids)))
    return conditions


def in_scope(session: Session, actor: Actor, source_ids: Sequence[int] | None) -> int:
    """How many documents `scope_of` holds, from the counts the writers keep (no document is read)."""
    conditions = within_reach(actor, DocumentArrival, source_ids or ())
    return int(session.scalar(select(func.sum(DocumentArrival.documents)).where(*conditions)) or 0)


def count(session: Session, scope: list[Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(Document).where(*scope)) or 0)


@contextmanager
def within(session: Session, seconds: float, too_long: str) -> Iterator[None]:
    """Statements past `seconds` stop (either store) and say `too_long`; a rule that cannot run says why."""
    try:
        with dialect.time_limited(session, seconds):
            yield
    except OperationalError as exc:
        if dialect.timed_out(exc):
            raise InvalidInputError(too_long) from None
        raise
    except RuleError as exc:
        raise InvalidInputError(f"the rule cannot be evaluated: {exc}") from None


def _stream_newest(session: Session, scope: list[Any], limit: int | None) -> Iterator[Document]:
    query = select(Document).where(*scope).order_by(Document.id.desc()).limit(limit)
    yield from session.scalars(query.execution_options(yield_per=STREAM_BATCH))


def _matches(rule: dict[str, Any], document: Document) -> bool:
    return truthy(WORKBENCH.apply(rule, document_data(document)))
