"""Quality issues: one per failing document and check, filed and resolved by scoring, triaged in bulk."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, func, insert, literal, select, update
from sqlalchemy.orm import Session, aliased

from superinsight.db.base import utcnow
from superinsight.db.models import Document, QualityIssue, QualityIssueCount, User
from superinsight.quality.dimensions import DIMENSION_SEVERITY
from superinsight.resources import Resources
from superinsight.services import audit
from superinsight.services.context import Actor, require
from superinsight.services.documents.masking import masker
from superinsight.services.errors import InvalidInputError
from superinsight.services.graph import backlog as graph_backlog
from superinsight.services.scoping import visible_source, visible_sources
from superinsight.vocabulary import ISSUE_STATUSES

STATUSES = ISSUE_STATUSES
CHECK_PREFIX = "expectation: "
DUPLICATE = f"{CHECK_PREFIX}not a duplicate of an earlier document"
MAX_BULK = 5000


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
        failing_ids = select(Document.id.label("id")).where(*in_source, check.failing).subquery()
        still_failing = select(failing_ids.c.id).where(failing_ids.c.id == QualityIssue.document_id).exists()
        session.execute(
            update(QualityIssue)
            .where(*scoring, QualityIssue.check_name == check.name, ~still_failing)
            .values(status="resolved", resolved_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        open_issues(
            session,
            tenant_id,
            select(Document.id, Document.source_id).where(*in_source, check.failing),
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
) -> None:
    """An open issue for each (document id, source id) row `found` yields and none is open for, in
    one INSERT ... SELECT.

    Issues already open are taken away by EXCEPT, not by a NOT EXISTS per row: the anti
    join a NOT EXISTS becomes was planned, on counts not yet analysed after the source
    before was scored, as a nested loop reading every open issue of the check once per
    failing document (56,000 by 77,000 rows: a seeding of 200,000 documents stalled there).
    A set difference is hashed or sorted whatever the estimates. An issue keeps the source
    of its document (documents do not move), so the pairs compare as the documents'.
    """
    same = (
        QualityIssue.rule_id == rule_id
        if rule_id is not None
        else and_(QualityIssue.rule_id.is_(None), QualityIssue.check_name == check)
    )
    already = select(QualityIssue.document_id, QualityIssue.source_id).where(
        QualityIssue.tenant_id == tenant_id, same, _unresolved()
    )
    rows = found.except_(already).subquery()
    document_id, source_id = rows.c
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
                document_id,
                source_id,
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


@dataclass(frozen=True)
class IssueRow:
    id: int
    document_id: int | None
    title: str
    check: str
    dimension: str
    severity: str
    status: str
    assignee: str | None
    created_at: datetime


def issues(
    resources: Resources,
    actor: Actor,
    source_id: int,
    *,
    dimension: str | None = None,
    status: str | None = "open",
    limit: int = 200,
) -> list[IssueRow]:
    """The drill-down from a score: failing documents of the source, by dimension and status."""
    require(actor, "documents.view")
    assignee = aliased(User)
    query = (
        select(QualityIssue, Document.title, assignee.email)
        .outerjoin(Document, Document.id == QualityIssue.document_id)
        .outerjoin(assignee, assignee.id == QualityIssue.assignee_id)
        .where(QualityIssue.tenant_id == actor.tenant_id, QualityIssue.source_id == source_id)
        .order_by(QualityIssue.id.desc())
        .limit(min(max(limit, 1), 1000))
    )
    if dimension is not None:
        query = query.where(QualityIssue.dimension == dimension)
    if status is not None:
        query = query.where(QualityIssue.status == status)
    with resources.uow() as uow:
        visible_source(uow.session, actor, source_id)
        mask = masker(resources, uow.session, actor)
        return [
            IssueRow(
                issue.id,
                issue.document_id,
                mask.value("title", title or ""),
                issue.check_name.removeprefix(CHECK_PREFIX),
                issue.dimension,
                issue.severity,
                issue.status,
                email,
                issue.created_at,
            )
            for issue, title, email in uow.session.execute(query)
        ]


def counts(resources: Resources, actor: Actor, source_id: int) -> dict[tuple[str, str], int]:
    """How many issues the source has, by (dimension, status).

    Kept by the database with every change to an issue (migration 0019): grouping the
    source's issues on each render took 128-141 ms at 200,000 documents (issue 18).
    """
    require(actor, "documents.view")
    with resources.uow() as uow:
        visible_source(uow.session, actor, source_id)
        rows = uow.session.execute(
            select(QualityIssueCount.dimension, QualityIssueCount.status, QualityIssueCount.issues).where(
                QualityIssueCount.tenant_id == actor.tenant_id, QualityIssueCount.source_id == source_id
            )
        ).all()
    return {(dimension, status): int(count) for dimension, status, count in rows}


def triage(
    resources: Resources,
    actor: Actor,
    issue_ids: Sequence[int],
    *,
    status: str | None = None,
    assignee_id: int | None = None,
) -> int:
    """Change the status and/or assignee of many issues at once; all or none.

    One UPDATE for them all: on PostgreSQL each statement runs the issue counts' trigger
    once (migration 0019): 5,000 one-row UPDATEs took about a second longer.
    """
    require(actor, "quality.triage")
    ids = sorted(set(issue_ids))
    if not ids or len(ids) > MAX_BULK:
        raise InvalidInputError(f"choose 1 to {MAX_BULK:,} issues")
    if status is None and assignee_id is None:
        raise InvalidInputError("choose a new status or an assignee")
    if status is not None and status not in ISSUE_STATUSES:
        raise InvalidInputError(f"status must be one of {', '.join(ISSUE_STATUSES)}")
    changes = {
        name: value for name, value in (("status", status), ("assignee_id", assignee_id)) if value is not None
    }
    values: dict[str, Any] = dict(changes)
    if status is not None:
        values["resolved_at"] = utcnow() if status == "resolved" else None
    with resources.uow() as uow:
        if (
            assignee_id is not None
            and uow.session.scalar(
                select(User.id).where(User.id == assignee_id, User.tenant_id == actor.tenant_id)
            )
            is None
        ):
            raise InvalidInputError("that assignee is not a user of this workspace")
        changed = uow.session.execute(
            update(QualityIssue)
            .where(
                QualityIssue.id.in_(ids),
                QualityIssue.tenant_id == actor.tenant_id,
                visible_sources(actor, QualityIssue.source_id),
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if changed.rowcount != len(ids):  # type: ignore[attr-defined]
            raise InvalidInputError("some of those issues do not exist; nothing was changed")
        audit.record(
            uow.session, actor, "quality_issue.triage", "quality_issue", None, after={"ids": ids, **changes}
        )
        for issue_id in ids:
            graph_backlog.note(uow.session, actor.tenant_id, "issue", issue_id)
        uow.commit()
    graph_backlog.drain_soon(resources, actor.tenant_id)
    return len(ids)
