"""Rules as pages read them: one rule, the list with recent runs, versions and diffs, matched documents."""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from superinsight.db.models import (
    BusinessLogicAnalysisHistory,
    BusinessRule,
    BusinessRuleApplication,
    BusinessRuleVersion,
    Document,
)
from superinsight.db.uow import UnitOfWork
from superinsight.resources import Resources
from superinsight.rules.thresholds import outcome
from superinsight.services.context import Actor, require
from superinsight.services.documents.masking import masker
from superinsight.services.errors import NotFoundError
from superinsight.services.rules.drafts import RuleDraft, draft_of
from superinsight.services.scoping import visible_sources


@dataclass(frozen=True)
class RuleView:
    id: int
    version: int
    is_active: bool
    draft: RuleDraft
    updated_at: datetime


@dataclass(frozen=True)
class RuleSummary:
    rule: RuleView
    last_matched: int | None
    last_rate: float | None
    last_outcome: str | None  # None: never applied, or no thresholds to judge it by
    match_history: list[int] = field(default_factory=list)
    last_applied: datetime | None = None  # None: never applied


# Reading --------------------------------------------------------------------


def rule_view(rule: BusinessRule) -> RuleView:
    return RuleView(
        id=rule.id,
        version=rule.version,
        is_active=rule.is_active,
        updated_at=rule.updated_at,
        draft=draft_of(rule),
    )


def tenant_rule(uow: UnitOfWork, actor: Actor, rule_id: int) -> BusinessRule:
    """The rule, if it is the actor's tenant's; otherwise not found."""
    require(actor, "documents.view")
    rule = uow.session.get(BusinessRule, rule_id)
    if rule is None or rule.tenant_id != actor.tenant_id:
        raise NotFoundError(f"rule {rule_id} does not exist")
    return rule


def get_rule(resources: Resources, actor: Actor, rule_id: int) -> RuleView:
    with resources.uow() as uow:
        return rule_view(tenant_rule(uow, actor, rule_id))


def list_rules(resources: Resources, actor: Actor, history: int = 12) -> list[RuleSummary]:
    """Every rule with its latest apply result and the match counts of its recent runs."""
    require(actor, "documents.view")
    with resources.uow() as uow:
        rules = uow.session.scalars(
            select(BusinessRule).where(BusinessRule.tenant_id == actor.tenant_id).order_by(BusinessRule.name)
        ).all()
        # Only each rule's last `history` runs are read: a tenant's apply history grows with every sync.
        recent = (
            select(
                BusinessLogicAnalysisHistory.rule_id,
                BusinessLogicAnalysisHistory.results_summary,
                BusinessLogicAnalysisHistory.completed_at,
                BusinessLogicAnalysisHistory.id,
                func.row_number()
                .over(
                    partition_by=BusinessLogicAnalysisHistory.rule_id,
                    order_by=BusinessLogicAnalysisHistory.id.desc(),
                )
                .label("newness"),
            )
            .where(
                BusinessLogicAnalysisHistory.tenant_id == actor.tenant_id,
                BusinessLogicAnalysisHistory.analysis_type == "apply",
                BusinessLogicAnalysisHistory.status == "completed",
            )
            .subquery()
        )
        runs = uow.session.execute(
            select(recent.c.rule_id, recent.c.results_summary, recent.c.completed_at)
            .where(recent.c.newness <= history)
            .order_by(recent.c.id)
        ).all()
        applied = {rule_id: at for rule_id, _, at in runs}
        if actor.source_ids is not None:
            runs = _runs_within_reach(uow.session, actor, rules)
    by_rule: dict[int, list[dict[str, Any]]] = {}
    for rule_id, summary, *_ in runs:
        by_rule.setdefault(rule_id, []).append(summary)
    summaries = []
    for rule in rules:
        past = by_rule.get(rule.id, [])[-history:]
        last = past[-1] if past else None
        summaries.append(
            RuleSummary(
                rule=rule_view(rule),
                last_matched=last["matched"] if last else None,
                last_rate=last["rate"] if last else None,
                last_outcome=last["outcome"] if last else None,
                match_history=[run["matched"] for run in past],
                last_applied=applied.get(rule.id),
            )
        )
    return summaries


def versions(resources: Resources, actor: Actor, rule_id: int) -> list[tuple[int, datetime, RuleDraft]]:
    with resources.uow() as uow:
        tenant_rule(uow, actor, rule_id)
        rows = uow.session.scalars(
            select(BusinessRuleVersion)
            .where(BusinessRuleVersion.rule_id == rule_id)
            .order_by(BusinessRuleVersion.version.desc())
        ).all()
        return [(row.version, row.created_at, draft_of(row)) for row in rows]


def diff(old: RuleDraft, new: RuleDraft) -> list[str]:
    """A unified diff of two versions, body pretty-printed so a changed condition stands out."""

    def lines(draft: RuleDraft) -> list[str]:
        return json.dumps(asdict(draft), indent=2, sort_keys=True, ensure_ascii=False).splitlines()

    return list(difflib.unified_diff(lines(old), lines(new), "before", "after", lineterm="", n=2))


@dataclass(frozen=True)
class MatchedDocument:
    id: int
    external_id: str
    title: str
    matched_at: datetime


def _runs_within_reach(session: Session, actor: Actor, rules: Sequence[BusinessRule]) -> list[Any]:
    """For a user narrowed to some sources: each rule's current matches among those sources only.

    Stored runs count every source, so they are replaced by one summary per rule from
    the matches of its current version that lie in the user's sources.
    """
    reach = select(Document.id).where(
        Document.tenant_id == actor.tenant_id, visible_sources(actor, Document.source_id)
    )
    total = session.scalar(select(func.count()).select_from(reach.subquery())) or 0
    counted = dict(
        session.execute(
            select(BusinessRuleApplication.rule_id, func.count())
            .join(BusinessRule, BusinessRule.id == BusinessRuleApplication.rule_id)
            .where(
                BusinessRuleApplication.rule_version == BusinessRule.version,
                BusinessRuleApplication.document_id.in_(reach),
            )
            .group_by(BusinessRuleApplication.rule_id)
        ).all()
    )
    return [
        (
            rule.id,
            {
                "matched": counted.get(rule.id, 0),
                "rate": counted.get(rule.id, 0) / total if total else 0.0,
                # The rule's thresholds judge the user's slice as a run judges every document.
                "outcome": outcome(
                    min(counted.get(rule.id, 0), total),
                    total,
                    mostly=rule.mostly,
                    warn_after=rule.warn_after,
                    error_after=rule.error_after,
                ),
            },
        )
        for rule in rules
        if rule.id in counted or total
    ]


def matched_documents(
    resources: Resources, actor: Actor, rule_id: int, limit: int = 100
) -> list[MatchedDocument]:
    """The stored matches of the rule's current version, newest first (dbt's stored failures)."""
    with resources.uow() as uow:
        rule = tenant_rule(uow, actor, rule_id)
        rows = uow.session.execute(
            select(Document.id, Document.external_id, Document.title, BusinessRuleApplication.created_at)
            .join(BusinessRuleApplication, BusinessRuleApplication.document_id == Document.id)
            .where(
                BusinessRuleApplication.rule_id == rule.id,
                BusinessRuleApplication.rule_version == rule.version,
                Document.tenant_id == actor.tenant_id,
                visible_sources(actor, Document.source_id),
            )
            .order_by(Document.id.desc())
            .limit(min(max(limit, 1), 1000))
        ).all()
        mask = masker(resources, uow.session, actor)
    shown = [
        (doc_id, mask({"external_id": external_id, "title": title}), at)
        for doc_id, external_id, title, at in rows
    ]
    return [MatchedDocument(doc_id, data["external_id"], data["title"], at) for doc_id, data, at in shown]
