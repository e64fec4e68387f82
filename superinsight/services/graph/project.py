"""Projecting workbench rows into the graph store: read in batches, decide with `lineage.projection`, merge.

Each projector takes what one backlog note names (a sync run, a rule, an issue,
a source's issues) and merges its current state, with the documents its edges
reach (so an uploaded document a rule matched arrives whole, with its source);
`rebuild` clears the tenant's graph and projects everything. All are idempotent:
projecting twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from superinsight.db.models import (
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
from superinsight.lineage import projection as shape
from superinsight.lineage.projection import Projection
from superinsight.resources import Resources
from superinsight.services.context import internal

BATCH = 1000


def _write(resources: Resources, tenant_id: str, projection: Projection) -> None:
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


def _batches(session: Session, query: Any, id_column: Any) -> Iterator[Sequence[Any]]:
    """Rows of `query` in id order, a batch at a time (keyset, so a batch costs the same anywhere)."""
    last = None
    while True:
        page = query if last is None else query.where(id_column > last)
        rows = session.execute(page.order_by(id_column).limit(BATCH)).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _documents(resources: Resources, tenant_id: str, *where: ColumnElement[bool]) -> int:
    """Project documents (with the run that last wrote each, and the entities they mention)."""
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
        for rows in _batches(uow.session, query, Document.id):
            projection = Projection()
            for row in rows:
                projection.add(shape.document(shape.DocumentRow(*row), fields))
            _write(resources, tenant_id, projection)
            projected += len(rows)
    return projected


def _sources_and_jobs(resources: Resources, tenant_id: str, *where: ColumnElement[bool]) -> None:
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
    _write(resources, tenant_id, projection)


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
    _sources_and_jobs(resources, tenant_id, SyncJob.id == run.job_id)
    touched = [] if run.started_at is None else [Document.last_synced_at >= run.started_at]
    _documents(resources, tenant_id, Document.sync_job_id == run.job_id, *touched)


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
        _write(resources, tenant_id, projection)
        for rule in rules:
            matched = select(BusinessRuleApplication.document_id).where(
                BusinessRuleApplication.rule_id == rule.id,
                BusinessRuleApplication.rule_version == rule.version,
            )
            for rows in _batches(uow.session, matched, BusinessRuleApplication.document_id):
                ids = [row[0] for row in rows]
                _documents(resources, tenant_id, Document.id.in_(ids))
                _write(resources, tenant_id, shape.matches(rule.id, rule.version, ids))
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
        for rows in _batches(uow.session, query, QualityIssue.id):
            _documents(resources, tenant_id, Document.id.in_({row.document_id for row in rows} - {None}))
            projection = Projection()
            for row in rows:
                projection.add(shape.issue(shape.IssueRow(*row)))
            _write(resources, tenant_id, projection)


@internal("projects an issue a guarded triage changed, for that issue's tenant")
def project_issue(resources: Resources, tenant_id: str, issue_id: int) -> None:
    _issues(resources, tenant_id, QualityIssue.id == issue_id)


@internal("projects the issues a guarded scoring filed for a source of its tenant")
def project_source_issues(resources: Resources, tenant_id: str, source_id: int) -> None:
    _issues(resources, tenant_id, QualityIssue.source_id == source_id)


@internal("rebuilds one tenant's graph from its own rows; started by a guarded call")
def rebuild(resources: Resources, tenant_id: str) -> int:
    """Clear the tenant's graph and project every source, job, document, rule, insight and issue."""
    resources.graph.ensure_schema(shape.LABELS)
    resources.graph.clear(tenant_id)
    _sources_and_jobs(resources, tenant_id)
    documents = _documents(resources, tenant_id)
    _rules(resources, tenant_id)
    _issues(resources, tenant_id)
    return documents
