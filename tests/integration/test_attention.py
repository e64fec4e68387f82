"""The Overview's "needs attention" list: each kind counted from real rows, per role and per reach."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from superinsight.db.base import utcnow
from superinsight.db.models import (
    BusinessInsight,
    BusinessRule,
    DataConflict,
    DataQualityScore,
    DataSource,
    Document,
    LabelingProject,
    SyncExecution,
    SyncJob,
    Task,
)
from superinsight.documents.record import DocumentInput
from superinsight.resources import Resources
from superinsight.services import attention
from superinsight.services.context import Actor, role_actor, system_actor
from superinsight.services.documents import writer as document_writer
from superinsight.services.documents.sources import ensure_source
from superinsight.services.errors import PermissionDeniedError
from superinsight.services.permissions import ROLE_PERMISSIONS

TENANT = "acme"
ADMIN = system_actor(TENANT)
THRESHOLDS = {"thresholds": {"overall": {"warn": 90, "fail": 50}}}


def _counts(resources: Resources, actor: Actor) -> dict[str, int]:
    return {item.kind: item.count for item in attention.attention(resources, actor).items}


def _job(session: Any, source_id: int, name: str, *states: str) -> None:
    """A job with runs in these states, oldest first."""
    job = SyncJob(tenant_id=TENANT, source_id=source_id, name=name)
    session.add(job)
    session.flush()
    start = utcnow() - timedelta(hours=len(states))
    for n, state in enumerate(states):
        session.add(
            SyncExecution(
                tenant_id=TENANT, job_id=job.id, status=state, created_at=start + timedelta(hours=n)
            )
        )


def _score(session: Any, source_id: int, *overalls: float) -> None:
    """Scores of the source, oldest first."""
    start = utcnow() - timedelta(days=len(overalls))
    for n, overall in enumerate(overalls):
        session.add(
            DataQualityScore(
                tenant_id=TENANT,
                scope_type="source",
                scope_id=str(source_id),
                overall=overall,
                computed_at=start + timedelta(days=n),
                details={"checks": {}},
            )
        )


def _conflict(session: Any, document_id: int, status: str = "pending") -> None:
    session.add(
        DataConflict(
            tenant_id=TENANT,
            document_id=document_id,
            source_version={"title": "theirs"},
            workbench_version={"title": "ours"},
            status=status,
        )
    )


def _project(session: Any, document_ids: list[int], *, status: str = "ready", pulled: bool = False) -> None:
    project = LabelingProject(
        tenant_id=TENANT,
        title="p",
        template="sentiment",
        label_config="<View/>",
        status=status,
        labelstudio_project_id=1,
        last_pulled_at=utcnow() if pulled else None,
    )
    session.add(project)
    session.flush()
    for document_id in document_ids:
        session.add(Task(tenant_id=TENANT, project_id=project.id, document_id=document_id))


@pytest.fixture
def workspace(resources: Resources) -> dict[str, int]:
    """Two sources, North and South, each with something of every kind waiting (and things that are not)."""
    north = ensure_source(resources.uow(), ADMIN, "North", "csv")
    south = ensure_source(resources.uow(), ADMIN, "South", "csv")
    for source, prefix in ((north, "n"), (south, "s")):
        document_writer.upsert_documents(
            resources,
            ADMIN,
            source,
            [DocumentInput(f"{prefix}{n}", f"{prefix} {n}", "text", {}) for n in range(3)],
        )
    with resources.uow() as uow:
        session = uow.session
        docs = {
            source: list(session.scalars(select(Document.id).where(Document.source_id == source)))
            for source in (north, south)
        }
        # Sync: North has a failed and a partial job, one failed then retried successfully, one
        # failed with its retry queued; South one failed job. Only the latest run counts.
        _job(session, north, "n-failed", "succeeded", "failed")
        _job(session, north, "n-partial", "partial")
        _job(session, north, "n-recovered", "failed", "succeeded")
        _job(session, north, "n-retrying", "failed", "queued")
        _job(session, north, "n-never-run")
        _job(session, south, "s-failed", "failed")
        # Conflicts: two pending in North, one in South, one already resolved.
        _conflict(session, docs[north][0])
        _conflict(session, docs[north][1])
        _conflict(session, docs[south][0])
        _conflict(session, docs[south][1], status="manually_resolved")
        # Quality: North's newest score fell under warn; South recovered above it; a third
        # source scores low but sets no thresholds.
        for source in session.scalars(select(DataSource).where(DataSource.id.in_([north, south]))):
            source.expectations = THRESHOLDS
        _score(session, north, 95.0, 70.0)
        _score(session, south, 40.0, 96.0)
        # Insights: two new, one acknowledged.
        rule = BusinessRule(tenant_id=TENANT, name="r", body={"==": [1, 1]})
        session.add(rule)
        session.flush()
        for title, acknowledged in (("a", None), ("b", None), ("c", utcnow())):
            session.add(
                BusinessInsight(
                    tenant_id=TENANT,
                    rule_id=rule.id,
                    insight_type="rate",
                    title=title,
                    acknowledged_at=acknowledged,
                )
            )
        # Labeling: a North project never pulled, a mixed one never pulled, one pulled, one still importing.
        _project(session, docs[north][:2])
        _project(session, [docs[north][0], docs[south][0]])
        _project(session, docs[north][:1], pulled=True)
        _project(session, docs[north][:1], status="importing")
        uow.commit()
    plain = ensure_source(resources.uow(), ADMIN, "Plain", "csv")
    with resources.uow() as uow:
        _score(uow.session, plain, 10.0)
        uow.commit()
    return {"north": north, "south": south}


EVERYTHING = {"sync_runs": 3, "conflicts": 3, "quality": 1, "insights": 2, "labeling": 2}


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("admin", EVERYTHING),
        ("analyst", EVERYTHING),
        ("annotator", {}),  # a member of no project (test_labeling_members counts a member's)
        ("viewer", {}),
    ],
)
def test_each_role_gets_the_items_it_may_act_on(
    resources: Resources, workspace: dict[str, int], role: str, expected: dict[str, int]
) -> None:
    found = attention.attention(resources, role_actor(TENANT, role))
    assert {item.kind: item.count for item in found.items} == expected
    assert found.may_act is (role != "viewer")
    assert [item.kind for item in found.items] == [kind for kind in attention.ACTS_ON if kind in expected]


def test_a_user_narrowed_to_some_sources_counts_only_theirs(
    resources: Resources, workspace: dict[str, int]
) -> None:
    north = Actor(TENANT, None, "analyst", None, ROLE_PERMISSIONS["analyst"], frozenset({workspace["north"]}))
    south = Actor(TENANT, None, "analyst", None, ROLE_PERMISSIONS["analyst"], frozenset({workspace["south"]}))
    # Insights come from every source: not for them. The mixed labeling project is outside both reaches.
    assert _counts(resources, north) == {"sync_runs": 2, "conflicts": 2, "quality": 1, "labeling": 1}
    assert _counts(resources, south) == {"sync_runs": 1, "conflicts": 1}


def test_another_workspace_sees_none_of_it(resources: Resources, workspace: dict[str, int]) -> None:
    found = attention.attention(resources, role_actor("other", "admin"))
    assert found.items == [] and found.may_act


def test_a_fail_level_and_a_check_level_count_too(resources: Resources, workspace: dict[str, int]) -> None:
    with resources.uow() as uow:
        south = uow.session.get(DataSource, workspace["south"])
        assert south is not None
        south.expectations = {"required": ["customer"], "thresholds": {"customer is required": {"fail": 80}}}
        uow.session.add(
            DataQualityScore(
                tenant_id=TENANT,
                scope_type="source",
                scope_id=str(south.id),
                overall=99.0,
                computed_at=utcnow() + timedelta(minutes=1),
                details={"checks": {"customer is required": 60.0}},
            )
        )
        uow.commit()
    assert _counts(resources, role_actor(TENANT, "analyst"))["quality"] == 2


def test_an_empty_workspace_needs_nothing(resources: Resources) -> None:
    assert attention.attention(resources, role_actor(TENANT, "admin")).items == []


def test_a_role_without_documents_view_is_refused(resources: Resources) -> None:
    with pytest.raises(PermissionDeniedError):
        attention.attention(resources, Actor(TENANT))
