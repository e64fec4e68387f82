"""Insights as pages read them: match rates over time, insight cards, patterns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from superinsight.db.base import utcnow
from superinsight.db.models import (
    BusinessInsight,
    BusinessLogicAnalysisHistory,
    BusinessPattern,
    BusinessRule,
)
from superinsight.resources import Resources
from superinsight.services import audit
from superinsight.services.context import Actor, require
from superinsight.services.documents.masking import masker
from superinsight.services.errors import NotFoundError


@dataclass(frozen=True)
class RatePoint:
    rule: str
    at: datetime
    matched: int
    rate: float
    outcome: str | None


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


def match_rates(resources: Resources, actor: Actor) -> list[RatePoint]:
    """One point per completed apply run: the lines of the match-rate chart.

    Runs count every source of the workspace, so a user narrowed to some sources gets none.
    """
    require(actor, "documents.view")
    if actor.source_ids is not None:
        return []
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
    if actor.source_ids is not None:
        return []  # insights are drawn from every source of the workspace
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
    if actor.source_ids is not None:
        return []  # patterns are found among every source's documents
    with resources.uow() as uow:
        rows = uow.session.execute(
            select(
                BusinessRule.name,
                BusinessPattern.description,
                BusinessPattern.strength,
                BusinessPattern.evidence,
            )
            .join(BusinessRule, BusinessRule.id == BusinessPattern.rule_id)
            .where(BusinessPattern.tenant_id == actor.tenant_id)
            .order_by(BusinessPattern.strength.desc())
        ).all()
        mask = masker(resources, uow.session, actor)
    # A pattern quotes a metadata value: none about a field masked for the actor, and
    # masking patterns applied to the sentence as to any text.
    return [
        PatternRow(rule, mask.value("content", description), strength)
        for rule, description, strength, evidence in rows
        if not any(
            mask.hides_metadata(str(item.get("field", "")).removeprefix("metadata."))
            for item in evidence or []
        )
    ]
