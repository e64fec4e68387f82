"""What follows a sync that changed documents: scoring, rules and lineage, as jobs."""

from __future__ import annotations

from sqlalchemy import select

from superinsight.adapters.graph import Edge, Node, NodeRef
from superinsight.db.models import BusinessRule, DataSource, Document
from superinsight.resources import Resources, current_resources
from superinsight.services.context import Actor, internal, system_actor
from superinsight.services.quality import scoring as quality_scoring
from superinsight.services.rules import apply as rule_apply

GRAPH_BATCH = 1000


def enqueue_after_sync(resources: Resources, actor: Actor, source_id: int) -> list[str]:
    """Queue the follow-up jobs; returns their job ids."""
    if not resources.settings.sync_follow_ups:
        return []
    with resources.uow() as uow:
        rule_ids = uow.session.scalars(
            select(BusinessRule.id).where(
                BusinessRule.tenant_id == actor.tenant_id, BusinessRule.is_active.is_(True)
            )
        ).all()
    system = system_actor(actor.tenant_id, actor.user_id)
    with resources.active():
        job_ids = [
            resources.jobs.enqueue(
                quality_scoring.score_source_job, actor.tenant_id, actor.user_id, source_id
            ),
            resources.jobs.enqueue(project_source_job, actor.tenant_id, source_id),
        ]
    job_ids += [rule_apply.start_apply(resources, system, rule_id)[1] for rule_id in rule_ids]
    return job_ids


@internal("a follow-up job queued by a guarded sync run for its own tenant")
def project_source_job(tenant_id: str, source_id: int) -> None:
    """Lineage: the source and each of its documents, linked, in the graph store."""
    project_source(current_resources(), tenant_id, source_id)


@internal("a follow-up job queued by a guarded sync run for its own tenant")
def project_source(resources: Resources, tenant_id: str, source_id: int) -> int:
    source_ref = NodeRef("Source", str(source_id))
    with resources.uow() as uow:
        name = uow.session.scalar(
            select(DataSource.name).where(DataSource.id == source_id, DataSource.tenant_id == tenant_id)
        )
        if name is None:
            return 0
        resources.graph.merge_nodes(tenant_id, [Node(source_ref, {"name": name})])
        projected = 0
        last_id = 0
        while True:
            rows = uow.session.execute(
                select(Document.id, Document.external_id, Document.title)
                .where(Document.source_id == source_id, Document.id > last_id)
                .order_by(Document.id)
                .limit(GRAPH_BATCH)
            ).all()
            if not rows:
                return projected
            refs = [NodeRef("Document", str(doc_id)) for doc_id, _, _ in rows]
            resources.graph.merge_nodes(
                tenant_id,
                [
                    Node(ref, {"external_id": external_id, "title": title[:200]})
                    for ref, (_, external_id, title) in zip(refs, rows, strict=True)
                ],
            )
            resources.graph.merge_edges(tenant_id, [Edge(source_ref, ref, "CONTAINS") for ref in refs])
            projected += len(rows)
            last_id = rows[-1][0]
