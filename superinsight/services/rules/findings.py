"""What an apply run teaches: notifications, insights and patterns among the matched documents."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from superinsight.db.base import utcnow
from superinsight.db.models import (
    BusinessInsight,
    BusinessLogicNotification,
    BusinessPattern,
    BusinessRule,
    BusinessRuleApplication,
    Document,
)

PATTERN_SAMPLE = 2000
MIN_SUPPORT = 0.5
MIN_LIFT = 1.5
RATE_SHIFT = 0.05


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


def _insight(
    session: Session,
    rule: BusinessRule,
    kind: str,
    title: str,
    description: str,
    impact: float,
    recommendations: list[str],
    data_points: list[Any],
) -> None:
    session.add(
        BusinessInsight(
            tenant_id=rule.tenant_id,
            rule_id=rule.id,
            insight_type=kind,
            title=title,
            description=description,
            impact_score=round(min(max(impact, 0.0), 1.0), 3),
            recommendations=recommendations,
            data_points=data_points,
        )
    )
    notify_run(session, rule, "insight_generated", title, description, {"rule_id": rule.id, "insight": kind})


def learn_from_run(
    session: Session, rule: BusinessRule, summary: dict[str, Any], previous: dict[str, Any] | None
) -> None:
    """Insights from comparing this run with the last one; patterns among what matched."""
    matched, rate = summary["matched"], summary["rate"]
    if matched == 0 and summary["total"] > 0:
        _insight(
            session,
            rule,
            "rule_never_matches",
            f"“{rule.name}” matched nothing",
            f"None of {summary['total']:,} documents matched.",
            0.3,
            ["Check the field names and values in the condition", "Disable the rule if it is obsolete"],
            [summary],
        )
    if previous is not None:
        shift = rate - previous["rate"]
        if abs(shift) >= RATE_SHIFT:
            direction = "rose" if shift > 0 else "fell"
            _insight(
                session,
                rule,
                "match_rate_shift",
                f"“{rule.name}” match rate {direction} to {rate:.1%}",
                f"From {previous['rate']:.1%} to {rate:.1%} since the previous run.",
                abs(shift),
                ["Look at the newest matches for what changed"],
                [previous, summary],
            )
        if previous["outcome"] == "pass" and summary["outcome"] != "pass":
            notify_run(
                session,
                rule,
                "quality_drop",
                f"“{rule.name}” now {summary['outcome']}s",
                f"{matched:,} documents fail it (was {previous['matched']:,}).",
                {"rule_id": rule.id},
            )
    elif summary["outcome"] != "pass":
        notify_run(
            session,
            rule,
            "rule_change",
            f"“{rule.name}” {summary['outcome']}s on its first run",
            f"{matched:,} documents fail it.",
            {"rule_id": rule.id},
        )
    _find_overlaps(session, rule, summary)
    _find_patterns(session, rule, summary)


def _find_overlaps(session: Session, rule: BusinessRule, summary: dict[str, Any]) -> None:
    """Another active rule whose matches are mostly the same documents is probably redundant."""
    mine = select(BusinessRuleApplication.document_id).where(
        BusinessRuleApplication.rule_id == rule.id, BusinessRuleApplication.rule_version == rule.version
    )
    others = session.execute(
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
    for other_id, other_name, shared in others:
        if summary["matched"] and shared / summary["matched"] >= 0.8:
            _insight(
                session,
                rule,
                "rules_overlap",
                f"“{rule.name}” overlaps “{other_name}”",
                f"{shared:,} of its {summary['matched']:,} matches are also matched by “{other_name}”.",
                shared / summary["matched"],
                ["Merge the two rules or narrow one of them"],
                [{"other_rule_id": other_id, "shared": shared}],
            )


def _find_patterns(session: Session, rule: BusinessRule, summary: dict[str, Any]) -> None:
    """Metadata values far more common among matches than among all documents (support and lift)."""
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
    inside, everywhere = _value_counts(matched_meta), _value_counts(overall_meta)
    session.query(BusinessPattern).filter(BusinessPattern.rule_id == rule.id).delete()
    now = utcnow()
    for (key, value), count in inside.most_common(20):
        support = count / len(matched_meta)
        base = everywhere.get((key, value), 0) / max(len(overall_meta), 1)
        lift = support / base if base else 0.0
        if support >= MIN_SUPPORT and lift >= MIN_LIFT:
            session.add(
                BusinessPattern(
                    tenant_id=rule.tenant_id,
                    rule_id=rule.id,
                    pattern_type="co_occurrence",
                    description=f"{support:.0%} of matches have {key} = {value} ({lift:.1f} times the usual)",
                    strength=round(min(support, 1.0), 3),
                    evidence=[{"field": key, "value": value, "support": support, "lift": lift}],
                    detected_at=now,
                    last_seen=now,
                )
            )


def _value_counts(metadata: Sequence[dict[str, Any]]) -> Counter[tuple[str, Any]]:
    counts: Counter[tuple[str, Any]] = Counter()
    for meta in metadata:
        counts.update(
            (f"metadata.{key}", value)
            for key, value in meta.items()
            if isinstance(value, str | bool) or (isinstance(value, int) and abs(value) < 1000)
        )
    return counts
