"""Quality scores on a data set whose right answers are worked out by hand, and by pandas."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pandas as pd
import pytest

from superinsight.db.base import utcnow
from superinsight.resources import Resources
from superinsight.services import documents, quality
from superinsight.services.context import role_actor, system_actor
from superinsight.services.documents import DocumentInput
from superinsight.services.errors import InvalidInputError, PermissionDeniedError
from superinsight.services.sources import ensure_source

ADMIN = system_actor("acme")
NOW = utcnow()
ROWS: list[dict[str, Any]] = [
    {"customer": "Acme", "region": "EMEA", "amount": 10, "age": 1},
    {"customer": "", "region": "NA", "amount": 50, "age": 2},
    {"customer": "Globex", "region": "Mars", "amount": -5, "age": 40},
    {"region": "APAC", "amount": "12", "age": 3},
    {"customer": "Initech", "amount": None, "age": 100},
]
EXPECTATIONS = {
    "required": ["customer", "region"],
    "types": {"amount": "number"},
    "ranges": {"amount": [0, 100]},
    "allowed": {"region": ["EMEA", "NA", "APAC"]},
    "freshness_days": 30,
}


@pytest.fixture
def source(resources: Resources) -> int:
    source_id = ensure_source(resources.uow(), ADMIN, "CRM", "csv")
    docs = [
        DocumentInput(
            f"R{i}",
            "same" if i < 2 else f"t{i}",
            "same" if i < 2 else f"c{i}",
            {k: v for k, v in row.items() if k != "age"},
            created_at=NOW - timedelta(days=row["age"]),
        )
        for i, row in enumerate(ROWS)
    ]
    documents.upsert_documents(resources, ADMIN, source_id, docs)
    quality.set_expectations(resources, ADMIN, source_id, EXPECTATIONS)
    return source_id


def test_scores_match_the_answers_worked_out_by_hand(resources: Resources, source: int) -> None:
    score = quality.score_source(resources, ADMIN, source, now=NOW)
    # completeness: customer present in 3 of 5 (empty and missing count as absent), region in 4 of 5 -> 7/10
    assert score.completeness == 70.0
    # validity: row 2 region Mars and amount -5, row 3 amount "12" is text -> 2 of 5 fail
    assert score.validity == 60.0
    # uniqueness: rows 0 and 1 have the same title and content -> 4 distinct of 5
    assert score.uniqueness == 80.0
    # timeliness: created within 30 days -> rows 0, 1, 3
    assert score.timeliness == 60.0
    assert score.consistency is None
    assert score.overall == round((70 + 60 + 80 + 60) / 4, 2)


def test_the_same_checks_in_pandas_give_the_same_counts(resources: Resources, source: int) -> None:
    frame = pd.DataFrame(ROWS)
    present = sum(frame[key].fillna("").astype(str).ne("").sum() for key in ("customer", "region"))
    amount_ok = frame["amount"].map(lambda v: v is None or (isinstance(v, int | float) and 0 <= v <= 100))
    amount_ok |= frame["amount"].isna()
    region_ok = frame["region"].isna() | frame["region"].isin(["EMEA", "NA", "APAC"])
    valid = int((amount_ok & region_ok).sum())
    contents = ["same|same" if i < 2 else f"t{i}|c{i}" for i in range(len(ROWS))]
    distinct = len(set(contents))
    score = quality.score_source(resources, ADMIN, source, now=NOW)
    assert score.completeness == round(100 * present / (2 * len(ROWS)), 2)
    assert score.validity == round(100 * valid / len(ROWS), 2)
    assert score.uniqueness == round(100 * distinct / len(ROWS), 2)


def test_every_run_is_a_point_on_the_trend(resources: Resources, source: int) -> None:
    quality.score_source(resources, ADMIN, source, now=NOW - timedelta(days=1))
    documents.upsert_documents(
        resources, ADMIN, source, [DocumentInput("R9", "t", "c", {"customer": "X", "region": "NA"})]
    )
    quality.score_source(resources, ADMIN, source, now=NOW)
    trend = quality.history(resources, ADMIN, source)
    assert [point.documents for point in trend] == [5, 6]
    assert trend[1].completeness is not None and trend[0].completeness is not None
    assert trend[1].completeness > trend[0].completeness


def test_bad_expectations_are_refused_and_viewers_cannot_score(resources: Resources, source: int) -> None:
    with pytest.raises(InvalidInputError, match="unknown expectation"):
        quality.set_expectations(resources, ADMIN, source, {"colour": "red"})
    assert quality.expectations(resources, role_actor("acme", "viewer"), source) == EXPECTATIONS
    with pytest.raises(PermissionDeniedError):
        quality.score_source(resources, role_actor("acme", "viewer"), source)
    assert quality.history(resources, ADMIN, source) == []
