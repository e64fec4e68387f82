"""Business rules: author with validation, keep every version, test before saving, apply as a job."""

from __future__ import annotations

import difflib
import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, not_, select, text
from sqlalchemy.orm import Session

from superinsight.db.models import (
    BusinessLogicAnalysisHistory,
    BusinessRule,
    BusinessRuleApplication,
    BusinessRuleVersion,
    Document,
)
from superinsight.db.models.business import RULE_ACTIONS
from superinsight.db.models.core import SEVERITIES
from superinsight.db.uow import UnitOfWork
from superinsight.resources import Resources
from superinsight.rules.explain import explain
from superinsight.rules.extensions import WORKBENCH
from superinsight.rules.jsvalues import truthy
from superinsight.rules.sql import NotExpressibleInSQLError, to_sql
from superinsight.rules.thresholds import Outcome, outcome
from superinsight.rules.validation import FieldCatalog, RuleValidationError, validate_rule
from superinsight.services import audit
from superinsight.services.context import Actor, require
from superinsight.services.errors import InvalidInputError, NotFoundError
from superinsight.services.inputs import has_nul
from superinsight.services.matching import document_data, document_fields
from superinsight.services.scoping import visible_sources

STREAM_BATCH = 2000
MAX_TAGS = 20


class RuleInputError(InvalidInputError):
    """The draft was refused; `problems` lists each one with where it is."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class RuleDraft:
    name: str
    body: dict[str, Any]
    description: str = ""
    severity: str = "warning"
    action: str = "flag"
    tags: tuple[str, ...] = ()
    mostly: float | None = None
    warn_after: int | None = None
    error_after: int | None = None


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
    last_outcome: str | None
    match_history: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Sample:
    document_id: int
    title: str
    reasons: list[str]


@dataclass(frozen=True)
class RuleTestReport:
    total: int
    matched: int
    engine: str
    samples: list[Sample]
    outcome: Outcome
    elapsed_ms: int
    gained: int | None = None
    lost: int | None = None

    @property
    def rate(self) -> float:
        return self.matched / self.total if self.total else 0.0


# Validation -----------------------------------------------------------------


def field_catalog(resources: Resources, actor: Actor) -> FieldCatalog:
    """The metadata keys the tenant's documents actually have (cached: a full scan is not free)."""
    key = f"rules:metadata-keys:{actor.tenant_id}:{_documents_version(resources, actor)}"
    cached = resources.cache.get(key)
    if cached is None:
        with resources.uow() as uow:
            cached = sorted(_metadata_keys(uow.session, actor.tenant_id))
        resources.cache.set(key, cached, resources.settings.cache_ttl_seconds)
    return FieldCatalog(metadata_keys=frozenset(cached) if cached else None)


def _documents_version(resources: Resources, actor: Actor) -> str:
    with resources.uow() as uow:
        newest, count = uow.session.execute(
            select(func.max(Document.updated_at), func.count()).where(Document.tenant_id == actor.tenant_id)
        ).one()
    return f"{count}-{newest}"


def _metadata_keys(session: Session, tenant_id: str) -> set[str]:
    if session.get_bind().dialect.name == "postgresql":
        query = text("SELECT DISTINCT jsonb_object_keys(metadata) FROM documents WHERE tenant_id = :t")
    else:
        query = text(
            "SELECT DISTINCT key FROM documents, json_each(documents.metadata) WHERE documents.tenant_id = :t"
        )
    return set(session.scalars(query, {"t": tenant_id}))


def check_draft(draft: RuleDraft, catalog: FieldCatalog) -> None:
    problems: list[str] = []
    if has_nul(asdict(draft)):
        raise RuleInputError(["the rule contains a NUL character; remove it"])
    if not draft.name.strip() or len(draft.name) > 255:
        problems.append("name: give the rule a name of 1 to 255 characters")
    if len(draft.description) > 10_000:
        problems.append("description: at most 10,000 characters")
    if draft.severity not in SEVERITIES:
        problems.append(f"severity: choose one of {', '.join(SEVERITIES)}")
    if draft.action not in RULE_ACTIONS:
        problems.append(f"action: choose one of {', '.join(RULE_ACTIONS)}")
    if len(draft.tags) > MAX_TAGS or any(not tag.strip() or len(tag) > 40 for tag in draft.tags):
        problems.append(f"tags: at most {MAX_TAGS} tags of 1 to 40 characters")
    if draft.mostly is not None and not 0 < draft.mostly <= 1:
        problems.append("mostly: a share between 0 and 1, such as 0.95")
    for name in ("warn_after", "error_after"):
        value = getattr(draft, name)
        if value is not None and value < 0:
            problems.append(f"{name}: a number of documents, 0 or more")
    if (
        draft.warn_after is not None
        and draft.error_after is not None
        and draft.warn_after > draft.error_after
    ):
        problems.append("warn_after: must not be above error_after")
    try:
        validate_rule(draft.body, catalog)
    except RuleValidationError as exc:
        problems.extend(f"condition {problem}" for problem in exc.problems)
    if problems:
        raise RuleInputError(problems)


# Reading --------------------------------------------------------------------


def _view(rule: BusinessRule) -> RuleView:
    return RuleView(
        id=rule.id,
        version=rule.version,
        is_active=rule.is_active,
        updated_at=rule.updated_at,
        draft=_draft_of(rule),
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
        return _view(tenant_rule(uow, actor, rule_id))


def list_rules(resources: Resources, actor: Actor, history: int = 12) -> list[RuleSummary]:
    """Every rule with its latest apply result and the match counts of its recent runs."""
    require(actor, "documents.view")
    with resources.uow() as uow:
        rules = uow.session.scalars(
            select(BusinessRule).where(BusinessRule.tenant_id == actor.tenant_id).order_by(BusinessRule.name)
        ).all()
        runs = uow.session.execute(
            select(BusinessLogicAnalysisHistory.rule_id, BusinessLogicAnalysisHistory.results_summary)
            .where(
                BusinessLogicAnalysisHistory.tenant_id == actor.tenant_id,
                BusinessLogicAnalysisHistory.analysis_type == "apply",
                BusinessLogicAnalysisHistory.status == "completed",
            )
            .order_by(BusinessLogicAnalysisHistory.id)
        ).all()
    by_rule: dict[int, list[dict[str, Any]]] = {}
    for rule_id, summary in runs:
        by_rule.setdefault(rule_id, []).append(summary)
    summaries = []
    for rule in rules:
        past = by_rule.get(rule.id, [])[-history:]
        last = past[-1] if past else None
        summaries.append(
            RuleSummary(
                rule=_view(rule),
                last_matched=last["matched"] if last else None,
                last_rate=last["rate"] if last else None,
                last_outcome=last["outcome"] if last else None,
                match_history=[run["matched"] for run in past],
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
        return [(row.version, row.created_at, _draft_of(row)) for row in rows]


def _draft_of(row: BusinessRule | BusinessRuleVersion) -> RuleDraft:
    """The editable part of a rule, from the rule itself or from one of its saved versions."""
    return RuleDraft(
        name=row.name,
        body=row.body,
        description=row.description,
        severity=row.severity,
        action=row.action,
        tags=tuple(row.tags),
        mostly=row.mostly,
        warn_after=row.warn_after,
        error_after=row.error_after,
    )


def diff(old: RuleDraft, new: RuleDraft) -> list[str]:
    """A unified diff of two versions, body pretty-printed so a changed condition stands out."""

    def lines(draft: RuleDraft) -> list[str]:
        return json.dumps(asdict(draft), indent=2, sort_keys=True, ensure_ascii=False).splitlines()

    return list(difflib.unified_diff(lines(old), lines(new), "before", "after", lineterm="", n=2))


# Writing --------------------------------------------------------------------


def _snapshot(rule: BusinessRule, actor: Actor) -> BusinessRuleVersion:
    return BusinessRuleVersion(
        tenant_id=rule.tenant_id,
        rule_id=rule.id,
        version=rule.version,
        name=rule.name,
        description=rule.description,
        body=rule.body,
        severity=rule.severity,
        action=rule.action,
        tags=list(rule.tags),
        mostly=rule.mostly,
        warn_after=rule.warn_after,
        error_after=rule.error_after,
        created_by=actor.user_id,
    )


def _apply_draft(rule: BusinessRule, draft: RuleDraft) -> None:
    rule.name = draft.name.strip()
    rule.description = draft.description
    rule.body = draft.body
    rule.severity = draft.severity
    rule.action = draft.action
    rule.tags = [tag.strip() for tag in draft.tags]
    rule.mostly = draft.mostly
    rule.warn_after = draft.warn_after
    rule.error_after = draft.error_after


def _name_taken(uow: UnitOfWork, actor: Actor, name: str, except_id: int | None = None) -> bool:
    query = select(BusinessRule.id).where(
        BusinessRule.tenant_id == actor.tenant_id, BusinessRule.name == name
    )
    if except_id is not None:
        query = query.where(BusinessRule.id != except_id)
    return uow.session.scalar(query) is not None


def create_rule(resources: Resources, actor: Actor, draft: RuleDraft) -> RuleView:
    require(actor, "rules.edit")
    check_draft(draft, field_catalog(resources, actor))
    with resources.uow() as uow:
        if _name_taken(uow, actor, draft.name.strip()):
            raise RuleInputError([f"name: a rule called {draft.name.strip()!r} already exists"])
        rule = BusinessRule(tenant_id=actor.tenant_id, owner_id=actor.user_id, version=1, body={})
        _apply_draft(rule, draft)
        uow.session.add(rule)
        uow.session.flush()
        uow.session.add(_snapshot(rule, actor))
        audit.record(uow.session, actor, "rule.create", "business_rule", rule.id, after=asdict(draft))
        uow.commit()
        return _view(rule)


def update_rule(resources: Resources, actor: Actor, rule_id: int, draft: RuleDraft) -> RuleView:
    """Save an edit as the next version; saving what is already there changes nothing."""
    require(actor, "rules.edit")
    check_draft(draft, field_catalog(resources, actor))
    with resources.uow() as uow:
        rule = tenant_rule(uow, actor, rule_id)
        before = _view(rule).draft
        if before == draft:
            return _view(rule)
        if _name_taken(uow, actor, draft.name.strip(), except_id=rule_id):
            raise RuleInputError([f"name: a rule called {draft.name.strip()!r} already exists"])
        _apply_draft(rule, draft)
        rule.version += 1
        uow.session.add(_snapshot(rule, actor))
        audit.record(
            uow.session,
            actor,
            "rule.update",
            "business_rule",
            rule.id,
            before=asdict(before),
            after=asdict(draft),
        )
        uow.commit()
        return _view(rule)


def set_active(resources: Resources, actor: Actor, rule_id: int, active: bool) -> RuleView:
    require(actor, "rules.edit")
    with resources.uow() as uow:
        rule = tenant_rule(uow, actor, rule_id)
        if rule.is_active != active:
            audit.record(
                uow.session,
                actor,
                "rule.enable" if active else "rule.disable",
                "business_rule",
                rule.id,
                before={"is_active": rule.is_active},
                after={"is_active": active},
            )
            rule.is_active = active
            uow.commit()
        return _view(rule)


def delete_rule(resources: Resources, actor: Actor, rule_id: int) -> None:
    require(actor, "rules.edit")
    with resources.uow() as uow:
        rule = tenant_rule(uow, actor, rule_id)
        audit.record(
            uow.session, actor, "rule.delete", "business_rule", rule.id, before=asdict(_view(rule).draft)
        )
        uow.session.delete(rule)
        uow.commit()


# Testing ----------------------------------------------------------------------


def _scope(actor: Actor, source_ids: Sequence[int] | None) -> list[Any]:
    conditions: list[Any] = [
        Document.tenant_id == actor.tenant_id,
        visible_sources(actor, Document.source_id),
    ]
    if source_ids:
        conditions.append(Document.source_id.in_(list(source_ids)))
    return conditions


def _count(session: Session, conditions: list[Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(Document).where(*conditions)) or 0)


def _stream(session: Session, conditions: list[Any]) -> Iterator[Document]:
    query = select(Document).where(*conditions).order_by(Document.id)
    yield from session.scalars(query.execution_options(yield_per=STREAM_BATCH))


def _matches(rule: dict[str, Any], document: Document) -> bool:
    return truthy(WORKBENCH.apply(rule, document_data(document)))


def run_test(
    resources: Resources,
    actor: Actor,
    draft: RuleDraft,
    *,
    compare_with: int | None = None,
    source_ids: Sequence[int] | None = None,
    sample_size: int = 5,
) -> RuleTestReport:
    """Run a draft over the documents without saving anything: counts, samples and why they matched."""
    require(actor, "rules.edit")
    check_draft(draft, field_catalog(resources, actor))
    started = time.perf_counter()
    with resources.uow() as uow:
        previous = tenant_rule(uow, actor, compare_with).body if compare_with is not None else None
        scope = _scope(actor, source_ids)
        try:
            matched, total, engine, found, gained, lost = _test_in_sql(
                uow.session, draft, previous, scope, sample_size
            )
        except NotExpressibleInSQLError:
            matched, total, engine, found, gained, lost = _test_row_by_row(
                uow.session, draft, previous, scope, sample_size
            )
        samples = [Sample(doc.id, doc.title, explain(draft.body, document_data(doc))) for doc in found]
    return RuleTestReport(
        total=total,
        matched=matched,
        engine=engine,
        samples=samples,
        outcome=_outcome(draft, matched, total),
        elapsed_ms=int((time.perf_counter() - started) * 1000),
        gained=gained,
        lost=lost,
    )


def _outcome(draft: RuleDraft, matched: int, total: int) -> Outcome:
    return outcome(
        matched, total, mostly=draft.mostly, warn_after=draft.warn_after, error_after=draft.error_after
    )


_TestCounts = tuple[int, int, str, list[Document], int | None, int | None]


def _test_in_sql(
    session: Session, draft: RuleDraft, previous: dict[str, Any] | None, scope: list[Any], sample_size: int
) -> _TestCounts:
    fields = document_fields()
    condition = to_sql(draft.body, fields)
    old = to_sql(previous, fields) if previous is not None else None
    total = _count(session, scope)
    matched = _count(session, [*scope, condition])
    samples = list(
        session.scalars(
            select(Document).where(*scope, condition).order_by(Document.id.desc()).limit(sample_size)
        )
    )
    gained = lost = None
    if old is not None:
        gained = _count(session, [*scope, condition, not_(old)])
        lost = _count(session, [*scope, old, not_(condition)])
    return matched, total, "database", samples, gained, lost


def _test_row_by_row(
    session: Session, draft: RuleDraft, previous: dict[str, Any] | None, scope: list[Any], sample_size: int
) -> _TestCounts:
    total = matched = gained = lost = 0
    samples: list[Document] = []
    for document in _stream(session, scope):
        total += 1
        now = _matches(draft.body, document)
        matched += now
        if now:
            samples = [document, *samples][:sample_size]
        if previous is not None:
            before = _matches(previous, document)
            gained += now and not before
            lost += before and not now
    if previous is None:
        return matched, total, "row by row", samples, None, None
    return matched, total, "row by row", samples, gained, lost


@dataclass(frozen=True)
class MatchedDocument:
    id: int
    external_id: str
    title: str
    matched_at: datetime


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
    return [MatchedDocument(*row) for row in rows]
