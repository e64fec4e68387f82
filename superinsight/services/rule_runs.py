"""Applying a rule to every document as a job, and what each run teaches: insights and patterns.

A run records which documents the rule's current version matched, in batches
that each commit (so a crash loses at most one batch, and re-running adds no
duplicates), then compares itself with the previous run of the same rule.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from superinsight.adapters.jobs import report_progress
from superinsight.db.base import utcnow
from superinsight.db.models import (
    BusinessInsight,
    BusinessLogicAnalysisHistory,
    BusinessLogicNotification,
    BusinessPattern,
    BusinessRule,
    BusinessRuleApplication,
    Document,
    QualityIssue,
)
from superinsight.resources import Resources, current_resources
from superinsight.rules import sqlfuncs
from superinsight.rules.extensions import WORKBENCH
from superinsight.rules.jsvalues import truthy
from superinsight.rules.sql import NotExpressibleInSQLError, to_sql
from superinsight.rules.thresholds import outcome
from superinsight.services import audit, quality_issues
from superinsight.services.context import Actor, require, require_whole_tenant, system_actor
from superinsight.services.matching import document_data, document_fields
from superinsight.services.rules import tenant_rule

APPLY_BATCH = 5000
PATTERN_SAMPLE = 2000
MIN_SUPPORT = 0.5
MIN_LIFT = 1.5
RATE_SHIFT = 0.05


@dataclass(frozen=True)
class ApplyResult:
    analysis_id: int
    matched: int
    total: int
    outcome: str
    engine: str


def start_apply(resources: Resources, actor: Actor, rule_id: int) -> tuple[int, str]:
    """Record a run as started and hand it to the job queue; returns (run id, job id)."""
    run_id = new_run(resources, actor, rule_id)
    with resources.active():
        job_id = resources.jobs.enqueue(apply_rule_job, actor.tenant_id, actor.user_id, rule_id, run_id)
    return run_id, job_id


def new_run(resources: Resources, actor: Actor, rule_id: int) -> int:
    """A run of the rule's current version, recorded as running before any work starts."""
    require(actor, "rules.apply")
    require_whole_tenant(actor, "apply rules to every document")
    with resources.uow() as uow:
        rule = tenant_rule(uow, actor, rule_id)
        run = BusinessLogicAnalysisHistory(
            tenant_id=actor.tenant_id,
            rule_id=rule_id,
            analysis_type="apply",
            parameters={"rule_version": rule.version},
            status="running",
        )
        uow.session.add(run)
        uow.session.flush()
        audit.record(uow.session, actor, "rule.apply", "business_rule", rule_id, after={"run": run.id})
        uow.commit()
        return run.id


def apply_rule_job(tenant_id: str, user_id: int | None, rule_id: int, run_id: int) -> None:
    """The job a worker runs (importable by name, so RQ can find it)."""
    apply_rule(current_resources(), system_actor(tenant_id, user_id), rule_id, run_id)


def apply_rule(resources: Resources, actor: Actor, rule_id: int, run_id: int) -> ApplyResult:
    require(actor, "rules.apply")
    started = time.perf_counter()
    try:
        result = _apply(resources, actor, rule_id, run_id, started)
    except Exception as exc:
        with resources.uow() as uow:
            run = uow.session.get(BusinessLogicAnalysisHistory, run_id)
            if run is not None:
                run.status, run.error_message, run.completed_at = "failed", str(exc)[:2000], utcnow()
                uow.commit()
        raise
    return result


def _insert_ignore(session: Session, model: Any) -> Any:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model)


def _apply(resources: Resources, actor: Actor, rule_id: int, run_id: int, started: float) -> ApplyResult:
    with resources.uow() as uow:
        rule = tenant_rule(uow, actor, rule_id)
        body, version = rule.body, rule.version
        bounds = uow.session.execute(
            select(func.min(Document.id), func.max(Document.id), func.count()).where(
                Document.tenant_id == actor.tenant_id
            )
        ).one()
    low, high, total = bounds[0] or 0, bounds[1] or -1, int(bounds[2])
    try:
        condition = to_sql(body, document_fields())
        engine = "database"
    except NotExpressibleInSQLError:
        condition, engine = None, "row by row"
    matched = 0
    for start in range(low, high + 1, APPLY_BATCH):
        with resources.uow() as uow:
            in_batch = [
                Document.tenant_id == actor.tenant_id,
                Document.id >= start,
                Document.id < start + APPLY_BATCH,
            ]
            matched += _record_batch(uow.session, actor, rule_id, version, run_id, body, condition, in_batch)
            uow.commit()
        report_progress((start + APPLY_BATCH - low) / max(high + 1 - low, 1), f"{matched:,} matched so far")
    with resources.uow() as uow:
        rule = tenant_rule(uow, actor, rule_id)
        run = uow.session.get(BusinessLogicAnalysisHistory, run_id)
        assert run is not None
        verdict = outcome(
            matched, total, mostly=rule.mostly, warn_after=rule.warn_after, error_after=rule.error_after
        )
        summary = {
            "matched": matched,
            "total": total,
            "rate": matched / total if total else 0.0,
            "outcome": verdict,
            "engine": engine,
            "rule_version": version,
        }
        previous = _previous_summary(uow.session, rule_id, run_id)
        run.status, run.results_summary, run.completed_at = "completed", summary, utcnow()
        run.execution_time_ms = int((time.perf_counter() - started) * 1000)
        rule.frequency = matched
        if rule.action == "quality_issue":
            _raise_quality_issues(uow.session, rule, version)
        if rule.action == "tag":
            tagged = _tag_matches(uow.session, rule, version)
            audit.record(
                uow.session,
                actor,
                "rule.tag",
                "business_rule",
                rule.id,
                after={"tag": rule.name, "documents": tagged},
            )
        if rule.action == "notify" and matched:
            _notify(
                uow.session,
                rule,
                "insight_generated",
                f"“{rule.name}” matched {matched:,} documents",
                rule.description,
                {"rule_id": rule.id, "run_id": run_id},
            )
        _learn(uow.session, rule, summary, previous)
        uow.commit()
    report_progress(1.0, f"{matched:,} of {total:,} documents matched")
    return ApplyResult(run_id, matched, total, verdict, engine)


def _record_batch(
    session: Session,
    actor: Actor,
    rule_id: int,
    version: int,
    run_id: int,
    body: dict[str, Any],
    condition: Any | None,
    in_batch: list[Any],
) -> int:
    """Store this batch's matches (ignoring ones a previous run stored) and count them."""
    columns = ["tenant_id", "rule_id", "rule_version", "document_id", "analysis_id", "created_at"]
    statement = _insert_ignore(session, BusinessRuleApplication)
    if condition is not None:
        matches = select(
            literal(actor.tenant_id),
            literal(rule_id),
            literal(version),
            Document.id,
            literal(run_id),
            literal(utcnow()),
        ).where(*in_batch, condition)
        session.execute(
            statement.from_select(columns, matches).on_conflict_do_nothing(
                index_elements=["rule_id", "rule_version", "document_id"]
            )
        )
        return int(
            session.scalar(select(func.count()).select_from(Document).where(*in_batch, condition)) or 0
        )
    ids = [
        document.id
        for document in session.scalars(select(Document).where(*in_batch))
        if truthy(WORKBENCH.apply(body, document_data(document)))
    ]
    if ids:
        rows = [
            dict(zip(columns, (actor.tenant_id, rule_id, version, doc_id, run_id, utcnow()), strict=True))
            for doc_id in ids
        ]
        session.execute(
            statement.values(rows).on_conflict_do_nothing(
                index_elements=["rule_id", "rule_version", "document_id"]
            )
        )
    return len(ids)


def _previous_summary(session: Session, rule_id: int, run_id: int) -> dict[str, Any] | None:
    summary: dict[str, Any] | None = session.scalar(
        select(BusinessLogicAnalysisHistory.results_summary)
        .where(
            BusinessLogicAnalysisHistory.rule_id == rule_id,
            BusinessLogicAnalysisHistory.analysis_type == "apply",
            BusinessLogicAnalysisHistory.status == "completed",
            BusinessLogicAnalysisHistory.id != run_id,
        )
        .order_by(BusinessLogicAnalysisHistory.id.desc())
        .limit(1)
    )
    return summary


def _raise_quality_issues(session: Session, rule: BusinessRule, version: int) -> None:
    """One open issue per failing document; documents with an unresolved issue get no second one."""
    already = select(QualityIssue.id).where(
        QualityIssue.rule_id == rule.id,
        QualityIssue.document_id == BusinessRuleApplication.document_id,
        QualityIssue.status != "resolved",
    )
    failing = (
        select(BusinessRuleApplication.document_id, Document.source_id)
        .join(Document, Document.id == BusinessRuleApplication.document_id)
        .where(
            BusinessRuleApplication.rule_id == rule.id,
            BusinessRuleApplication.rule_version == version,
            ~already.exists(),
        )
    )
    quality_issues.open_issues(
        session,
        rule.tenant_id,
        failing,
        check=rule.name,
        dimension="validity",
        severity=rule.severity,
        description=rule.description,
        now=utcnow(),
        rule_id=rule.id,
    )


def _tag_matches(session: Session, rule: BusinessRule, version: int) -> int:
    """Add the rule's name to the tags of every matched document that lacks it.

    The content hash is left alone on purpose: it fingerprints what the source sent,
    so a re-sync of an unchanged document keeps the tag.
    """
    matched = select(BusinessRuleApplication.document_id).where(
        BusinessRuleApplication.rule_id == rule.id, BusinessRuleApplication.rule_version == version
    )
    untagged = [Document.id.in_(matched), ~sqlfuncs.json_array_has_text(Document.tags, literal(rule.name))]
    appended = sqlfuncs.json_array_append(Document.tags, literal(rule.name))
    result = session.execute(update(Document).where(*untagged).values(tags=appended))
    return int(getattr(result, "rowcount", 0) or 0)


def _notify(
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
    _notify(session, rule, "insight_generated", title, description, {"rule_id": rule.id, "insight": kind})


def _learn(
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
            _notify(
                session,
                rule,
                "quality_drop",
                f"“{rule.name}” now {summary['outcome']}s",
                f"{matched:,} documents fail it (was {previous['matched']:,}).",
                {"rule_id": rule.id},
            )
    elif summary["outcome"] != "pass":
        _notify(
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
