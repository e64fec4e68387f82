"""Pulling annotations back from Label Studio as a job: idempotent, edits update ours, billing recomputed.

A pull mirrors Label Studio: an annotation seen before is updated in place (found by
task and Label Studio id), one deleted there is deleted here, and a second pull with
nothing changed in Label Studio changes nothing. Billing rows per annotator are
recomputed from the pulled annotations, so they always match them. A pull that
changed annotations notes the project in the graph backlog with them (entities
from named-entity labels).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from superinsight.adapters.jobs import report_progress
from superinsight.db.base import aware, utcnow
from superinsight.db.models import Annotation, BillingRecord, Document, Task
from superinsight.labeling.labels import label_names
from superinsight.resources import Resources, current_resources
from superinsight.services import audit
from superinsight.services.context import Actor, job_entry, require, system_actor
from superinsight.services.graph import backlog as graph_backlog
from superinsight.services.labeling.connection import reaching_label_studio
from superinsight.services.labeling.projects import progress_key, tenant_project

BILLING_ITEM = "annotation"


@dataclass(frozen=True)
class PullResult:
    added: int
    updated: int
    removed: int
    unchanged: int


def start_pull(resources: Resources, actor: Actor, project_id: int) -> str:
    """Check and record the pull, then hand it to the job queue; returns the job id."""
    require(actor, "labeling.launch")
    with resources.uow() as uow:
        tenant_project(uow.session, actor, project_id)
        audit.record(uow.session, actor, "labeling.pull", "labeling_project", project_id)
        uow.commit()
    with resources.active():
        return resources.jobs.enqueue(pull_job, actor.tenant_id, actor.user_id, project_id)


@job_entry("the Pull call, after its labeling checks")
def pull_job(tenant_id: str, user_id: int | None, project_id: int) -> PullResult:
    return pull_annotations(current_resources(), system_actor(tenant_id, user_id), project_id)


def _annotator_name(completed_by: Any, emails: dict[int, str]) -> str | None:
    if isinstance(completed_by, dict):
        completed_by = completed_by.get("email") or completed_by.get("id")
    if isinstance(completed_by, int):
        return emails.get(completed_by, f"user {completed_by}")
    return None if completed_by is None else str(completed_by)


def _moment(value: Any) -> datetime | None:
    try:
        return aware(datetime.fromisoformat(str(value).replace("Z", "+00:00"))) if value else None
    except ValueError:
        return None


def _bill(session: Session, actor: Actor, project_id: int) -> None:
    """One row per annotator: items annotated and seconds spent, from the pulled annotations."""
    session.execute(delete(BillingRecord).where(BillingRecord.project_id == project_id))
    per_annotator: dict[str, list[Annotation]] = {}
    query = select(Annotation).join(Task, Task.id == Annotation.task_id).where(Task.project_id == project_id)
    for annotation in session.scalars(query):
        per_annotator.setdefault(annotation.completed_by or "unknown", []).append(annotation)
    for annotator, done in sorted(per_annotator.items()):
        moments = [aware(a.created_at) for a in done]
        session.add(
            BillingRecord(
                tenant_id=actor.tenant_id,
                project_id=project_id,
                annotator=annotator,
                item=BILLING_ITEM,
                quantity=len(done),
                seconds=round(sum(a.lead_time_seconds or 0.0 for a in done), 3),
                period_start=min(moments),
                period_end=max(moments),
            )
        )


def _relabel(session: Session, project_id: int) -> None:
    """Each of the project's documents: label name -> how many annotations (in any project) gave it."""
    documents = select(Task.document_id).where(Task.project_id == project_id)
    counts: dict[int, Counter[str]] = {}
    for doc_id, result in session.execute(
        select(Annotation.document_id, Annotation.result).where(Annotation.document_id.in_(documents))
    ):
        counts.setdefault(doc_id, Counter()).update(label_names(result))
    for document in session.scalars(select(Document).where(Document.id.in_(documents))):
        labels = dict(sorted(counts.get(document.id, Counter()).items()))
        if document.labels != labels:
            document.labels = labels


def pull_annotations(resources: Resources, actor: Actor, project_id: int) -> PullResult:
    require(actor, "labeling.launch")
    with resources.uow() as uow, reaching_label_studio():
        project = tenant_project(uow.session, actor, project_id)
        exported = resources.annotator.export_tasks(int(project.labelstudio_project_id or 0))
        emails = resources.annotator.user_emails()
        report_progress(0.3, f"{len(exported):,} tasks read from Label Studio")
        ours = {
            row.labelstudio_task_id: row
            for row in uow.session.scalars(select(Task).where(Task.project_id == project_id))
        }
        kept = {
            (a.task_id, a.labelstudio_annotation_id): a
            for a in uow.session.scalars(
                select(Annotation)
                .join(Task, Task.id == Annotation.task_id)
                .where(Task.project_id == project_id)
            )
        }
        added = updated = unchanged = 0
        seen: set[tuple[int, int]] = set()
        for exported_task in exported:
            task = ours.get(int(exported_task["id"]))
            if task is None:
                continue  # a task added in Label Studio by hand: no document of ours
            done = [a for a in exported_task.get("annotations") or [] if not a.get("was_cancelled")]
            task.status = "completed" if done else "pending"
            for item in done:
                key = (task.id, int(item["id"]))
                seen.add(key)
                values = {
                    "result": item.get("result") or [],
                    "completed_by": _annotator_name(item.get("completed_by"), emails),
                    "lead_time_seconds": item.get("lead_time"),
                }
                annotation = kept.get(key)
                if annotation is None:
                    uow.session.add(
                        Annotation(
                            tenant_id=actor.tenant_id,
                            task_id=task.id,
                            document_id=task.document_id,
                            labelstudio_annotation_id=key[1],
                            created_at=_moment(item.get("created_at")) or utcnow(),
                            **values,
                        )
                    )
                    added += 1
                elif any(getattr(annotation, name) != value for name, value in values.items()):
                    for name, value in values.items():
                        setattr(annotation, name, value)
                    updated += 1
                else:
                    unchanged += 1
        gone = [a for key, a in kept.items() if key not in seen]
        for annotation in gone:
            uow.session.delete(annotation)
        uow.session.flush()
        _bill(uow.session, actor, project_id)
        _relabel(uow.session, project_id)
        project.last_pulled_at = utcnow()
        if added or updated or gone:  # the entities annotators marked, for the graph
            graph_backlog.note(uow.session, actor.tenant_id, "labeling", project_id)
        uow.commit()
    resources.cache.delete(progress_key(project_id))
    if added or updated or gone:
        graph_backlog.drain_soon(resources, actor.tenant_id)
    report_progress(1.0, f"{added} added, {updated} updated, {len(gone)} removed")
    return PullResult(added, updated, len(gone), unchanged)
