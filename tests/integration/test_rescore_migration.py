"""Migration 0017: a score recorded before severity weights is scored again as the page explains it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from superinsight.db import migrate
from superinsight.db.engine import build_engine, build_session_factory
from superinsight.db.models import DataQualityScore
from superinsight.quality.scores import overall

OLD = {"completeness": 80.0, "validity": 100.0, "uniqueness": 2.0, "consistency": None, "timeliness": 50.0}
NEW = {"completeness": 90.0, "validity": 70.0, "uniqueness": 100.0, "consistency": 100.0, "timeliness": None}


def test_old_scores_get_the_weighed_overall_and_new_ones_are_left_alone(empty_url: str) -> None:
    engine = build_engine(empty_url)
    migrate.upgrade(engine, "0016")
    when = datetime(2026, 11, 1, tzinfo=UTC)
    with build_session_factory(engine)() as session:
        for scores, at, details in ((OLD, 45.5, {"checks": {}}), (NEW, 91.0, {"weights": {"validity": 2.0}})):
            session.add(
                DataQualityScore(
                    tenant_id="demo", scope_type="source", scope_id="1", overall=at, computed_at=when,
                    details=details, **scores,
                )
            )  # fmt: skip
        session.add(
            DataQualityScore(
                tenant_id="demo", scope_type="source", scope_id="2", computed_at=when, details={}
            )
        )
        session.commit()
    migrate.upgrade(engine)
    with build_session_factory(engine)() as session:
        old, new, unscored = session.scalars(select(DataQualityScore).order_by(DataQualityScore.id)).all()
    assert old.overall == overall(OLD, {}) != 45.5, "the arithmetic the page explains, not the old figure"
    assert old.details == {"checks": {}, "weights": {}, "overall_before_severity": 45.5}
    assert (new.overall, new.details) == (91.0, {"weights": {"validity": 2.0}}), "scored with weights: kept"
    assert unscored.overall is None and unscored.details["weights"] == {}
