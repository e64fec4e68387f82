"""Quality issues as people see and triage them (scoring files them: `filing`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import aliased

from superinsight.db.base import utcnow
from superinsight.db.models import Document, QualityIssue, QualityIssueCount, User
from superinsight.resources import Resources
from superinsight.services import audit
from superinsight.services.context import Actor, require
from superinsight.services.documents.masking import masker
from superinsight.services.errors import InvalidInputError
from superinsight.services.graph import backlog as graph_backlog
from superinsight.services.quality.filing import CHECK_PREFIX
from superinsight.services.scoping import visible_source, visible_sources
from superinsight.vocabulary import ISSUE_STATUSES

STATUSES = ISSUE_STATUSES
MAX_BULK = 5000


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
