"""Finding a project for an actor: the tenant's, only a member's for an annotator, within a narrowed reach.

`within_reach` is the one condition every read of labeling projects uses (the
Labeling page's list, progress and links, pulls, agreement, the Overview's
attention list), so who sees which project is decided here only.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, false, select
from sqlalchemy.orm import Session

from superinsight.db.models import Document, LabelingProject, LabelingProjectMember, Task
from superinsight.services.context import Actor, internal
from superinsight.services.errors import NotFoundError
from superinsight.services.scoping import visible_sources

MANAGE = "labeling.manage"


def _member_of(actor: Actor) -> ColumnElement[bool]:
    """True for the projects the actor was added to as an annotator."""
    if actor.user_id is None:
        return false()
    return exists(
        select(LabelingProjectMember.user_id).where(
            LabelingProjectMember.tenant_id == actor.tenant_id,
            LabelingProjectMember.project_id == LabelingProject.id,
            LabelingProjectMember.user_id == actor.user_id,
        )
    )


@internal("builds a condition for a query inside a guarded call and reads nothing itself")
def within_reach(actor: Actor) -> ColumnElement[bool]:
    """The actor's tenant's projects: all of them for `labeling.manage`, else those they are a member of;
    for a narrowed user only those whose every document is within their reach."""
    condition = LabelingProject.tenant_id == actor.tenant_id
    if not actor.can(MANAGE):
        condition = condition & _member_of(actor)
    if actor.source_ids is None:
        return condition
    outside = (
        select(Task.id)
        .join(Document, Document.id == Task.document_id)
        .where(Task.project_id == LabelingProject.id, ~visible_sources(actor, Document.source_id))
    )
    return condition & ~exists(outside)


@internal("called inside guarded calls (the graph's display of project nodes); applies the actor's reach")
def visible_ids(session: Session, actor: Actor) -> frozenset[int] | None:
    """The projects the actor may see, or None when that is every project of their tenant."""
    if actor.can(MANAGE) and actor.source_ids is None:
        return None
    return frozenset(session.scalars(select(LabelingProject.id).where(within_reach(actor))))


@internal("called inside guarded labeling calls; applies the actor's tenant and reach itself")
def tenant_project(session: Session, actor: Actor, project_id: int) -> LabelingProject:
    project = session.scalar(
        select(LabelingProject).where(LabelingProject.id == project_id, within_reach(actor))
    )
    if project is None:
        raise NotFoundError(f"labeling project {project_id} does not exist")
    return project


@internal("a cache key made from a project id alone; it reads and changes nothing")
def progress_key(project_id: int) -> str:
    return f"labeling:progress:{project_id}"
