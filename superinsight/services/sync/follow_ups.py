"""What follows a sync that changed documents: scoring, rules and the graph backlog, as jobs."""

from __future__ import annotations

from sqlalchemy import select

from superinsight.db.models import BusinessRule
from superinsight.resources import Resources
from superinsight.services.context import Actor, require, system_actor
from superinsight.services.graph import backlog as graph_backlog
from superinsight.services.quality import scoring as quality_scoring
from superinsight.services.rules import apply as rule_apply
from superinsight.services.scoping import visible_source


def enqueue_after_sync(resources: Resources, actor: Actor, source_id: int) -> list[str]:
    """Queue the follow-up jobs; returns their job ids.

    They run as the system actor (every active rule is applied, whoever ran the sync), so
    the caller must be one who may run this source's syncs.
    """
    require(actor, "sync.run")
    if not resources.settings.sync_follow_ups:
        return []
    with resources.uow() as uow:
        visible_source(uow.session, actor, source_id)
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
        ]
    job_ids += [rule_apply.start_apply(resources, system, rule_id)[1] for rule_id in rule_ids]
    drain = graph_backlog.drain_soon(resources, actor.tenant_id)
    return job_ids + ([drain] if drain else [])
