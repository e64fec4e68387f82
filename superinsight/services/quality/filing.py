"""Filing quality issues: one per failing document and check, opened and resolved by scoring and rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, false, func, insert, literal, select, update
from sqlalchemy.orm import Session

from superinsight.db.models import Document, QualityIssue
from superinsight.quality.dimensions import DIMENSION_SEVERITY

CHECK_PREFIX = "expectation: "
DUPLICATE = f"{CHECK_PREFIX}not a duplicate of an earlier document"


@dataclass(frozen=True)
class Check:
    """One expectation as SQL: what passing means for a document, and where a failure is filed."""

    name: str
    dimension: str
    severity: str
    passes: ColumnElement[bool]
    fails: ColumnElement[bool] | None = None
    """How to find failing documents when `NOT passes` would stop the planner from joining."""

    @property
    def failing(self) -> ColumnElement[bool]:
        return self.fails if self.fails is not None else ~func.coalesce(self.passes, false())


def duplicate_check(source_id: int) -> Check:
    """Uniqueness per document: the same title and text as an earlier document of the source.

    A window over (title, content) numbers each group's documents once; a
    correlated "is there an earlier one" probe would compare every pair.
    """
    numbered = (
        select(
            Document.id.label("id"),
            func.row_number()
            .over(partition_by=(Document.title, Document.content), order_by=Document.id)
            .label("position"),
        )
        .where(Document.source_id == source_id)
        .subquery()
    )
    repeats = select(numbered.c.id).where(numbered.c.position > 1)
    severity = DIMENSION_SEVERITY["uniqueness"]
    return Check(DUPLICATE, "uniqueness", severity, Document.id.not_in(repeats), Document.id.in_(repeats))


def _unresolved() -> ColumnElement[bool]:
    return QualityIssue.status != "resolved"


def file(session: Session, tenant_id: str, source_id: int, checks: Sequence[Check], now: datetime) -> None:
    """Open issues for newly failing documents and resolve those that pass again."""
    every = [*checks, duplicate_check(source_id)]
    scoring = (
        QualityIssue.tenant_id == tenant_id,
        QualityIssue.source_id == source_id,
        QualityIssue.rule_id.is_(None),
        QualityIssue.check_name.like(f"{CHECK_PREFIX}%"),
        _unresolved(),
    )
    session.execute(
        update(QualityIssue)
        .where(*scoring, QualityIssue.check_name.not_in([check.name for check in every]))
        .values(status="resolved", resolved_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    for check in every:
        in_source = (Document.tenant_id == tenant_id, Document.source_id == source_id)
        filed = select(QualityIssue.document_id).where(*scoring, QualityIssue.check_name == check.name)
        # A set difference, as in open_issues: no anti join for the planner to misjudge.
        passing_again = filed.except_(select(Document.id).where(*in_source, check.failing))
        session.execute(
            update(QualityIssue)
            .where(
                *scoring, QualityIssue.check_name == check.name, QualityIssue.document_id.in_(passing_again)
            )
            .values(status="resolved", resolved_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        open_issues(
            session,
            tenant_id,
            select(Document.id, Document.source_id).where(*in_source, check.failing),
            source_id=source_id,
            check=check.name,
            dimension=check.dimension,
            severity=check.severity,
            description=f"{check.dimension}: {check.name.removeprefix(CHECK_PREFIX)}",
            now=now,
        )


def open_issues(
    session: Session,
    tenant_id: str,
    found: Select[int, int | None],
    *,
    check: str,
    dimension: str,
    severity: str,
    description: str,
    now: datetime,
    rule_id: int | None = None,
    source_id: int | None = None,
) -> None:
    """An open issue for each (document id, source id) row `found` yields with none open, in one
    INSERT ... SELECT; `source_id` when every row is of that source.

    EXCEPT takes away those open: a NOT EXISTS anti join, on counts not analysed since the
    source before was scored, was planned as a nested loop over every open issue of the
    check per failing document (a 200,000-document seeding stalled there). A set difference
    is hashed or sorted whatever the estimates; issues keep their document's source.
    """
    same = (
        QualityIssue.rule_id == rule_id
        if rule_id is not None
        else and_(QualityIssue.rule_id.is_(None), QualityIssue.check_name == check)
    )
    already = select(QualityIssue.document_id, QualityIssue.source_id).where(
        QualityIssue.tenant_id == tenant_id, same, _unresolved()
    )
    if source_id is not None:  # on the index by tenant and source
        already = already.where(QualityIssue.source_id == source_id)
    rows = found.except_(already).subquery()
    documents, sources = rows.c
    session.execute(
        insert(QualityIssue).from_select(
            [
                "tenant_id",
                "document_id",
                "source_id",
                "rule_id",
                "check_name",
                "dimension",
                "severity",
                "status",
                "description",
                "details",
                "created_at",
                "updated_at",
            ],
            select(
                literal(tenant_id),
                documents,
                sources,
                literal(rule_id, QualityIssue.rule_id.type),
                literal(check),
                literal(dimension),
                literal(severity),
                literal("open"),
                literal(description),
                literal({}, QualityIssue.details.type),
                literal(now),
                literal(now),
            ),
        )
    )
