"""What needs a person today: the Overview's to-do list, counted per kind of item.

Each kind is listed only to an actor who may act on it (a count nobody can do anything
about is noise, and a link to a page whose buttons are hidden is a dead end), and only
from the sources they may see. Every count is bounded: it reads rows per job, source,
conflict, insight or project, never per document.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from superinsight.db.models import (
    BusinessInsight,
    DataQualityScore,
    DataSource,
    LabelingProject,
    SyncExecution,
    SyncJob,
)
from superinsight.quality.dimensions import DIMENSIONS
from superinsight.quality.expectations import ExpectationError, parse
from superinsight.quality.thresholds import state
from superinsight.resources import Resources
from superinsight.services.context import Actor, require
from superinsight.services.labeling.projects import within_reach
from superinsight.services.scoping import visible_sources
from superinsight.services.sync import conflicts as sync_conflicts

# Each kind of item, and the permissions that acting on it takes (every one of them).
ACTS_ON: dict[str, tuple[str, ...]] = {
    "sync_runs": ("sync.run",),
    "conflicts": ("sync.run", "documents.edit"),
    "quality": ("quality.triage",),
    "insights": ("rules.edit",),
    "labeling": ("labeling.launch",),
}
FAILED_RUN_STATES = ("failed", "partial")


@dataclass(frozen=True)
class Item:
    kind: str
    count: int


@dataclass(frozen=True)
class Attention:
    items: list[Item]
    """Only kinds with something waiting, in the order of ACTS_ON."""
    may_act: bool
    """Whether the actor may act on any kind at all (a viewer may not: the page says so)."""


def _may_act_on(actor: Actor, kind: str) -> bool:
    """Whether the actor may take the action an item of this kind asks for."""
    return all(actor.can(permission) for permission in ACTS_ON[kind])


def _failing_jobs(session: Session, actor: Actor) -> int:
    """Jobs whose latest run failed or stopped part way (a queued retry is a newer run)."""
    latest = (
        select(SyncExecution.status)
        .where(SyncExecution.job_id == SyncJob.id)  # ix_sync_executions_job_id_created_at
        .order_by(SyncExecution.created_at.desc(), SyncExecution.id.desc())
        .limit(1)
        .correlate(SyncJob)
        .scalar_subquery()
    )
    query = (
        select(func.count())
        .select_from(SyncJob)
        .where(
            SyncJob.tenant_id == actor.tenant_id,
            visible_sources(actor, SyncJob.source_id),
            latest.in_(FAILED_RUN_STATES),
        )
    )
    return int(session.scalar(query) or 0)


def _below_threshold(session: Session, actor: Actor) -> int:
    """Sources whose newest score is under a warn or fail level their expectations set.

    One newest score per source (ix_data_quality_scores_scope), so the cost follows the
    number of sources, not of documents or of scoring runs. A score that dropped past a
    level raised a quality_drop notification when it did; this still counts it while it
    stays there, and it also reaches users narrowed to some sources, who do not get the
    workspace's notifications.
    """
    newest = (
        select(DataQualityScore.id)
        .where(
            DataQualityScore.tenant_id == actor.tenant_id,
            DataQualityScore.scope_type == "source",
            DataQualityScore.scope_id == cast(DataSource.id, String),
        )
        .order_by(DataQualityScore.computed_at.desc(), DataQualityScore.id.desc())
        .limit(1)
        .correlate(DataSource)
        .scalar_subquery()
    )
    rows = session.execute(
        select(DataSource.expectations, DataQualityScore)
        .join(DataQualityScore, DataQualityScore.id == newest)
        .where(DataSource.tenant_id == actor.tenant_id, visible_sources(actor, DataSource.id))
    ).all()
    return sum(1 for expectations, score in rows if _under_a_level(expectations, score))


def _under_a_level(raw: dict[str, Any], score: DataQualityScore) -> bool:
    if not raw.get("thresholds"):
        return False
    try:
        thresholds = parse(raw).thresholds
    except ExpectationError:
        return False  # scoring names broken expectations; there is no level to be under
    values: dict[str, Any] = {name: getattr(score, name) for name in (*DIMENSIONS, "overall")}
    values |= dict(score.details.get("checks") or {})
    return any(state(values.get(scope), levels) != "ok" for scope, levels in thresholds.items())


def _new_insights(session: Session, actor: Actor) -> int:
    """Insights nobody acknowledged yet (at most one per rule, kind and title: findings are kept once)."""
    if actor.source_ids is not None:
        return 0  # insights are drawn from every source of the workspace: not shown to a narrowed user
    query = (
        select(func.count())
        .select_from(BusinessInsight)
        .where(BusinessInsight.tenant_id == actor.tenant_id, BusinessInsight.acknowledged_at.is_(None))
    )
    return int(session.scalar(query) or 0)


def _never_pulled(session: Session, actor: Actor) -> int:
    """Launched projects whose annotations were never pulled.

    Annotations live in Label Studio until a pull brings them here, so the workbench's
    own tables cannot tell which tasks were annotated since a pull (asking Label Studio
    from the landing page would make it wait on another server); a project never
    pulled is what they can tell for sure.
    """
    query = (
        select(func.count())
        .select_from(LabelingProject)
        .where(
            LabelingProject.status == "ready",
            LabelingProject.last_pulled_at.is_(None),
            within_reach(actor),
        )
    )
    return int(session.scalar(query) or 0)


COUNTERS = {
    "sync_runs": _failing_jobs,
    "conflicts": sync_conflicts.pending_in,
    "quality": _below_threshold,
    "insights": _new_insights,
    "labeling": _never_pulled,
}


def attention(resources: Resources, actor: Actor) -> Attention:
    """What waits on this actor today, kind by kind, counting only what they may see and act on."""
    require(actor, "documents.view")
    kinds = [kind for kind in ACTS_ON if _may_act_on(actor, kind)]
    items = []
    with resources.uow() as uow:
        for kind in kinds:
            count = COUNTERS[kind](uow.session, actor)
            if count:
                items.append(Item(kind, count))
    return Attention(items, bool(kinds))
