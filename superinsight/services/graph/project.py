"""Projecting workbench rows into the graph store: read in batches, decide with `lineage.projection`, merge.

Each projector takes what one backlog note names (a sync run, a rule, an issue,
a source's issues, documents an import wrote, a source) and merges its current
state, with the documents its edges reach (so an uploaded document a rule matched
arrives whole, with its source); what no longer exists leaves the graph.
`rebuild` clears the tenant's graph and projects everything. All are idempotent:
projecting twice changes nothing. Labeling projects are in `labelled`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from superinsight.db.models import (
    Annotation,
    BusinessInsight,
    BusinessRule,
    BusinessRuleApplication,
    DataSource,
    Document,
    QualityIssue,
    SyncExecution,
    SyncJob,
    TransformationRule,
)
from superinsight.db.models.graph import GraphEntityField
from superinsight.labeling.labels import entity_spans
from superinsight.lineage import projection as shape
from superinsight.lineage.projection import Projection
from superinsight.lineage.values import NodeRef
from superinsight.resources import Resources
from superinsight.services.context import internal
from superinsight.services.graph import labelled

BATCH = 1000


@internal("merges what a projector decided for the tenant it was given")
def write(resources: Resources, tenant_id: str, projection: Projection) -> None:
    resources.graph.merge_nodes(tenant_id, projection.nodes)
    resources.graph.merge_edges(tenant_id, projection.edges)


def entity_fields(session: Session, tenant_id: str) -> list[str]:
    return list(
        session.scalars(
            select(GraphEntityField.field)
            .where(GraphEntityField.tenant_id == tenant_id)
            .order_by(GraphEntityField.field)
        )
    )


def batches(session: Session, query: Any, id_column: Any) -> Iterator[Sequence[Any]]:
    """Rows of `query` in id order, a batch at a time (keyset, so a batch costs the same anywhere)."""
    last = None
    while True:
        page = query if last is None else query.where(id_column > last)
        rows = session.execute(page.order_by(id_column).limit(BATCH)).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _spans(session: Session, tenant_id: str, ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """The named entities annotators marked in each document, in any project, first marked first."""
    spans: dict[int, list[tuple[str, str]]] = {}
    for doc_id, result in session.execute(
        select(Annotation.document_id, Annotation.result)
        .where(Annotation.tenant_id == tenant_id, Annotation.document_id.in_(ids))
        .order_by(Annotation.id)
    ):
        found = spans.setdefault(doc_id, [])
        found.extend(span for span in entity_spans(result) if span not in found)
    return spans


def _holders(session: Session, tenant_id: str, source_ids: set[int | None]) -> Projection:
    rows = session.execute(
        select(DataSource.id, DataSource.name, DataSource.source_type).where(
            DataSource.tenant_id == tenant_id, DataSource.id.in_(source_ids - {None})
        )
    )
    return Projection([node for row in rows for node in shape.source(shape.SourceRow(*row)).nodes])


@internal("removes, after a projector of that tenant wrote documents, the mentions they no longer make")
def forget_mentions(resources: Resources, tenant_id: str, ids: list[int], projection: Projection) -> None:
    """What the documents no longer mention (a metadata value changed, an annotation deleted) goes,
    and an entity no document mentions any more goes with it."""
    kept: dict[NodeRef, set[NodeRef]] = {shape.ref(shape.DOCUMENT, i): set() for i in ids}
    for edge in projection.edges:
        if edge.rel_type == shape.MENTIONS:
            kept[edge.source].add(edge.target)
    gone = resources.graph.keep_only(tenant_id, shape.MENTIONS, kept)
    if gone:
        resources.graph.delete_orphans(tenant_id, shape.ENTITY, sorted(ref.key for ref in gone))


@internal("projects a tenant's documents for a projector of that tenant")
def documents(resources: Resources, tenant_id: str, *where: ColumnElement[bool], fresh: bool = False) -> int:
    """Project documents (with the run that last wrote each, and the entities they mention).

    `fresh` says the graph was just cleared, so there is no stale mention to look for.
    """
    run = (
        select(func.max(SyncExecution.id))
        .where(
            SyncExecution.job_id == Document.sync_job_id, SyncExecution.started_at <= Document.last_synced_at
        )
        .scalar_subquery()
    )
    query = select(
        Document.id,
        Document.source_id,
        Document.sync_job_id,
        run,
        Document.sync_version,
        Document.title,
        Document.external_id,
        Document.meta,
    ).where(Document.tenant_id == tenant_id, *where)
    projected = 0
    with resources.uow() as uow:
        fields = entity_fields(uow.session, tenant_id)
        for rows in batches(uow.session, query, Document.id):
            ids = [row[0] for row in rows]
            spans = _spans(uow.session, tenant_id, ids)
            projection = Projection()
            for row in rows:
                row_shape = replace(shape.DocumentRow(*row), labelled=spans.get(row[0], []))
                projection.add(shape.document(row_shape, fields))
            if not fresh:  # an uploaded document's source may not be in the graph yet: no bare node
                projection.add(_holders(uow.session, tenant_id, {row.source_id for row in rows}))
            write(resources, tenant_id, projection)
            if not fresh:
                forget_mentions(resources, tenant_id, ids, projection)
            projected += len(rows)
    return projected


@internal("projects a tenant's sources and jobs for a projector of that tenant")
def sources_and_jobs(resources: Resources, tenant_id: str, *where: ColumnElement[bool]) -> None:
    with resources.uow() as uow:
        jobs = uow.session.execute(
            select(SyncJob.id, SyncJob.source_id, SyncJob.name, SyncJob.mode).where(
                SyncJob.tenant_id == tenant_id, *where
            )
        ).all()
        source_ids = {job.source_id for job in jobs}
        sources = uow.session.execute(
            select(DataSource.id, DataSource.name, DataSource.source_type).where(
                DataSource.tenant_id == tenant_id, *([] if where == () else [DataSource.id.in_(source_ids)])
            )
        ).all()
        steps = uow.session.execute(
            select(
                TransformationRule.id,
                TransformationRule.job_id,
                SyncJob.source_id,
                TransformationRule.position,
                TransformationRule.transformation_type,
            )
            .join(SyncJob, SyncJob.id == TransformationRule.job_id)
            .where(TransformationRule.job_id.in_([job.id for job in jobs]))
        ).all()
    projection = Projection()
    for source in sources:
        projection.add(shape.source(shape.SourceRow(*source)))
    for job in jobs:
        job_steps = [shape.StepRow(*step) for step in steps if step.job_id == job.id]
        projection.add(shape.job(shape.JobRow(*job), job_steps))
    write(resources, tenant_id, projection)


@internal("projects a run a guarded sync finished, for that run's tenant")
def project_run(resources: Resources, tenant_id: str, run_id: int) -> None:
    """The run's job and source, and the documents the run wrote."""
    with resources.uow() as uow:
        run = uow.session.execute(
            select(SyncExecution.job_id, SyncExecution.started_at).where(
                SyncExecution.id == run_id, SyncExecution.tenant_id == tenant_id
            )
        ).one_or_none()
    if run is None:
        return
    sources_and_jobs(resources, tenant_id, SyncJob.id == run.job_id)
    touched = [] if run.started_at is None else [Document.last_synced_at >= run.started_at]
    documents(resources, tenant_id, Document.sync_job_id == run.job_id, *touched)


def _rules(resources: Resources, tenant_id: str, *where: ColumnElement[bool]) -> None:
    """Rules, the documents their current version matched, and the insights about them."""
    with resources.uow() as uow:
        rules = uow.session.execute(
            select(
                BusinessRule.id,
                BusinessRule.name,
                BusinessRule.version,
                BusinessRule.severity,
                BusinessRule.action,
            ).where(BusinessRule.tenant_id == tenant_id, *where)
        ).all()
        insights = uow.session.execute(
            select(
                BusinessInsight.id,
                BusinessInsight.rule_id,
                BusinessInsight.title,
                BusinessInsight.insight_type,
            ).where(
                BusinessInsight.tenant_id == tenant_id, BusinessInsight.rule_id.in_([r.id for r in rules])
            )
        ).all()
        projection = Projection()
        for rule in rules:
            projection.add(shape.rule(shape.RuleRow(*rule)))
        for insight in insights:
            projection.add(shape.insight(shape.InsightRow(*insight)))
        write(resources, tenant_id, projection)
        for rule in rules:
            matched = select(BusinessRuleApplication.document_id).where(
                BusinessRuleApplication.rule_id == rule.id,
                BusinessRuleApplication.rule_version == rule.version,
            )
            for rows in batches(uow.session, matched, BusinessRuleApplication.document_id):
                ids = [row[0] for row in rows]
                documents(resources, tenant_id, Document.id.in_(ids))
                write(resources, tenant_id, shape.matches(rule.id, rule.version, ids))
            # What an earlier version matched and this one does not is no longer a match.
            resources.graph.prune_edges(
                tenant_id, shape.ref(shape.RULE, rule.id), shape.MATCHED, ("version", rule.version)
            )


@internal("projects a rule a guarded apply just ran (or a guarded delete removed), for that rule's tenant")
def project_rule(resources: Resources, tenant_id: str, rule_id: int) -> None:
    with resources.uow() as uow:
        exists = uow.session.scalar(
            select(BusinessRule.id).where(BusinessRule.id == rule_id, BusinessRule.tenant_id == tenant_id)
        )
    if exists is None:
        resources.graph.delete_nodes(tenant_id, [shape.ref(shape.RULE, rule_id)])
        return
    _rules(resources, tenant_id, BusinessRule.id == rule_id)
    _issues(resources, tenant_id, QualityIssue.rule_id == rule_id)


def _issues(resources: Resources, tenant_id: str, *where: ColumnElement[bool]) -> None:
    query = select(
        QualityIssue.id,
        QualityIssue.document_id,
        QualityIssue.source_id,
        QualityIssue.check_name,
        QualityIssue.severity,
        QualityIssue.status,
    ).where(QualityIssue.tenant_id == tenant_id, *where)
    with resources.uow() as uow:
        for rows in batches(uow.session, query, QualityIssue.id):
            documents(resources, tenant_id, Document.id.in_({row.document_id for row in rows} - {None}))
            projection = Projection()
            for row in rows:
                projection.add(shape.issue(shape.IssueRow(*row)))
            write(resources, tenant_id, projection)


@internal("projects an issue a guarded triage changed, for that issue's tenant")
def project_issue(resources: Resources, tenant_id: str, issue_id: int) -> None:
    _issues(resources, tenant_id, QualityIssue.id == issue_id)


@internal("projects the issues a guarded scoring filed for a source of its tenant")
def project_source_issues(resources: Resources, tenant_id: str, source_id: int) -> None:
    _issues(resources, tenant_id, QualityIssue.source_id == source_id)


@internal("rebuilds one tenant's graph from its own rows; started by a guarded call")
def rebuild(resources: Resources, tenant_id: str) -> int:
    """Clear the tenant's graph and project every source, job, document, rule, insight, issue and
    labeling project."""
    resources.graph.ensure_schema(shape.LABELS)
    resources.graph.clear(tenant_id)
    sources_and_jobs(resources, tenant_id)
    projected = documents(resources, tenant_id, fresh=True)
    _rules(resources, tenant_id)
    _issues(resources, tenant_id)
    labelled.project_all(resources, tenant_id)
    return projected
