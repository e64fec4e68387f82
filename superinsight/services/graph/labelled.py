"""Labeling projects in the graph: Document -[:LABELLED_IN]-> LabelingProject, and what annotators marked.

A project is noted (`labeling`) when it is launched, extended or pulled. Its
projection merges the project node, re-projects its documents (so the entities
their named-entity labels mark are mentioned, and those an edited or deleted
annotation no longer marks are not) and links each document to the project.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, select

from superinsight.db.models import Document, LabelingProject, Task
from superinsight.lineage import projection as shape
from superinsight.resources import Resources
from superinsight.services.context import internal
from superinsight.services.graph import project


def _projects(resources: Resources, tenant_id: str, *where: ColumnElement[bool], with_documents: bool) -> int:
    """Project the projects `where` picks; returns how many there were."""
    with resources.uow() as uow:
        rows = uow.session.execute(
            select(
                LabelingProject.id,
                LabelingProject.title,
                LabelingProject.template,
                LabelingProject.labelstudio_project_id,
            ).where(LabelingProject.tenant_id == tenant_id, *where)
        ).all()
        for row in rows:
            sources = uow.session.scalars(
                select(Document.source_id)
                .join(Task, Task.document_id == Document.id)
                .where(Task.project_id == row.id)
                .distinct()
            )
            project.write(resources, tenant_id, shape.labeling_project(shape.ProjectRow(*row), sources))
            tasks = select(Task.document_id).where(Task.project_id == row.id, Task.tenant_id == tenant_id)
            for batch in project.batches(uow.session, tasks, Task.document_id):
                ids = [doc_id for (doc_id,) in batch]
                if with_documents:
                    project.documents(resources, tenant_id, Document.id.in_(ids))
                project.write(resources, tenant_id, shape.labelled_in(row.id, ids))
    return len(rows)


@internal("projects a labeling project a guarded launch, extension or pull changed, for its tenant")
def project_labeling(resources: Resources, tenant_id: str, project_id: int) -> None:
    if not _projects(resources, tenant_id, LabelingProject.id == project_id, with_documents=True):
        resources.graph.delete_nodes(tenant_id, [shape.ref(shape.PROJECT, project_id)])


@internal("part of a rebuild of one tenant's graph, after its documents were projected")
def project_all(resources: Resources, tenant_id: str) -> None:
    _projects(resources, tenant_id, with_documents=False)
