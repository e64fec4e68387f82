"""Finding a project for an actor: the tenant's, and for a narrowed user only one within reach."""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session

from superinsight.db.models import Document, LabelingProject, Task
from superinsight.services.context import Actor, internal
from superinsight.services.errors import NotFoundError
from superinsight.services.scoping import visible_sources


@internal("builds a condition for a query inside a guarded call and reads nothing itself")
def within_reach(actor: Actor) -> ColumnElement[bool]:
    """The actor's tenant's projects; a narrowed user's only when every document is within their reach."""
    condition = LabelingProject.tenant_id == actor.tenant_id
    if actor.source_ids is None:
        return condition
    outside = (
        select(Task.id)
        .join(Document, Document.id == Task.document_id)
        .where(Task.project_id == LabelingProject.id, ~visible_sources(actor, Document.source_id))
    )
    return condition & ~exists(outside)


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
