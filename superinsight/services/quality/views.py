"""Quality as pages read it: the latest scores, their history, suggested expectations."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from superinsight.db.models import DataQualityScore, Document
from superinsight.quality import profile as quality_profile
from superinsight.quality import scores
from superinsight.quality.dimensions import DIMENSIONS
from superinsight.resources import Resources
from superinsight.services.context import Actor, require
from superinsight.services.documents import sources
from superinsight.services.documents.masking import masker
from superinsight.services.quality.settings import quality_source
from superinsight.services.scoping import visible_source


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
    name, _, _ = quality_source(resources, actor, source_id)
    with resources.uow() as uow:
        rows = uow.session.scalars(
            select(DataQualityScore)
            .where(
                DataQualityScore.tenant_id == actor.tenant_id,
                DataQualityScore.scope_type == "source",
                DataQualityScore.scope_id == str(source_id),
            )
            .order_by(DataQualityScore.computed_at.desc(), DataQualityScore.id.desc())
            .limit(limit)
        ).all()
        return [
            SourceScore(
                source_id,
                name,
                r.documents_scored,
                r.completeness,
                r.validity,
                r.uniqueness,
                r.consistency,
                r.timeliness,
                r.overall,
                r.computed_at,
                {name: float(weight) for name, weight in (r.details.get("weights") or {}).items()},
            )
            for r in reversed(rows)
        ]


def latest(resources: Resources, actor: Actor) -> list[tuple[SourceScore, SourceScore | None]]:
    """Each visible source's newest score with the one before it (for deltas)."""
    require(actor, "documents.view")
    rows = []
    for source in sources.list_sources(resources, actor):
        trend = history(resources, actor, source.id, limit=2)
        if trend:
            rows.append((trend[-1], trend[-2] if len(trend) > 1 else None))
    return rows


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
