"""What the Labeling page and the graph read: projects with progress and links, labels, billing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from superinsight.db.models import Annotation, BillingRecord, Document, LabelingProject, Task
from superinsight.exports import csv_lines
from superinsight.labeling.labels import entity_labels, label_names
from superinsight.resources import Resources
from superinsight.services.context import Actor, require
from superinsight.services.labeling.connection import LabelingUnavailableError, reaching_label_studio
from superinsight.services.labeling.projects import progress_key, tenant_project, within_reach
from superinsight.services.scoping import visible_row

PROGRESS_SECONDS = 30


@dataclass(frozen=True)
class ProjectView:
    id: int
    title: str
    template: str
    status: str
    error: str | None
    tasks: int
    done: int
    url: str | None
    per_annotator: dict[str, int] = field(default_factory=dict)
    last_pulled_at: datetime | None = None
    # Set when Label Studio could not be asked: the figures are what the last pull brought back.
    progress_note: str | None = None

    @property
    def fraction(self) -> float:
        return self.done / self.tasks if self.tasks else 0.0


def _progress(
    resources: Resources, project: LabelingProject, ours: tuple[int, int]
) -> tuple[int, int, str | None]:
    """(tasks, done) as Label Studio counts them, cached briefly; ours when it cannot be asked."""
    key = progress_key(project.id)
    cached = resources.cache.get(key)
    if isinstance(cached, list) and len(cached) == 2:
        return int(cached[0]), int(cached[1]), None
    try:
        with reaching_label_studio():
            counts = resources.annotator.task_counts(int(project.labelstudio_project_id or 0))
    except LabelingUnavailableError as exc:
        return ours[0], ours[1], str(exc)
    resources.cache.set(key, list(counts), PROGRESS_SECONDS)
    return counts[0], counts[1], None


def list_projects(resources: Resources, actor: Actor) -> list[ProjectView]:
    """The projects the actor can work on, newest first, with progress and the link to open each."""
    require(actor, "labeling.launch")
    with resources.uow() as uow:
        projects = list(
            uow.session.scalars(
                select(LabelingProject).where(within_reach(actor)).order_by(LabelingProject.id.desc())
            )
        )
        ids = [p.id for p in projects]
        counts = {
            row[0]: (int(row[1]), int(row[2] or 0))
            for row in uow.session.execute(
                select(
                    Task.project_id,
                    func.count(),
                    func.count().filter(Task.status == "completed"),
                )
                .where(Task.project_id.in_(ids))
                .group_by(Task.project_id)
            )
        }
        annotators: dict[int, dict[str, int]] = {}
        for project_id, who, count in uow.session.execute(
            select(Task.project_id, Annotation.completed_by, func.count())
            .join(Annotation, Annotation.task_id == Task.id)
            .where(Task.project_id.in_(ids))
            .group_by(Task.project_id, Annotation.completed_by)
        ):
            annotators.setdefault(project_id, {})[who or "unknown"] = int(count)
        views = []
        for project in projects:
            tasks, done, note = _progress(resources, project, counts.get(project.id, (0, 0)))
            url = None
            if note is None and project.labelstudio_project_id is not None:
                url = resources.annotator.project_url(project.labelstudio_project_id)
            views.append(
                ProjectView(
                    project.id,
                    project.title,
                    project.template,
                    project.status,
                    project.error,
                    tasks,
                    done,
                    url,
                    annotators.get(project.id, {}),
                    project.last_pulled_at,
                    note,
                )
            )
        return views


def project_documents(resources: Resources, actor: Actor, project_id: int) -> list[tuple[int, list[str]]]:
    """Each document of the project with the entity labels annotators gave it (for the lineage graph)."""
    require(actor, "labeling.launch")
    with resources.uow() as uow:
        tenant_project(uow.session, actor, project_id)
        labelled: dict[int, list[str]] = {}
        for doc_id, result in uow.session.execute(
            select(Task.document_id, Annotation.result)
            .outerjoin(Annotation, Annotation.task_id == Task.id)
            .where(Task.project_id == project_id)
            .order_by(Task.document_id, Annotation.id)
        ):
            names = labelled.setdefault(doc_id, [])
            names.extend(n for n in entity_labels(result or []) if n not in names)
        return sorted(labelled.items())


@dataclass(frozen=True)
class BillingRow:
    project: str
    annotator: str
    items: int
    seconds: float
    period_start: datetime
    period_end: datetime


def billing_summary(resources: Resources, actor: Actor) -> list[BillingRow]:
    """Annotated items and time spent, per annotator per project (admins: it names people and their pace)."""
    require(actor, "audit.view")
    with resources.uow() as uow:
        rows = uow.session.execute(
            select(LabelingProject.title, BillingRecord)
            .join(LabelingProject, LabelingProject.id == BillingRecord.project_id)
            .where(BillingRecord.tenant_id == actor.tenant_id)
            .order_by(LabelingProject.title, BillingRecord.annotator)
        ).all()
        return [
            BillingRow(title, r.annotator or "unknown", r.quantity, r.seconds, r.period_start, r.period_end)
            for title, r in rows
        ]


def billing_csv(resources: Resources, actor: Actor) -> Iterator[str]:
    rows = billing_summary(resources, actor)
    return csv_lines(
        ["project", "annotator", "items", "seconds", "period_start", "period_end"],
        (
            [r.project, r.annotator, r.items, r.seconds, r.period_start.isoformat(), r.period_end.isoformat()]
            for r in rows
        ),
    )


def document_labels(resources: Resources, actor: Actor, document_id: int) -> list[str]:
    """Every label annotators gave the document, in any project (empty when it was never labelled)."""
    require(actor, "documents.view")
    with resources.uow() as uow:
        visible_row(uow.session, actor, Document, document_id, "document")
        results = uow.session.scalars(
            select(Annotation.result).where(
                Annotation.document_id == document_id, Annotation.tenant_id == actor.tenant_id
            )
        )
        found: list[str] = []
        for result in results:
            found.extend(n for n in label_names(result) if n not in found)
        return found
