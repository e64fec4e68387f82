"""What an apply run teaches: notifications, insights and patterns among the matched documents."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from superinsight import insights
from superinsight.db.base import utcnow
from superinsight.db.models import (
    BusinessInsight,
    BusinessLogicNotification,
    BusinessPattern,
    BusinessRule,
    BusinessRuleApplication,
    Document,
)
from superinsight.rules.fields import fields_read

PATTERN_SAMPLE = 2000


def notify_run(
    session: Session, rule: BusinessRule, kind: str, title: str, message: str, data: dict[str, Any]
) -> None:
    session.add(
        BusinessLogicNotification(
            tenant_id=rule.tenant_id,
            user_id=rule.owner_id,
            notification_type=kind,
            title=title,
            message=message,
            data=data,
        )
    )


def _store(session: Session, rule: BusinessRule, finding: insights.Finding) -> None:
    """Keep a finding; one the rule already has (same kind and title) is refreshed, not repeated.

    A rule that still matches nothing, or still overlaps another, finds the same thing on
    every run: a new card and notification each time would undo an acknowledgement.
    """
    impact = round(min(max(finding.impact, 0.0), 1.0), 3)
    known = session.scalar(
        select(BusinessInsight).where(
            BusinessInsight.rule_id == rule.id,
            BusinessInsight.insight_type == finding.kind,
            BusinessInsight.title == finding.title,
        )
    )
    if known is not None:
        known.description, known.impact_score = finding.description, impact
        known.recommendations, known.data_points = finding.recommendations, finding.data_points
        return
    session.add(
        BusinessInsight(
            tenant_id=rule.tenant_id,
            rule_id=rule.id,
            insight_type=finding.kind,
            title=finding.title,
            description=finding.description,
            impact_score=impact,
            recommendations=finding.recommendations,
            data_points=finding.data_points,
        )
    )
    notify_run(
        session,
        rule,
        "insight_generated",
        finding.title,
        finding.description,
        {"rule_id": rule.id, "insight": finding.kind},
    )


def learn_from_run(
    session: Session, rule: BusinessRule, summary: dict[str, Any], previous: dict[str, Any] | None
) -> None:
    """Insights from comparing this run with the last one; patterns among what matched."""
    findings, news = insights.from_run(rule.name, summary, previous)
    for item in news:
        notify_run(session, rule, item.kind, item.title, item.message, {"rule_id": rule.id})
    for finding in [
        *findings,
        *insights.overlaps(rule.name, summary["matched"], _shared_matches(session, rule)),
    ]:
        _store(session, rule, finding)
    _store_patterns(session, rule)


def _shared_matches(session: Session, rule: BusinessRule) -> list[tuple[int, str, int]]:
    """Other active rules of the tenant and how many of this rule's matches they match too."""
    mine = select(BusinessRuleApplication.document_id).where(
        BusinessRuleApplication.rule_id == rule.id, BusinessRuleApplication.rule_version == rule.version
    )
    rows = session.execute(
        select(BusinessRule.id, BusinessRule.name, func.count(BusinessRuleApplication.id))
        .join(
            BusinessRuleApplication,
            and_(
                BusinessRuleApplication.rule_id == BusinessRule.id,
                BusinessRuleApplication.rule_version == BusinessRule.version,
            ),
        )
        .where(
            BusinessRule.tenant_id == rule.tenant_id,
            BusinessRule.id != rule.id,
            BusinessRule.is_active.is_(True),
            BusinessRuleApplication.document_id.in_(mine),
        )
        .group_by(BusinessRule.id, BusinessRule.name)
    ).all()
    return [(other_id, name, int(shared)) for other_id, name, shared in rows]


def _store_patterns(session: Session, rule: BusinessRule) -> None:
    """The rule's patterns among its newest matches against the newest documents, replacing older ones."""
    matched_meta = session.scalars(
        select(Document.meta)
        .join(BusinessRuleApplication, BusinessRuleApplication.document_id == Document.id)
        .where(
            BusinessRuleApplication.rule_id == rule.id, BusinessRuleApplication.rule_version == rule.version
        )
        .order_by(Document.id.desc())
        .limit(PATTERN_SAMPLE)
    ).all()
    if not matched_meta:
        return
    overall_meta = session.scalars(
        select(Document.meta)
        .where(Document.tenant_id == rule.tenant_id)
        .order_by(Document.id.desc())
        .limit(PATTERN_SAMPLE)
    ).all()
    session.query(BusinessPattern).filter(BusinessPattern.rule_id == rule.id).delete()
    now = utcnow()
    for pattern in insights.patterns(matched_meta, overall_meta, fields_read(rule.body)):
        session.add(
            BusinessPattern(
                tenant_id=rule.tenant_id,
                rule_id=rule.id,
                pattern_type="co_occurrence",
                description=pattern.description,
                strength=round(min(pattern.support, 1.0), 3),
                evidence=[
                    {
                        "field": pattern.key,
                        "value": pattern.value,
                        "support": pattern.support,
                        "lift": pattern.lift,
                    }
                ],
                detected_at=now,
                last_seen=now,
            )
        )
