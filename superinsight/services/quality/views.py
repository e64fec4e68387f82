"""Quality as pages read it: the latest scores, their history, suggested expectations."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select

from superinsight.db.models import DataQualityScore, DataSource, Document
from superinsight.quality import profile as quality_profile
from superinsight.quality import scores
from superinsight.quality.dimensions import DIMENSIONS
from superinsight.resources import Resources
from superinsight.services.context import Actor, require
from superinsight.services.documents.masking import masker
from superinsight.services.scoping import visible_source, visible_sources


@dataclass(frozen=True)
class SourceScore:
    source_id: int
    source: str
    documents: int
    completeness: float | None
    validity: float | None
    uniqueness: float | None
    consistency: float | None
    timeliness: float | None
    overall: float | None
    computed_at: datetime
    weights: dict[str, float] = field(default_factory=dict)
    """The dimension weights its overall was computed with (empty for scores from before they were kept)."""

    @property
    def drivers(self) -> list[scores.Driver]:
        """What the overall score is made of: each measured dimension and the points it costs."""
        return scores.drivers({name: getattr(self, name) for name in DIMENSIONS}, self.weights)


def history(resources: Resources, actor: Actor, source_id: int, limit: int = 100) -> list[SourceScore]:
    """The source's scores, oldest first: the points of its trend lines."""
    require(actor, "documents.view")
    with resources.uow() as uow:
        name = visible_source(uow.session, actor, source_id).name
        rows = uow.session.scalars(
            select(DataQualityScore)
            .where(*_of_sources(actor, [source_id]))
            .order_by(DataQualityScore.computed_at.desc(), DataQualityScore.id.desc())
            .limit(limit)
        ).all()
        return [_point(row, source_id, name) for row in reversed(rows)]


def latest(resources: Resources, actor: Actor) -> list[tuple[SourceScore, SourceScore | None]]:
    """Each visible source's newest score with the one before it (for deltas), in one statement:
    a history per source took two transactions each, and the Data quality page draws this on
    every visit."""
    require(actor, "documents.view")
    with resources.uow() as uow:
        names: dict[int, str] = dict(
            uow.session.execute(
                select(DataSource.id, DataSource.name)
                .where(DataSource.tenant_id == actor.tenant_id, visible_sources(actor, DataSource.id))
                .order_by(DataSource.name)
            ).all()
        )
        newest = (
            select(
                DataQualityScore.id,
                func.row_number()
                .over(
                    partition_by=DataQualityScore.scope_id,
                    order_by=(DataQualityScore.computed_at.desc(), DataQualityScore.id.desc()),
                )
                .label("position"),
            )
            .where(*_of_sources(actor, list(names)))
            .subquery()
        )
        rows = uow.session.scalars(
            select(DataQualityScore)
            .join(newest, newest.c.id == DataQualityScore.id)
            .where(newest.c.position <= 2)
            .order_by(newest.c.position)
        ).all()
    points: dict[int, list[SourceScore]] = {}
    for row in rows:  # newest first
        source_id = int(row.scope_id)
        points.setdefault(source_id, []).append(_point(row, source_id, names[source_id]))
    return [
        (scored[0], scored[1] if len(scored) > 1 else None)
        for source_id in names
        if (scored := points.get(source_id))
    ]


def _of_sources(actor: Actor, source_ids: list[int]) -> tuple[ColumnElement[bool], ...]:
    return (
        DataQualityScore.tenant_id == actor.tenant_id,
        DataQualityScore.scope_type == "source",
        DataQualityScore.scope_id.in_([str(source_id) for source_id in source_ids]),
    )


def _point(row: DataQualityScore, source_id: int, name: str) -> SourceScore:
    return SourceScore(
        source_id,
        name,
        row.documents_scored,
        row.completeness,
        row.validity,
        row.uniqueness,
        row.consistency,
        row.timeliness,
        row.overall,
        row.computed_at,
        {dimension: float(weight) for dimension, weight in (row.details.get("weights") or {}).items()},
    )


PROFILE_SAMPLE = 20_000


@dataclass(frozen=True)
class Suggestion:
    documents: int
    fields: list[quality_profile.FieldProfile]
    expectations: dict[str, Any]


def suggest_expectations(resources: Resources, actor: Actor, source_id: int) -> Suggestion:
    """Profile the source's newest documents and propose the checks they nearly always meet.

    A sample is enough to propose checks (scoring, which must be exact, runs over
    every document in SQL); the analyst sees the profile and accepts or edits.
    """
    require(actor, "documents.view")
    with resources.uow() as uow:
        visible_source(uow.session, actor, source_id)
        rows = uow.session.scalars(
            select(Document.meta)
            .where(Document.tenant_id == actor.tenant_id, Document.source_id == source_id)
            .order_by(Document.id.desc())
            .limit(PROFILE_SAMPLE)
        ).all()
        # The profile quotes values (allowed lists, ranges): it sees them only as the actor may.
        mask = masker(resources, uow.session, actor)
        rows = [mask({"metadata": meta})["metadata"] for meta in rows]
    fields = quality_profile.profile(list(rows))
    return Suggestion(len(rows), fields, quality_profile.suggest(len(rows), fields))
