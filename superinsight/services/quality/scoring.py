"""Scoring a source: dimension scores as SQL aggregates, recorded as a time series, drops notified."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select, true
from sqlalchemy.orm import Session

from superinsight.adapters.jobs import report_progress
from superinsight.db.base import utcnow
from superinsight.db.models import BusinessLogicNotification, DataQualityScore, Document
from superinsight.quality.dimensions import DIMENSION_SEVERITY, DIMENSIONS
from superinsight.quality.expectations import (
    CrossCheck,
    Expectations,
    label_allowed,
    label_fresh,
    label_range,
    label_required,
    label_type,
)
from superinsight.quality.scores import Tally, dimension_scores, overall, percent
from superinsight.quality.thresholds import alerts
from superinsight.resources import Resources, current_resources
from superinsight.rules.sqljson import json_number, json_switch, json_text
from superinsight.services.context import Actor, job_entry, require, require_whole_tenant, system_actor
from superinsight.services.documents import sources
from superinsight.services.graph import backlog as graph_backlog
from superinsight.services.quality import filing
from superinsight.services.quality.filing import Check
from superinsight.services.quality.settings import quality_source
from superinsight.services.quality.views import SourceScore


def _present(key: str) -> ColumnElement[bool]:
    """The field holds a value: not missing, not null, not empty text."""
    return json_switch(
        Document.meta,
        (key,),
        {
            "string": json_text(Document.meta, (key,)) != "",
            "number": true(),
            "true": true(),
            "false": true(),
            "object": true(),
        },
    )


CHECK_PREFIX = filing.CHECK_PREFIX
KINDS = {"number": ("number",), "string": ("string",), "boolean": ("true", "false")}


def _is(key: str, kinds: tuple[str, ...]) -> ColumnElement[bool]:
    return json_switch(Document.meta, (key,), dict.fromkeys(kinds, true()))


def _consistent(check: CrossCheck) -> ColumnElement[bool]:
    if check.kind == "requires":
        return or_(~_present(check.left), _present(check.right))
    numbers = and_(_is(check.left, ("number",)), _is(check.right, ("number",)))
    texts = and_(_is(check.left, ("string",)), _is(check.right, ("string",)))
    return or_(
        ~_present(check.left),
        ~_present(check.right),
        and_(
            numbers, json_number(Document.meta, (check.left,)) <= json_number(Document.meta, (check.right,))
        ),
        and_(texts, json_text(Document.meta, (check.left,)) <= json_text(Document.meta, (check.right,))),
    )


def _check(label: str, dimension: str, passes: ColumnElement[bool]) -> Check:
    """A check whose issues carry its dimension's severity, the one the overall score weighs."""
    return Check(CHECK_PREFIX + label, dimension, DIMENSION_SEVERITY[dimension], passes)


def checks(expectations: Expectations, fresh_after: datetime | None) -> list[Check]:
    """Every check the expectations ask for (a missing value breaks only `required`)."""
    found = [_check(label_required(key), "completeness", _present(key)) for key in expectations.required]
    for key, kind in expectations.types.items():
        passes = json_switch(Document.meta, (key,), {**dict.fromkeys(KINDS[kind], true()), "null": true()})
        found.append(_check(label_type(key, kind), "validity", passes))
    for key, (low, high) in expectations.ranges.items():
        number = json_number(Document.meta, (key,))
        bounds = [number >= low] if low is not None else []
        bounds += [number <= high] if high is not None else []
        passes = json_switch(Document.meta, (key,), {"number": and_(true(), *bounds), "null": true()})
        found.append(_check(label_range(key, low, high), "validity", passes))
    for key, values in expectations.allowed.items():
        passes = json_switch(
            Document.meta, (key,), {"string": json_text(Document.meta, (key,)).in_(values), "null": true()}
        )
        found.append(_check(label_allowed(key), "validity", passes))
    found += [_check(check.name, "consistency", _consistent(check)) for check in expectations.consistency]
    if fresh_after is not None:
        label = label_fresh(expectations.freshness_days or 0)
        found.append(_check(label, "timeliness", Document.created_at >= fresh_after))
    return found


def _all(dimension: str, found: list[Check]) -> ColumnElement[bool]:
    return and_(true(), *(check.passes for check in found if check.dimension == dimension))


def _count(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def score_source(
    resources: Resources,
    actor: Actor,
    source_id: int,
    *,
    now: datetime | None = None,
    file_issues: bool = True,
) -> SourceScore:
    """Score one source on every dimension its expectations allow, and record the result.

    With `file_issues`, every failing document also gets an open quality issue per
    failing check (and issues whose check now passes are resolved); a score that
    falls past a threshold raises a notification.
    """
    require(actor, "quality.triage")
    name, expectations, weights = quality_source(resources, actor, source_id)
    now = now or utcnow()
    fresh_after = now - timedelta(days=expectations.freshness_days) if expectations.freshness_days else None
    found = checks(expectations, fresh_after)
    required = [check for check in found if check.dimension == "completeness"]
    columns: list[Any] = [
        func.count(),
        # Uniqueness looks at what a reader sees (title and text), not at metadata.
        func.count(func.distinct(Document.title + "\x1f" + Document.content)),
        _count(_all("validity", found)),
        _count(_all("consistency", found)),
        _count(_all("timeliness", found)),
        *(_count(check.passes) for check in required),
        *(_count(check.passes) for check in found),
    ]
    with resources.uow() as uow:
        row = uow.session.execute(
            select(*columns).where(Document.tenant_id == actor.tenant_id, Document.source_id == source_id)
        ).one()
        total, distinct, valid, consistent, fresh, *counted = (int(value or 0) for value in row)
        present, passing = counted[: len(required)], counted[len(required) :]
        rates = {
            check.name.removeprefix(CHECK_PREFIX): percent(count, total)
            for check, count in zip(found, passing, strict=True)
        }
        tally = Tally(total, distinct, valid, consistent, fresh, tuple(present))
        scores = dimension_scores(tally, expectations)
        used = {dimension: weights.get(dimension, 1.0) for dimension in DIMENSIONS}
        result = SourceScore(
            source_id,
            name,
            total,
            **scores,
            overall=overall(scores, used),
            computed_at=now,
            weights=used,
        )
        previous = _latest_scores(uow.session, actor.tenant_id, source_id)
        uow.session.add(
            DataQualityScore(
                tenant_id=actor.tenant_id,
                scope_type="source",
                scope_id=str(source_id),
                **scores,
                overall=result.overall,
                documents_scored=total,
                computed_at=now,
                details={
                    "required": list(expectations.required),
                    "validity_checks": expectations.validity_checks,
                    "consistency_checks": len(expectations.consistency),
                    "checks": rates,
                    # The weights this overall was computed with, so its drivers add up to it later.
                    "weights": used,
                },
            )
        )
        if file_issues:
            filing.file(uow.session, actor.tenant_id, source_id, found, now)
            graph_backlog.note(uow.session, actor.tenant_id, "source_issues", source_id)
            _notify_drops(
                uow.session,
                actor.tenant_id,
                name,
                previous,
                scores | {"overall": result.overall} | rates,
                expectations,
            )
        uow.commit()
    if file_issues:
        graph_backlog.drain_soon(resources, actor.tenant_id)
    return result


def _latest_scores(session: Session, tenant_id: str, source_id: int) -> dict[str, float | None] | None:
    row = session.scalars(
        select(DataQualityScore)
        .where(
            DataQualityScore.tenant_id == tenant_id,
            DataQualityScore.scope_type == "source",
            DataQualityScore.scope_id == str(source_id),
        )
        .order_by(DataQualityScore.computed_at.desc(), DataQualityScore.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return {name: getattr(row, name) for name in (*DIMENSIONS, "overall")} | dict(
        row.details.get("checks", {})
    )


def _notify_drops(
    session: Session,
    tenant_id: str,
    source: str,
    before: dict[str, float | None] | None,
    now: dict[str, float | None],
    expectations: Expectations,
) -> None:
    for alert in alerts(before, now, expectations.thresholds):
        level = expectations.thresholds[alert.scope]
        line = level.fail if alert.state == "fail" else level.warn
        was = "" if alert.before is None else f" (was {alert.before:.1f})"
        session.add(
            BusinessLogicNotification(
                tenant_id=tenant_id,
                user_id=None,
                notification_type="quality_drop",
                title=f"{source}: {alert.scope} fell below its {alert.state} level",
                message=f"{alert.scope} is {alert.now:.1f}{was}; the {alert.state} level is {line:g}.",
                data={"source": source, "scope": alert.scope, "state": alert.state, "score": alert.now},
            )
        )


@job_entry("start_scoring, after requiring quality.triage for the whole workspace")
def score_all_job(tenant_id: str, user_id: int | None) -> None:
    """Score every source of the tenant (a background job; importable by name for RQ)."""
    resources = current_resources()
    actor = system_actor(tenant_id, user_id)
    every = sources.list_sources(resources, actor)
    for position, source in enumerate(every, start=1):
        score_source(resources, actor, source.id)
        report_progress(position / len(every), f"scored {source.name}")


@job_entry("a sync's follow-ups, after the run's sync.run check")
def score_source_job(tenant_id: str, user_id: int | None, source_id: int) -> None:
    """Score one source (a background job, e.g. after a sync changed its documents)."""
    score_source(current_resources(), system_actor(tenant_id, user_id), source_id)


def start_scoring(resources: Resources, actor: Actor) -> str:
    """Score every source in the background; returns the job id to follow."""
    require(actor, "quality.triage")
    require_whole_tenant(actor, "score every source")
    with resources.active():
        return resources.jobs.enqueue(score_all_job, actor.tenant_id, actor.user_id)
