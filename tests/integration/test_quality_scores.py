"""Quality scores on a data set whose right answers are worked out by hand, and by pandas."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pandas as pd
import pytest

from superinsight.db.base import aware, utcnow
from superinsight.documents.record import DocumentInput
from superinsight.resources import Resources
from superinsight.services.context import role_actor, system_actor
from superinsight.services.documents import writer as document_writer
from superinsight.services.documents.sources import ensure_source
from superinsight.services.errors import InvalidInputError, PermissionDeniedError
from superinsight.services.quality import issues as quality_issues
from superinsight.services.quality import scoring as quality_scoring
from superinsight.services.quality import settings as quality_settings
from superinsight.services.quality import views as quality_views
from superinsight.services.security import users

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
    document_writer.upsert_documents(resources, ADMIN, source_id, docs)
    quality_settings.set_expectations(resources, ADMIN, source_id, EXPECTATIONS)
    return source_id


def test_scores_match_the_answers_worked_out_by_hand(resources: Resources, source: int) -> None:
    score = quality_scoring.score_source(resources, ADMIN, source, now=NOW)
    # completeness: customer present in 3 of 5 (empty and missing count as absent), region in 4 of 5 -> 7/10
    assert score.completeness == 70.0
    # validity: row 2 region Mars and amount -5, row 3 amount "12" is text -> 2 of 5 fail
    assert score.validity == 60.0
    # uniqueness: rows 0 and 1 have the same title and content -> 4 distinct of 5
    assert score.uniqueness == 80.0
    # timeliness: created within 30 days -> rows 0, 1, 3
    assert score.timeliness == 60.0
    assert score.consistency is None
    # overall: 100 less each quarter's shortfall at its severity's weight: completeness and
    # validity are warnings (half of 30 and of 40 count), uniqueness and timeliness info (a
    # tenth of 20 and of 40) -> 100 - (15 + 20 + 2 + 4) / 4
    assert score.overall == 89.75


def test_the_same_checks_in_pandas_give_the_same_counts(resources: Resources, source: int) -> None:
    frame = pd.DataFrame(ROWS)
    present = sum(frame[key].fillna("").astype(str).ne("").sum() for key in ("customer", "region"))
    amount_ok = frame["amount"].map(lambda v: v is None or (isinstance(v, int | float) and 0 <= v <= 100))
    amount_ok |= frame["amount"].isna()
    region_ok = frame["region"].isna() | frame["region"].isin(["EMEA", "NA", "APAC"])
    valid = int((amount_ok & region_ok).sum())
    contents = ["same|same" if i < 2 else f"t{i}|c{i}" for i in range(len(ROWS))]
    distinct = len(set(contents))
    score = quality_scoring.score_source(resources, ADMIN, source, now=NOW)
    assert score.completeness == round(100 * present / (2 * len(ROWS)), 2)
    assert score.validity == round(100 * valid / len(ROWS), 2)
    assert score.uniqueness == round(100 * distinct / len(ROWS), 2)


def test_every_run_is_a_point_on_the_trend(resources: Resources, source: int) -> None:
    quality_scoring.score_source(resources, ADMIN, source, now=NOW - timedelta(days=1))
    document_writer.upsert_documents(
        resources, ADMIN, source, [DocumentInput("R9", "t", "c", {"customer": "X", "region": "NA"})]
    )
    quality_scoring.score_source(resources, ADMIN, source, now=NOW)
    trend = quality_views.history(resources, ADMIN, source)
    assert [point.documents for point in trend] == [5, 6]
    assert trend[1].completeness is not None and trend[0].completeness is not None
    assert trend[1].completeness > trend[0].completeness


def test_the_latest_score_of_each_visible_source_with_the_one_before_it(
    resources: Resources, source: int
) -> None:
    once = ensure_source(resources.uow(), ADMIN, "Billing", "csv")  # sorts before CRM
    never = ensure_source(resources.uow(), ADMIN, "Archive", "csv")
    elsewhere = ensure_source(resources.uow(), system_actor("globex"), "CRM", "csv")
    for day, scored in ((3, source), (2, source), (1, source), (1, once), (1, elsewhere)):
        quality_scoring.score_source(
            resources,
            system_actor("globex") if scored == elsewhere else ADMIN,
            scored,
            now=NOW - timedelta(days=day),
        )
    latest = quality_views.latest(resources, ADMIN)
    assert [
        (now.source, aware(now.computed_at), before and aware(before.computed_at)) for now, before in latest
    ] == [
        ("Billing", NOW - timedelta(days=1), None),
        ("CRM", NOW - timedelta(days=1), NOW - timedelta(days=2)),
    ]
    assert latest[1][0] == quality_views.history(resources, ADMIN, source)[-1]
    assert never not in {now.source_id for now, _ in latest}
    narrowed = replace(role_actor("acme", "viewer"), source_ids=frozenset({once}))
    assert [now.source_id for now, _ in quality_views.latest(resources, narrowed)] == [once]


def test_bad_expectations_are_refused_and_viewers_cannot_score(resources: Resources, source: int) -> None:
    with pytest.raises(InvalidInputError, match="unknown expectation"):
        quality_settings.set_expectations(resources, ADMIN, source, {"colour": "red"})
    assert quality_settings.expectations(resources, role_actor("acme", "viewer"), source) == EXPECTATIONS
    with pytest.raises(PermissionDeniedError):
        quality_scoring.score_source(resources, role_actor("acme", "viewer"), source)
    assert quality_views.history(resources, ADMIN, source) == []


def _issues(resources: Resources, source: int, status: str | None = "open") -> set[tuple[str, str]]:
    rows = quality_issues.issues(resources, ADMIN, source, status=status, limit=1000)
    titles = {f"t{i}": f"R{i}" for i in range(len(ROWS))} | {"same": "R0/R1"}
    return {(titles.get(row.title, row.title), row.check) for row in rows}


def test_every_failing_document_gets_an_issue_per_failing_check(resources: Resources, source: int) -> None:
    quality_scoring.score_source(resources, ADMIN, source, now=NOW)
    # Worked out by hand from ROWS: R1 (empty customer) and R3 (no customer); R4 (no region);
    # R3 amount is text (so neither a number nor in range); R2 amount -5 and region Mars;
    # R2 and R4 older than 30 days;
    # R1 repeats R0's title and text.
    assert _issues(resources, source) == {
        ("R0/R1", "customer is required"),
        ("R3", "customer is required"),
        ("R4", "region is required"),
        ("R3", "amount is a number"),
        ("R3", "amount in [0, 100]"),
        ("R2", "amount in [0, 100]"),
        ("R2", "region is one of the allowed values"),
        ("R2", "newer than 30 days"),
        ("R4", "newer than 30 days"),
        ("R0/R1", "not a duplicate of an earlier document"),
    }
    quality_scoring.score_source(resources, ADMIN, source, now=NOW)
    assert len(quality_issues.issues(resources, ADMIN, source)) == 10, "no second issue while one is open"


def _issue_ids(resources: Resources, source: int, status: str) -> set[int]:
    return {row.id for row in quality_issues.issues(resources, ADMIN, source, status=status, limit=1000)}


def test_an_issue_is_resolved_once_its_document_passes(resources: Resources, source: int) -> None:
    quality_scoring.score_source(resources, ADMIN, source, now=NOW)
    open_before = _issue_ids(resources, source, "open")
    document_writer.upsert_documents(
        resources,
        ADMIN,
        source,
        [DocumentInput("R2", "t2", "c2", {"customer": "Globex", "region": "EMEA", "amount": 5})],
    )
    quality_scoring.score_source(resources, ADMIN, source, now=NOW)
    open_now = _issues(resources, source)
    assert ("R2", "amount in [0, 100]") not in open_now
    assert ("R2", "region is one of the allowed values") not in open_now
    assert ("R2", "amount in [0, 100]") in _issues(resources, source, status="resolved")
    # Those still failing keep their issue: none resolved and filed afresh.
    open_after, resolved = _issue_ids(resources, source, "open"), _issue_ids(resources, source, "resolved")
    assert open_after < open_before and resolved == open_before - open_after


def test_drill_down_by_dimension_and_bulk_triage(resources: Resources, source: int) -> None:

    quality_scoring.score_source(resources, ADMIN, source, now=NOW)
    validity = quality_issues.issues(resources, ADMIN, source, dimension="validity")
    assert sorted(row.title for row in validity) == ["t2", "t2", "t3", "t3"]
    assignee = users.create_user(resources, ADMIN, "dana@acme.example", "a long enough password", "analyst")
    ids = [row.id for row in validity]
    analyst = role_actor("acme", "analyst")
    assert quality_issues.triage(resources, analyst, ids, status="acknowledged", assignee_id=assignee) == 4
    acknowledged = quality_issues.issues(resources, ADMIN, source, status="acknowledged")
    assert {row.assignee for row in acknowledged} == {"dana@acme.example"}
    with pytest.raises(InvalidInputError, match="nothing was changed"):
        quality_issues.triage(resources, analyst, [*ids, 999_999], status="resolved")
    assert len(quality_issues.issues(resources, ADMIN, source, status="acknowledged")) == 4
    with pytest.raises(PermissionDeniedError):
        quality_issues.triage(resources, role_actor("acme", "viewer"), ids, status="resolved")
    assert quality_issues.counts(resources, ADMIN, source)[("validity", "acknowledged")] == 4


def test_cross_field_consistency_worked_out_by_hand(resources: Resources) -> None:
    source_id = ensure_source(resources.uow(), ADMIN, "Contracts", "csv")
    rows = [
        {"start": "2026-01-01", "end": "2026-06-30", "signed": "yes", "signer": "Ann"},  # passes both
        {"start": "2026-07-01", "end": "2026-06-30", "signed": "yes", "signer": "Bo"},  # start after end
        {"start": "2026-01-01", "signed": "yes"},  # no end: order not checked; no signer
        {"low": 5, "high": 3},  # numbers out of order
        {"low": 3, "high": 5, "start": 1, "end": "2026-01-01"},  # a number and a text: not comparable
    ]
    document_writer.upsert_documents(
        resources, ADMIN, source_id, [DocumentInput(f"C{i}", f"c{i}", "x", row) for i, row in enumerate(rows)]
    )
    quality_settings.set_expectations(
        resources,
        ADMIN,
        source_id,
        {
            "consistency": [
                {"field": "start", "not_after": "end"},
                {"field": "low", "not_after": "high"},
                {"when": "signed", "require": "signer"},
            ]
        },
    )
    score = quality_scoring.score_source(resources, ADMIN, source_id, now=NOW)
    # C0 passes; C1 start > end; C2 signed without signer; C3 low > high; C4 mixed types -> 1 of 5
    assert score.consistency == 20.0
    failing = {(row.title, row.check) for row in quality_issues.issues(resources, ADMIN, source_id)}
    assert failing == {
        ("c1", "start ≤ end"),
        ("c2", "signed requires signer"),
        ("c3", "low ≤ high"),
        ("c4", "start ≤ end"),
    }


def test_a_score_falling_past_a_threshold_notifies_once(resources: Resources, source: int) -> None:
    from sqlalchemy import select

    from superinsight.db.models import BusinessLogicNotification

    quality_settings.set_expectations(
        resources, ADMIN, source, EXPECTATIONS | {"thresholds": {"overall": {"warn": 90, "fail": 50}}}
    )
    quality_scoring.score_source(resources, ADMIN, source, now=NOW)
    quality_scoring.score_source(resources, ADMIN, source, now=NOW)
    with resources.uow() as uow:
        notes = uow.session.scalars(select(BusinessLogicNotification)).all()
    assert [(note.notification_type, note.title) for note in notes] == [
        ("quality_drop", "CRM: overall fell below its warn level")
    ]
    assert "89.8" in notes[0].message  # 89.75, under the warn level of 90


def test_a_single_check_can_have_its_own_threshold(resources: Resources, source: int) -> None:
    from sqlalchemy import select

    from superinsight.db.models import BusinessLogicNotification

    with pytest.raises(InvalidInputError, match="the name of a check"):
        quality_settings.set_expectations(
            resources, ADMIN, source, EXPECTATIONS | {"thresholds": {"colour is red": {}}}
        )
    quality_settings.set_expectations(
        resources, ADMIN, source, EXPECTATIONS | {"thresholds": {"customer is required": {"fail": 80}}}
    )
    quality_scoring.score_source(resources, ADMIN, source, now=NOW)
    with resources.uow() as uow:
        (note,) = uow.session.scalars(select(BusinessLogicNotification)).all()
    # customer is present in 3 of 5 documents: 60 < 80
    assert note.title == "CRM: customer is required fell below its fail level"
    assert note.message == "customer is required is 60.0; the fail level is 80."


def test_suggested_checks_come_from_a_profile_and_are_accepted_whole(resources: Resources) -> None:
    source_id = ensure_source(resources.uow(), ADMIN, "Leads", "csv")
    docs = [
        DocumentInput(
            f"L{i}",
            "t",
            "c",
            {"region": ["EMEA", "NA"][i % 2], "score": i, "note": f"n{i}"}
            | ({"owner": "x"} if i % 3 else {}),
        )
        for i in range(30)
    ]
    document_writer.upsert_documents(resources, ADMIN, source_id, docs)
    suggestion = quality_views.suggest_expectations(resources, ADMIN, source_id)
    assert suggestion.documents == 30
    assert suggestion.expectations == {
        "required": ["note", "region", "score"],
        "types": {"note": "string", "owner": "string", "region": "string", "score": "number"},
        "ranges": {"score": [0, 29]},
        "allowed": {"owner": ["x"], "region": ["EMEA", "NA"]},
    }
    quality_settings.set_expectations(resources, ADMIN, source_id, suggestion.expectations)
    assert quality_scoring.score_source(resources, ADMIN, source_id, now=NOW).validity == 100.0


def test_weights_per_source_decide_the_overall_score(resources: Resources, source: int) -> None:
    quality_settings.set_weights(resources, ADMIN, source, {"completeness": 3, "uniqueness": 0})
    assert quality_settings.weights(resources, ADMIN, source)["validity"] == 1.0
    score = quality_scoring.score_source(resources, ADMIN, source, now=NOW)
    # completeness 70 x3 (warning: 15 points of 30 count), validity 60 (warning: 20 of 40),
    # timeliness 60 (info: 4 of 40); uniqueness weighs nothing -> 100 - (3 * 15 + 20 + 4) / 5
    assert score.overall == 86.2
    with pytest.raises(InvalidInputError, match="from 0 to 10"):
        quality_settings.set_weights(resources, ADMIN, source, {"validity": 11})
    with pytest.raises(InvalidInputError, match="not one of"):
        quality_settings.set_weights(resources, ADMIN, source, {"speed": 1})
    with pytest.raises(PermissionDeniedError):
        quality_settings.set_weights(resources, role_actor("acme", "viewer"), source, {"validity": 2})


def test_duplicates_are_info_and_cost_the_score_a_tenth_of_what_they_miss(resources: Resources) -> None:
    source_id = ensure_source(resources.uow(), ADMIN, "Echo", "csv")
    docs = [DocumentInput(f"E{i}", "same", "same", {}) for i in range(10)]
    document_writer.upsert_documents(resources, ADMIN, source_id, docs)
    score = quality_scoring.score_source(resources, ADMIN, source_id, now=NOW)
    # 9 of 10 repeat the first: uniqueness 10, and at info a tenth of the 90 missing points counts
    assert (score.uniqueness, score.overall) == (10.0, 91.0)
    assert {row.severity for row in quality_issues.issues(resources, ADMIN, source_id)} == {"info"}
    (driver,) = quality_views.history(resources, ADMIN, source_id)[-1].drivers
    assert (driver.dimension, driver.severity, round(driver.lost, 2)) == ("uniqueness", "info", 9.0)
