"""Documents as pages read them: a page of the list, one document with its lineage, documents per day."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from superinsight.db.models import (
    Annotation,
    BusinessRule,
    BusinessRuleApplication,
    DataSource,
    Document,
    DocumentArrival,
    QualityIssue,
    SyncJob,
)
from superinsight.labeling.labels import label_names
from superinsight.resources import Resources
from superinsight.services.context import Actor, require
from superinsight.services.documents.arrivals import within_reach
from superinsight.services.documents.masking import masker
from superinsight.services.errors import NotFoundError
from superinsight.services.scoping import visible_sources
from superinsight.vocabulary import plural


@dataclass(frozen=True)
class DocumentRow:
    id: int
    source: str | None
    external_id: str
    title: str
    tags: list[str]
    created_at: datetime


def list_documents(
    resources: Resources, actor: Actor, *, before_id: int | None = None, limit: int = 50
) -> list[DocumentRow]:
    """Newest first, paged by id (keyset), so page 1,000 costs what page 1 does."""
    require(actor, "documents.view")
    query = (
        select(
            Document.id,
            DataSource.name,
            Document.external_id,
            Document.title,
            Document.tags,
            Document.created_at,
        )
        .outerjoin(DataSource, DataSource.id == Document.source_id)
        .where(Document.tenant_id == actor.tenant_id, visible_sources(actor, Document.source_id))
        .order_by(Document.id.desc())
        .limit(min(max(limit, 1), 500))
    )
    if before_id is not None:
        query = query.where(Document.id < before_id)
    with resources.uow() as uow:
        mask = masker(resources, uow.session, actor)
        rows = []
        for doc_id, source, external_id, title, tags, created_at in uow.session.execute(query):
            shown = mask({"title": title, "external_id": external_id})
            rows.append(
                DocumentRow(doc_id, source, shown["external_id"], shown["title"], mask.tags(tags), created_at)
            )
        return rows


@dataclass(frozen=True)
class DocumentDetail:
    id: int
    source: str | None
    external_id: str
    title: str
    content: str
    metadata: dict[str, Any]
    tags: list[str]
    created_at: datetime
    matched_rules: list[str] = field(default_factory=list)
    open_issues: list[str] = field(default_factory=list)
    annotations: list[AnnotationView] = field(default_factory=list)
    lineage: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class AnnotationView:
    completed_by: str | None
    labels: list[str]
    created_at: datetime


def _lineage(
    session: Session, document: Document, source: str | None, rules: list[str], issues: int, annotations: int
) -> list[tuple[str, str]]:
    """Where the document came from and what it has been through, oldest step first."""
    steps = [("source", source or "uploaded file")]
    if document.sync_job_id is not None:
        job = session.scalar(select(SyncJob.name).where(SyncJob.id == document.sync_job_id))
        synced = f", last synced {document.last_synced_at:%Y-%m-%d %H:%M}" if document.last_synced_at else ""
        steps.append(("sync", f"{job} (version {document.sync_version}{synced})"))
    if document.edited_at is not None:
        steps.append(("edited", f"edited in the workbench {document.edited_at:%Y-%m-%d %H:%M}"))
    if document.sync_status == "conflict":
        steps.append(("conflict", "waits for a conflict to be resolved on the Sync page"))
    steps += [("rule", name) for name in rules]
    if issues:
        steps.append(("quality", plural(issues, "open issue")))
    if annotations:
        steps.append(("labeling", f"{plural(annotations, 'annotation')} from Label Studio"))
    return steps


def get_document(resources: Resources, actor: Actor, document_id: int) -> DocumentDetail:
    require(actor, "documents.view")
    with resources.uow() as uow:
        found = uow.session.execute(
            select(Document, DataSource.name)
            .outerjoin(DataSource, DataSource.id == Document.source_id)
            .where(
                Document.id == document_id,
                Document.tenant_id == actor.tenant_id,
                visible_sources(actor, Document.source_id),
            )
        ).one_or_none()
        if found is None:
            raise NotFoundError(f"document {document_id} does not exist")
        document, source = found
        shown = masker(resources, uow.session, actor)(
            {
                "title": document.title,
                "content": document.content,
                "external_id": document.external_id,
                "metadata": document.meta,
                "tags": list(document.tags),
            }
        )
        matched_rules = uow.session.scalars(
            select(BusinessRule.name)
            .join(BusinessRuleApplication, BusinessRuleApplication.rule_id == BusinessRule.id)
            .where(
                BusinessRuleApplication.document_id == document.id,
                BusinessRuleApplication.rule_version == BusinessRule.version,
            )
            .order_by(BusinessRule.name)
        ).all()
        open_issues = uow.session.scalars(
            select(QualityIssue.check_name).where(
                QualityIssue.document_id == document.id, QualityIssue.status != "resolved"
            )
        ).all()
        annotations = [
            AnnotationView(row.completed_by, label_names(row.result), row.created_at)
            for row in uow.session.scalars(
                select(Annotation).where(Annotation.document_id == document.id).order_by(Annotation.id)
            )
        ]
        return DocumentDetail(
            document.id,
            source,
            shown["external_id"],
            shown["title"],
            shown["content"],
            shown["metadata"],
            shown["tags"],
            document.created_at,
            list(matched_rules),
            list(open_issues),
            annotations,
            _lineage(uow.session, document, source, list(matched_rules), len(open_issues), len(annotations)),
        )


def documents_per_day(resources: Resources, actor: Actor) -> list[tuple[date, str, int]]:
    """How many documents arrived each day (UTC) from each source, for the overview chart.

    Read from the counts the writers keep (`arrivals`): a few rows per source and day,
    exact after every write, so there is nothing to cache.
    """
    require(actor, "documents.view")
    day = DocumentArrival.day
    query = (
        select(day, func.coalesce(DataSource.name, "uploads"), func.sum(DocumentArrival.documents))
        .outerjoin(DataSource, DataSource.id == DocumentArrival.source_id)
        .where(*within_reach(actor, DocumentArrival))
        .group_by(day, DataSource.name)
        .order_by(day, DataSource.name)
    )
    with resources.uow() as uow:
        return [(on, name, int(count)) for on, name, count in uow.session.execute(query)]
