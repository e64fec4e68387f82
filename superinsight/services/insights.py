"""What rule runs have taught: match rates over time, insights, patterns and the inbox."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, select, true, update

from superinsight.db.base import utcnow
from superinsight.db.models import (
    BusinessInsight,
    BusinessLogicAnalysisHistory,
    BusinessLogicNotification,
    BusinessPattern,
    BusinessRule,
)
from superinsight.resources import Resources
from superinsight.services import audit
from superinsight.services.context import Actor, require
from superinsight.services.errors import InvalidInputError, NotFoundError


@dataclass(frozen=True)
class RatePoint:
    rule: str
    at: datetime
    matched: int
    rate: float
    outcome: str


@dataclass(frozen=True)
class InsightCard:
    id: int
    insight_type: str
    title: str
    description: str
    impact: float
    recommendations: list[str]
    created_at: datetime
    acknowledged: bool


@dataclass(frozen=True)
class PatternRow:
    rule: str
    description: str
    strength: float


@dataclass(frozen=True)
class NotificationRow:
    id: int
    kind: str
    title: str
    message: str
    status: str
    created_at: datetime


def match_rates(resources: Resources, actor: Actor) -> list[RatePoint]:
    """One point per completed apply run: the lines of the match-rate chart."""
    require(actor, "documents.view")
    with resources.uow() as uow:
        rows = uow.session.execute(
            select(
                BusinessRule.name,
                BusinessLogicAnalysisHistory.completed_at,
                BusinessLogicAnalysisHistory.results_summary,
            )
            .join(BusinessRule, BusinessRule.id == BusinessLogicAnalysisHistory.rule_id)
            .where(
                BusinessLogicAnalysisHistory.tenant_id == actor.tenant_id,
                BusinessLogicAnalysisHistory.analysis_type == "apply",
                BusinessLogicAnalysisHistory.status == "completed",
            )
            .order_by(BusinessLogicAnalysisHistory.completed_at)
        ).all()
    return [
        RatePoint(name, at, summary["matched"], summary["rate"], summary["outcome"])
        for name, at, summary in rows
        if at is not None
    ]


def insights(
    resources: Resources, actor: Actor, *, include_acknowledged: bool = False, limit: int = 50
) -> list[InsightCard]:
    require(actor, "documents.view")
    query = select(BusinessInsight).where(BusinessInsight.tenant_id == actor.tenant_id)
    if not include_acknowledged:
        query = query.where(BusinessInsight.acknowledged_at.is_(None))
    with resources.uow() as uow:
        rows = uow.session.scalars(
            query.order_by(BusinessInsight.impact_score.desc(), BusinessInsight.id.desc()).limit(limit)
        ).all()
        return [
            InsightCard(
                row.id,
                row.insight_type,
                row.title,
                row.description,
                row.impact_score,
                list(row.recommendations),
                row.created_at,
                row.acknowledged_at is not None,
            )
            for row in rows
        ]


def acknowledge(resources: Resources, actor: Actor, insight_id: int) -> None:
    require(actor, "rules.edit")
    with resources.uow() as uow:
        insight = uow.session.get(BusinessInsight, insight_id)
        if insight is None or insight.tenant_id != actor.tenant_id:
            raise NotFoundError(f"insight {insight_id} does not exist")
        if insight.acknowledged_at is None:
            insight.acknowledged_at = utcnow()
            audit.record(uow.session, actor, "insight.acknowledge", "business_insight", insight_id)
            uow.commit()


def patterns(resources: Resources, actor: Actor) -> list[PatternRow]:
    require(actor, "documents.view")
    with resources.uow() as uow:
        rows = uow.session.execute(
            select(BusinessRule.name, BusinessPattern.description, BusinessPattern.strength)
            .join(BusinessRule, BusinessRule.id == BusinessPattern.rule_id)
            .where(BusinessPattern.tenant_id == actor.tenant_id)
            .order_by(BusinessPattern.strength.desc())
        ).all()
    return [PatternRow(*row) for row in rows]


def notifications(
    resources: Resources, actor: Actor, *, unread_only: bool = False, limit: int = 100
) -> list[NotificationRow]:
    """The tenant's notifications for this user, or for nobody in particular."""
    require(actor, "documents.view")
    query = select(BusinessLogicNotification).where(
        BusinessLogicNotification.tenant_id == actor.tenant_id,
        BusinessLogicNotification.status != "dismissed",
    )
    if actor.user_id is not None:
        query = query.where(
            (BusinessLogicNotification.user_id == actor.user_id) | BusinessLogicNotification.user_id.is_(None)
        )
    if unread_only:
        query = query.where(BusinessLogicNotification.status == "unread")
    with resources.uow() as uow:
        rows = uow.session.scalars(query.order_by(BusinessLogicNotification.id.desc()).limit(limit)).all()
        return [
            NotificationRow(r.id, r.notification_type, r.title, r.message, r.status, r.created_at)
            for r in rows
        ]


def mark_notifications(resources: Resources, actor: Actor, ids: Sequence[int], status: str) -> int:
    """Mark notifications read or dismissed; returns how many changed."""
    require(actor, "documents.view")
    if status not in ("read", "dismissed"):
        raise InvalidInputError("notifications can be marked read or dismissed")
    stamp: dict[str, Any] = {"status": status, "read_at" if status == "read" else "dismissed_at": utcnow()}
    mine = (
        (BusinessLogicNotification.user_id == actor.user_id) | BusinessLogicNotification.user_id.is_(None)
        if actor.user_id is not None
        else true()
    )
    with resources.uow() as uow:
        result: CursorResult[Any] = uow.session.execute(  # type: ignore[assignment]
            update(BusinessLogicNotification)
            .where(
                mine,
                BusinessLogicNotification.tenant_id == actor.tenant_id,
                BusinessLogicNotification.id.in_(list(ids)),
                BusinessLogicNotification.status != status,
            )
            .values(**stamp)
        )
        uow.commit()
        return int(result.rowcount or 0)
