"""Annotators of a labeling project: members see it, no one else without labeling.manage does.

On both stores; the first class launches through the real Label Studio the test
command starts, the others write projects as rows (membership needs no Label Studio).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

import pytest
from label_studio_sdk import LabelStudio
from sqlalchemy import select

from superinsight.db.models import AuditLog, LabelingProject, LabelingProjectMember, Task
from superinsight.documents.record import DocumentInput
from superinsight.resources import Resources
from superinsight.services import attention
from superinsight.services.context import Actor, role_actor, system_actor
from superinsight.services.documents.sources import ensure_source
from superinsight.services.documents.writer import upsert_documents
from superinsight.services.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from superinsight.services.labeling import launch as labeling_launch
from superinsight.services.labeling import members
from superinsight.services.labeling import pull as labeling_pull
from superinsight.services.labeling import quality as labeling_quality
from superinsight.services.labeling import views as labeling_views
from superinsight.services.labeling.launch import LaunchRequest
from superinsight.services.labeling.selection import Selection
from superinsight.services.security import users
from tests.integration.test_labeling import _count, _wait
from tests.integration.test_labeling import connected as connected  # the fixture, shared

TENANT, OTHER = "acme", "evil"
SYSTEM = system_actor(TENANT)
PASSWORD = "a long enough passphrase"


@dataclass(frozen=True)
class Workspace:
    admin: Actor
    analyst: Actor
    member: Actor  # an annotator who will be added to projects
    outsider: Actor  # an annotator who will not
    viewer_id: int
    analyst_id: int
    other_annotator_id: int  # an annotator of the other workspace

    @property
    def member_id(self) -> int:
        assert self.member.user_id is not None
        return self.member.user_id

    @property
    def outsider_id(self) -> int:
        assert self.outsider.user_id is not None
        return self.outsider.user_id


def _user(resources: Resources, tenant: str, email: str, role: str) -> int:
    return users.create_user(resources, system_actor(tenant), email, PASSWORD, role)


def _people(resources: Resources) -> Workspace:
    ids = {
        role: _user(resources, TENANT, f"{name}@acme.example", role)
        for role, name in (("admin", "ada"), ("analyst", "ana"), ("annotator", "ann"), ("viewer", "vic"))
    }
    outsider = _user(resources, TENANT, "otto@acme.example", "annotator")
    return Workspace(
        role_actor(TENANT, "admin", ids["admin"]),
        role_actor(TENANT, "analyst", ids["analyst"]),
        role_actor(TENANT, "annotator", ids["annotator"]),
        role_actor(TENANT, "annotator", outsider),
        ids["viewer"],
        ids["analyst"],
        _user(resources, OTHER, "eve@evil.example", "annotator"),
    )


def _project(resources: Resources, tenant: str, title: str) -> int:
    """A launched project as its row: membership asks nothing of Label Studio."""
    with resources.uow() as uow:
        project = LabelingProject(
            tenant_id=tenant, title=title, template="sentiment", label_config="<View/>", status="ready"
        )
        uow.session.add(project)
        uow.commit()
        return project.id


def _rows(resources: Resources) -> tuple[int, int]:
    """(membership rows, audit entries): what a refused call must leave as it was."""
    return _count(resources, LabelingProjectMember), _count(resources, AuditLog)


def _titles(resources: Resources, actor: Actor) -> list[str]:
    return sorted(p.title for p in labeling_views.list_projects(resources, actor))


class TestWithLabelStudio:
    def test_a_member_sees_the_project_and_others_do_not(
        self, connected: Resources, label_studio: tuple[str, str]
    ) -> None:
        people = _people(connected)
        source = ensure_source(connected.uow(), SYSTEM, "Tickets", "database")
        upsert_documents(
            connected, SYSTEM, source, [DocumentInput(f"T{i}", f"Ticket {i}", "text", {}) for i in range(5)]
        )
        request = LaunchRequest("Triage", "sentiment", Selection(), annotators=(people.member_id,))
        triage, job = labeling_launch.launch(connected, people.analyst, request)
        assert _wait(connected, job) == "finished"
        _, job = labeling_launch.launch(
            connected, people.admin, replace(request, title="Other", annotators=())
        )
        assert _wait(connected, job) == "finished"
        assert _count(connected, AuditLog, AuditLog.action == "labeling.member.add") == 1

        # The member: the project, its progress from Label Studio and its link; the Overview counts it.
        [seen] = labeling_views.list_projects(connected, people.member)
        assert (seen.title, seen.tasks, seen.done, seen.progress_note) == ("Triage", 5, 0, None)
        assert seen.url is not None and seen.url.startswith(label_studio[0])
        found = attention.attention(connected, people.member)
        assert {item.kind: item.count for item in found.items} == {"labeling": 1}
        # Admins and analysts see both; the other annotator sees none and is told nothing about it.
        assert _titles(connected, people.admin) == _titles(connected, people.analyst) == ["Other", "Triage"]
        assert labeling_views.list_projects(connected, people.outsider) == []
        assert attention.attention(connected, people.outsider).items == []
        audits = _count(connected, AuditLog)
        for call in (
            lambda: labeling_pull.start_pull(connected, people.outsider, triage),
            lambda: labeling_pull.pull_annotations(connected, people.outsider, triage),
            lambda: labeling_quality.project_agreement(connected, people.outsider, triage),
            lambda: labeling_views.project_documents(connected, people.outsider, triage),
        ):
            with pytest.raises(NotFoundError, match=f"labeling project {triage} does not exist"):
                call()
        assert _count(connected, AuditLog) == audits
        # The member pulls their project; annotators neither launch nor send more.
        assert _wait(connected, labeling_pull.start_pull(connected, people.member, triage)) == "finished"
        with pytest.raises(PermissionDeniedError, match="may not launch Label Studio projects"):
            labeling_launch.launch(connected, people.member, replace(request, annotators=()))
        with pytest.raises(PermissionDeniedError):
            labeling_launch.add_to_project(connected, people.member, triage, new_matches=True)

    def test_a_launch_naming_a_non_annotator_writes_nothing_on_either_side(
        self, connected: Resources, label_studio: tuple[str, str]
    ) -> None:
        people = _people(connected)
        source = ensure_source(connected.uow(), SYSTEM, "Tickets", "database")
        upsert_documents(connected, SYSTEM, source, [DocumentInput("T1", "Ticket", "text", {})])
        client = LabelStudio(base_url=label_studio[0], api_key=label_studio[1])
        before = len(list(client.projects.list()))
        request = LaunchRequest(
            "X", "sentiment", Selection(), annotators=(people.member_id, people.viewer_id)
        )
        with pytest.raises(
            InvalidInputError, match=re.escape("vic@acme.example (viewer) does not work on labeling")
        ):
            labeling_launch.launch(connected, people.admin, request)
        with pytest.raises(NotFoundError, match="in this workspace"):
            labeling_launch.launch(
                connected, people.admin, replace(request, annotators=(people.other_annotator_id,))
            )
        assert len(list(client.projects.list())) == before
        assert _count(connected, LabelingProject) == _count(connected, Task) == 0
        assert _rows(connected)[0] == 0


class TestMembership:
    def test_adding_and_removing_is_audited_and_decides_what_an_annotator_sees(
        self, resources: Resources
    ) -> None:
        people = _people(resources)
        project = _project(resources, TENANT, "Refunds")
        assert labeling_views.list_projects(resources, people.member) == []

        assert members.add_annotators(resources, people.admin, project, [people.member_id]) == 1
        assert _titles(resources, people.member) == ["Refunds"]
        assert _titles(resources, people.outsider) == []
        [entry] = _entries(resources, "labeling.member.add")
        assert (entry.entity_type, entry.entity_id, entry.user_id) == (
            "labeling_project",
            str(project),
            people.admin.user_id,
        )
        assert entry.after == {"user_id": people.member_id, "email": "ann@acme.example"}
        with resources.uow() as uow:
            row = uow.session.scalars(select(LabelingProjectMember)).one()
            assert (row.tenant_id, row.added_by, row.added_at is not None) == (
                TENANT,
                people.admin.user_id,
                True,
            )

        # Adding a member again changes nothing and audits nothing.
        assert members.add_annotators(resources, people.analyst, project, [people.member_id]) == 0
        assert len(_entries(resources, "labeling.member.add")) == 1
        assert [a.email for a in members.project_annotators(resources, people.admin, project)] == [
            "ann@acme.example"
        ]
        assert [a.email for a in members.annotator_choices(resources, people.admin)] == [
            "ann@acme.example",
            "otto@acme.example",
        ]

        assert members.set_annotators(resources, people.analyst, project, [people.outsider_id]) == (1, 1)
        assert _titles(resources, people.member) == []
        assert _titles(resources, people.outsider) == ["Refunds"]
        assert members.remove_annotators(resources, people.admin, project, [people.outsider_id]) == 1
        assert members.remove_annotators(resources, people.admin, project, [people.outsider_id]) == 0
        assert _titles(resources, people.outsider) == []
        removed = _entries(resources, "labeling.member.remove")
        assert [e.before["email"] for e in removed] == ["ann@acme.example", "otto@acme.example"]

    def test_a_deleted_project_or_user_takes_its_memberships_with_it(self, resources: Resources) -> None:
        people = _people(resources)
        project = _project(resources, TENANT, "Gone")
        members.add_annotators(resources, people.admin, project, [people.member_id, people.outsider_id])
        with resources.uow() as uow:
            uow.session.delete(uow.session.get(LabelingProject, project))
            uow.commit()
        assert _rows(resources)[0] == 0


def _entries(resources: Resources, action: str) -> list[AuditLog]:
    with resources.uow() as uow:
        return list(
            uow.session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))
        )


def _membership_calls(
    resources: Resources, actor: Actor, project: int, people: Workspace
) -> list[Callable[[], object]]:
    return [
        lambda: members.add_annotators(resources, actor, project, [people.outsider_id]),
        lambda: members.remove_annotators(resources, actor, project, [people.member_id]),
        lambda: members.set_annotators(resources, actor, project, []),
        lambda: members.annotator_choices(resources, actor),
        lambda: members.project_annotators(resources, actor, project),
    ]


class TestRefusals:
    def test_another_workspaces_project_or_user_is_refused_and_nothing_written(
        self, resources: Resources
    ) -> None:
        people = _people(resources)
        ours = _project(resources, TENANT, "Ours")
        theirs = _project(resources, OTHER, "Theirs")
        members.add_annotators(resources, people.admin, ours, [people.member_id])
        before = _rows(resources)
        for call in (
            lambda: members.add_annotators(resources, people.admin, theirs, [people.member_id]),
            lambda: members.add_annotators(resources, people.admin, ours, [people.other_annotator_id]),
            lambda: members.remove_annotators(resources, people.admin, theirs, [people.member_id]),
            lambda: members.remove_annotators(resources, people.admin, ours, [people.other_annotator_id]),
            lambda: members.set_annotators(resources, people.admin, ours, [people.other_annotator_id]),
            lambda: members.project_annotators(resources, people.admin, theirs),
        ):
            with pytest.raises(NotFoundError):
                call()
        assert _rows(resources) == before
        evil_admin = role_actor(OTHER, "admin")
        with pytest.raises(NotFoundError):
            members.add_annotators(resources, evil_admin, ours, [people.other_annotator_id])
        assert (
            labeling_views.list_projects(resources, role_actor(OTHER, "annotator", people.other_annotator_id))
            == []
        )
        assert _rows(resources) == before

    def test_only_labeling_managers_change_members(self, resources: Resources) -> None:
        people = _people(resources)
        project = _project(resources, TENANT, "Refunds")
        members.add_annotators(resources, people.admin, project, [people.member_id])
        before = _rows(resources)
        # An analyst whose role was changed to lose labeling.manage is refused like a viewer or an annotator.
        limited = replace(people.analyst, permissions=people.analyst.permissions - {"labeling.manage"})
        for actor in (people.member, role_actor(TENANT, "viewer", people.viewer_id), limited):
            for call in _membership_calls(resources, actor, project, people):
                with pytest.raises(
                    PermissionDeniedError, match="may not launch Label Studio projects, choose"
                ):
                    call()
        assert _rows(resources) == before
        # The limited analyst still works on labeling projects, but only on those they are a member of.
        assert labeling_views.list_projects(resources, limited) == []

    def test_who_cannot_be_an_annotator_is_refused_with_the_reason(self, resources: Resources) -> None:
        people = _people(resources)
        project = _project(resources, TENANT, "Refunds")
        users.set_user_active(resources, SYSTEM, people.outsider_id, False)
        before = _rows(resources)
        cases = [
            ([people.viewer_id], "vic@acme.example (viewer) does not work on labeling projects"),
            ([people.analyst_id], "ana@acme.example (analyst) already sees every labeling project"),
            ([people.outsider_id], "otto@acme.example is deactivated"),
            ([people.member_id, 10**9], f"no user with id {10**9} in this workspace"),
            (["1"], "named by their user id"),
            (list(range(101)), "at most 100"),
        ]
        for user_ids, message in cases:
            with pytest.raises((InvalidInputError, NotFoundError), match=re.escape(message)):
                members.add_annotators(resources, people.admin, project, user_ids)
            with pytest.raises((InvalidInputError, NotFoundError)):
                members.set_annotators(resources, people.admin, project, user_ids)
        assert _rows(resources) == before
        # A member who is no longer an annotator can still be removed.
        members.add_annotators(resources, people.admin, project, [people.member_id])
        users.set_role(resources, SYSTEM, people.member_id, "viewer")
        assert members.remove_annotators(resources, people.admin, project, [people.member_id]) == 1

    def test_a_user_without_an_id_sees_no_project(self, resources: Resources) -> None:
        people = _people(resources)
        project = _project(resources, TENANT, "Refunds")
        members.add_annotators(resources, people.admin, project, [people.member_id])
        assert labeling_views.list_projects(resources, role_actor(TENANT, "annotator")) == []
