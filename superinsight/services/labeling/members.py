"""Who annotates a labeling project: chosen by `labeling.manage`, checked, audited, one workspace only.

A user whose role works on labeling projects (`labeling.launch`) but does not manage
them (`labeling.manage`: admins and analysts) is an annotator: they see only the
projects they are a member of (`projects.within_reach`). Admins and analysts see
every project of the workspace, so they are not added. Label Studio keeps members
of its own; the workbench neither reads nor writes them: these rows decide.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from superinsight.db.models import LabelingProjectMember, Permission, Role, User
from superinsight.resources import Resources
from superinsight.services import audit, inputs
from superinsight.services.context import Actor, internal, require
from superinsight.services.errors import InvalidInputError, NotFoundError
from superinsight.services.labeling.projects import MANAGE, tenant_project

WORKS_ON = "labeling.launch"


@dataclass(frozen=True)
class Annotator:
    id: int
    email: str
    full_name: str

    @property
    def label(self) -> str:
        """How a person is named in a list: their name and email, or the email alone."""
        return f"{self.full_name} ({self.email})" if self.full_name else self.email


def _annotating_roles(session: Session) -> set[int]:
    """Roles whose projects membership decides: they work on projects but do not manage them."""
    held: dict[int, set[str]] = {}
    for role_id, code in session.execute(select(Role.id, Permission.code).join(Role.permissions)):
        held.setdefault(role_id, set()).add(code)
    return {role_id for role_id, codes in held.items() if WORKS_ON in codes and MANAGE not in codes}


def _user_ids(user_ids: Iterable[int]) -> list[int]:
    listed = inputs.values(user_ids, "annotators")
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in listed):
        raise InvalidInputError("annotators are named by their user id")
    return sorted(set(listed))


def _tenant_users(session: Session, actor: Actor, user_ids: list[int]) -> list[User]:
    """The actor's workspace's users with these ids; a missing one (or another workspace's) refuses."""
    users = list(
        session.scalars(
            select(User).where(User.tenant_id == actor.tenant_id, User.id.in_(user_ids)).order_by(User.email)
        )
    )
    missing = sorted(set(user_ids) - {user.id for user in users})
    if missing:
        raise NotFoundError(f"no user with id {', '.join(map(str, missing))} in this workspace")
    return users


@internal("called inside a guarded launch or change of members; applies the actor's tenant itself")
def check_annotators(session: Session, actor: Actor, user_ids: Iterable[int]) -> list[User]:
    """The users, if each is an active annotator of the actor's workspace; refuses with every problem."""
    users = _tenant_users(session, actor, _user_ids(user_ids))
    annotating = _annotating_roles(session)
    problems = []
    for user in users:
        if not user.is_active:
            problems.append(f"{user.email} is deactivated: reactivate the account first")
        elif user.role_id not in annotating and MANAGE in {p.code for p in user.role.permissions}:
            problems.append(
                f"{user.email} ({user.role.name}) already sees every labeling project: "
                "only annotators are added to a project"
            )
        elif user.role_id not in annotating:
            problems.append(
                f"{user.email} ({user.role.name}) does not work on labeling projects: "
                "give them the annotator role first"
            )
    if problems:
        raise InvalidInputError("; ".join(problems))
    return users


@internal("called inside a guarded launch or change of members, after check_annotators")
def enrol(session: Session, actor: Actor, project_id: int, users: list[User]) -> int:
    """Make the users members of the project (those not yet one), each audited; returns how many."""
    present = set(
        session.scalars(
            select(LabelingProjectMember.user_id).where(
                LabelingProjectMember.tenant_id == actor.tenant_id,
                LabelingProjectMember.project_id == project_id,
            )
        )
    )
    added = [user for user in users if user.id not in present]
    for user in added:
        session.add(
            LabelingProjectMember(
                tenant_id=actor.tenant_id, project_id=project_id, user_id=user.id, added_by=actor.user_id
            )
        )
        audit.record(
            session,
            actor,
            "labeling.member.add",
            "labeling_project",
            project_id,
            after={"user_id": user.id, "email": user.email},
        )
    return len(added)


def _withdraw(session: Session, actor: Actor, project_id: int, users: list[User]) -> int:
    """End the users' membership of the project (those who are members), each audited; returns how many."""
    removed = 0
    for user in users:
        gone = session.execute(
            delete(LabelingProjectMember).where(
                LabelingProjectMember.tenant_id == actor.tenant_id,
                LabelingProjectMember.project_id == project_id,
                LabelingProjectMember.user_id == user.id,
            )
        )
        if getattr(gone, "rowcount", 0):
            audit.record(
                session,
                actor,
                "labeling.member.remove",
                "labeling_project",
                project_id,
                before={"user_id": user.id, "email": user.email},
            )
            removed += 1
    return removed


def _annotators(users: Iterable[User]) -> list[Annotator]:
    return [Annotator(user.id, user.email, user.full_name) for user in users]


def annotator_choices(resources: Resources, actor: Actor) -> list[Annotator]:
    """The workspace's active annotators, by email: the people a project can be given to."""
    require(actor, MANAGE)
    with resources.uow() as uow:
        annotating = _annotating_roles(uow.session)
        return _annotators(
            uow.session.scalars(
                select(User)
                .where(User.tenant_id == actor.tenant_id, User.is_active, User.role_id.in_(annotating))
                .order_by(User.email)
            )
        )


def project_annotators(resources: Resources, actor: Actor, project_id: int) -> list[Annotator]:
    """The project's members, by email."""
    require(actor, MANAGE)
    with resources.uow() as uow:
        tenant_project(uow.session, actor, project_id)
        return _annotators(
            uow.session.scalars(
                select(User)
                .join(LabelingProjectMember, LabelingProjectMember.user_id == User.id)
                .where(
                    LabelingProjectMember.tenant_id == actor.tenant_id,
                    LabelingProjectMember.project_id == project_id,
                )
                .order_by(User.email)
            )
        )


def add_annotators(resources: Resources, actor: Actor, project_id: int, user_ids: Iterable[int]) -> int:
    """Add annotators to the project; returns how many were not members yet."""
    require(actor, MANAGE)
    with resources.uow() as uow:
        tenant_project(uow.session, actor, project_id)
        added = enrol(uow.session, actor, project_id, check_annotators(uow.session, actor, user_ids))
        uow.commit()
        return added


def remove_annotators(resources: Resources, actor: Actor, project_id: int, user_ids: Iterable[int]) -> int:
    """Remove annotators from the project (whatever their role is now); returns how many were members."""
    require(actor, MANAGE)
    with resources.uow() as uow:
        tenant_project(uow.session, actor, project_id)
        users = _tenant_users(uow.session, actor, _user_ids(user_ids))
        removed = _withdraw(uow.session, actor, project_id, users)
        uow.commit()
        return removed


def set_annotators(
    resources: Resources, actor: Actor, project_id: int, user_ids: Iterable[int]
) -> tuple[int, int]:
    """Make exactly these users the project's annotators, in one transaction: (added, removed)."""
    require(actor, MANAGE)
    with resources.uow() as uow:
        tenant_project(uow.session, actor, project_id)
        wanted = check_annotators(uow.session, actor, user_ids)
        current = set(
            uow.session.scalars(
                select(LabelingProjectMember.user_id).where(
                    LabelingProjectMember.tenant_id == actor.tenant_id,
                    LabelingProjectMember.project_id == project_id,
                )
            )
        )
        leaving = sorted(current - {user.id for user in wanted})
        removed = _withdraw(uow.session, actor, project_id, _tenant_users(uow.session, actor, leaving))
        added = enrol(uow.session, actor, project_id, wanted)
        uow.commit()
        return added, removed
