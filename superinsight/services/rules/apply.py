"""Applying a rule to every document as a job: matches recorded in batches, tags and quality issues raised."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from superinsight.adapters.jobs import report_progress
from superinsight.db import dialect
from superinsight.db.base import utcnow
from superinsight.db.deadlocks import retrying_deadlocks
from superinsight.db.models import (
    BusinessLogicAnalysisHistory,
    BusinessRuleApplication,
    Document,
)
from superinsight.resources import Resources, current_resources
from superinsight.rules.extensions import WORKBENCH
from superinsight.rules.jsvalues import truthy
from superinsight.rules.sql import NotExpressibleInSQLError, to_sql
from superinsight.rules.thresholds import outcome
from superinsight.services import audit
from superinsight.services.context import Actor, job_entry, require, require_whole_tenant, system_actor
from superinsight.services.documents.key_kinds import known_kinds
from superinsight.services.documents.writer import bump_version
from superinsight.services.errors import InvalidInputError, NotFoundError
from superinsight.services.graph import backlog as graph_backlog
from superinsight.services.rules import actions
from superinsight.services.rules.findings import learn_from_run, notify_run
from superinsight.services.rules.matching import document_data, document_fields
from superinsight.services.rules.views import tenant_rule

BATCH_SECONDS = 120.0
APPLY_BATCH = 5000


@dataclass(frozen=True)
class ApplyResult:
    analysis_id: int
    matched: int
    total: int
    outcome: str | None
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


@job_entry("start_apply, after requiring rules.apply")
def apply_rule_job(tenant_id: str, user_id: int | None, rule_id: int, run_id: int) -> None:
    """The job a worker runs (importable by name, so RQ can find it)."""
    apply_rule(current_resources(), system_actor(tenant_id, user_id), rule_id, run_id)


def _run_of(session: Session, actor: Actor, rule_id: int, run_id: int) -> BusinessLogicAnalysisHistory:
    """The apply run, if it is this tenant's run of this rule; otherwise not found."""
    run = session.get(BusinessLogicAnalysisHistory, run_id)
    if (
        run is None
        or run.tenant_id != actor.tenant_id
        or run.rule_id != rule_id
        or run.analysis_type != "apply"
    ):
        raise NotFoundError(f"apply run {run_id} of rule {rule_id} does not exist")
    return run


def apply_rule(resources: Resources, actor: Actor, rule_id: int, run_id: int) -> ApplyResult:
    """Carry out a run `new_run` recorded; a finished run is not run again (its counts stand)."""
    require(actor, "rules.apply")
    require_whole_tenant(actor, "apply rules to every document")
    with resources.uow() as uow:
        run = _run_of(uow.session, actor, rule_id, run_id)  # before anything: another's run is left alone
        if run.status != "running":
            raise InvalidInputError(f"apply run {run_id} has {run.status}; start a new run")
    started = time.perf_counter()
    try:
        result = _apply(resources, actor, rule_id, run_id, started)
    except Exception as exc:
        reason = (
            f"a batch of {APPLY_BATCH:,} documents took longer than {BATCH_SECONDS:.0f} s; narrow the rule"
            if dialect.timed_out(exc)
            else str(exc)[:2000]
        )
        with resources.uow() as uow:
            run = _run_of(uow.session, actor, rule_id, run_id)
            run.status, run.error_message, run.completed_at = "failed", reason, utcnow()
            uow.commit()
        raise
    return result


def _apply(resources: Resources, actor: Actor, rule_id: int, run_id: int, started: float) -> ApplyResult:
    with resources.uow() as uow:
        rule = tenant_rule(uow, actor, rule_id)
        body, version = rule.body, rule.version
        of_tenant = Document.tenant_id == actor.tenant_id
        extent = select(func.min(Document.id), func.max(Document.id), func.count()).where(of_tenant)
        bounds = uow.session.execute(extent).one()
        known = known_kinds(uow.session, actor.tenant_id)
    low, high, total = bounds[0] or 0, bounds[1] or -1, int(bounds[2])
    try:
        condition = to_sql(body, document_fields(), known)
        engine = "database"
    except NotExpressibleInSQLError:
        condition, engine = None, "row by row"
    matched = 0
    for start in range(low, high + 1, APPLY_BATCH):
        # A batch past BATCH_SECONDS fails the run; the limit ends before the commit frees the connection.
        in_batch = [
            Document.tenant_id == actor.tenant_id,
            Document.id.between(start, start + APPLY_BATCH - 1),
        ]
        batch = partial(
            _record_batch,
            actor=actor,
            rule_id=rule_id,
            version=version,
            run_id=run_id,
            body=body,
            condition=condition,
            in_batch=in_batch,
        )
        matched += retrying_deadlocks(partial(_committed, resources, batch))
        report_progress((start + APPLY_BATCH - low) / max(high + 1 - low, 1), f"{matched:,} matched so far")
    finish = partial(_finish, resources, actor, rule_id, version, run_id, (matched, total), engine, started)
    verdict = retrying_deadlocks(finish)
    graph_backlog.drain_soon(resources, actor.tenant_id)
    # Tags and "matched by this rule" filters changed: figures cached for the documents are stale.
    bump_version(resources, actor.tenant_id)
    report_progress(1.0, f"{matched:,} of {total:,} documents matched")
    return ApplyResult(run_id, matched, total, verdict, engine)


def _committed(resources: Resources, batch: Callable[[Session], int]) -> int:
    """One batch's matches recorded in a transaction of its own, stopped past BATCH_SECONDS (the
    limit ends before the commit frees the connection)."""
    with resources.uow() as uow:
        with dialect.time_limited(uow.session, BATCH_SECONDS):
            matched = batch(uow.session)
        uow.commit()
    return matched


def _finish(
    resources: Resources,
    actor: Actor,
    rule_id: int,
    version: int,
    run_id: int,
    counted: tuple[int, int],
    engine: str,
    started: float,
) -> str | None:
    """The run's summary and the rule's action (tags, issues, a notification), in one transaction.

    Tagging can meet a sync's upsert of the same source in a deadlock; PostgreSQL then fails
    one of the two, and `retrying_deadlocks` runs this again from the start.
    """
    matched, total = counted
    with resources.uow() as uow:
        rule = tenant_rule(uow, actor, rule_id)
        run = _run_of(uow.session, actor, rule_id, run_id)
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
            actions.raise_quality_issues(uow.session, rule, version)
        if rule.action == "tag":
            tagged = actions.tag_matches(uow.session, rule, version)
            audit.record(
                uow.session,
                actor,
                "rule.tag",
                "business_rule",
                rule.id,
                after={"tag": rule.name, "documents": tagged},
            )
        if rule.action == "notify" and matched:
            notify_run(
                uow.session,
                rule,
                "insight_generated",
                f"“{rule.name}” matched {matched:,} documents",
                rule.description,
                {"rule_id": rule.id, "run_id": run_id},
            )
        learn_from_run(uow.session, rule, summary, previous)
        graph_backlog.note(uow.session, actor.tenant_id, "rule", rule_id)
        uow.commit()
    return verdict


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
    statement = dialect.insert(session, BusinessRuleApplication)
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
