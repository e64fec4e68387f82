"""Sending a project's documents to Label Studio as tasks, in batches, as a job that can be retried.

Each batch is imported in one call and its Label Studio task ids recorded at once,
so a retry sends only rows without an id. If a run died between Label Studio's
answer and our commit, the retry first matches Label Studio's tasks to documents
(each task carries its `document_id`), so no document is sent twice.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from superinsight.adapters.jobs import report_progress
from superinsight.adapters.labelstudio_errors import LabelStudioError
from superinsight.db.models import Document, LabelingProject, Task
from superinsight.labeling.config import TEXT_KEY, verdict_prediction
from superinsight.resources import Resources, current_resources
from superinsight.services.context import Actor, job_entry, require, role_actor, system_actor
from superinsight.services.documents.masking import Masker, masker
from superinsight.services.labeling.connection import reaching_label_studio
from superinsight.services.labeling.projects import tenant_project
from superinsight.services.permissions import ROLE_PERMISSIONS

PUSH_BATCH = 1000


@job_entry("launch and add-documents, after their labeling checks")
def push_tasks_job(tenant_id: str, user_id: int | None, role: str, project_id: int) -> int:
    """The job a worker runs: documents are masked as the launching user's role sees them."""
    return push_tasks(current_resources(), system_actor(tenant_id, user_id), role, project_id)


def _unsent(session: Session, project_id: int) -> list[tuple[int, int]]:
    query = (
        select(Task.id, Task.document_id)
        .where(Task.project_id == project_id, Task.labelstudio_task_id.is_(None))
        .order_by(Task.document_id)
    )
    return [(row[0], row[1]) for row in session.execute(query)]


def _record_ids(session: Session, pairs: list[tuple[int, int]]) -> None:
    """(our task id, Label Studio task id) pairs."""
    if pairs:
        session.execute(
            update(Task),
            [{"id": ours, "labelstudio_task_id": theirs, "sync_status": "synced"} for ours, theirs in pairs],
        )


def _payload(session: Session, mask: Masker, ids: list[int], prediction: Any) -> list[dict[str, Any]]:
    documents = {doc.id: doc for doc in session.scalars(select(Document).where(Document.id.in_(ids)))}
    tasks = []
    for doc_id in ids:
        shown = mask({"title": documents[doc_id].title, "content": documents[doc_id].content})
        task: dict[str, Any] = {
            "data": {TEXT_KEY: shown["content"], "title": shown["title"], "document_id": doc_id}
        }
        if prediction is not None:
            task["predictions"] = [{"model_version": "workbench rule", "result": prediction}]
        tasks.append(task)
    return tasks


def _reconcile(
    resources: Resources, session: Session, labelstudio_id: int, unsent: list[tuple[int, int]]
) -> None:
    """Record tasks an interrupted run created in Label Studio but did not write down."""
    if not unsent or resources.annotator.task_counts(labelstudio_id)[0] == 0:
        return
    theirs = {
        int(task["data"]["document_id"]): int(task["id"])
        for task in resources.annotator.export_tasks(labelstudio_id)
        if isinstance(task.get("data"), dict) and "document_id" in task["data"]
    }
    _record_ids(session, [(ours, theirs[doc]) for ours, doc in unsent if doc in theirs])


def push_tasks(resources: Resources, actor: Actor, role: str, project_id: int) -> int:
    """Send every unsent document of the project; returns how many were sent."""
    require(actor, "labeling.launch")
    mask_actor = role_actor(actor.tenant_id, role, actor.user_id) if role in ROLE_PERMISSIONS else actor
    sent = 0
    try:
        with resources.uow() as uow, reaching_label_studio():
            project = tenant_project(uow.session, actor, project_id)
            labelstudio_id = int(project.labelstudio_project_id or 0)
            classes = list(project.selection.get("classes") or [])
            prediction = verdict_prediction(project.template, classes) if project.rule_id else None
            _reconcile(resources, uow.session, labelstudio_id, _unsent(uow.session, project_id))
            uow.commit()
            unsent = _unsent(uow.session, project_id)
            mask = masker(resources, uow.session, mask_actor)
            for start in range(0, len(unsent), PUSH_BATCH):
                batch = unsent[start : start + PUSH_BATCH]
                tasks = _payload(uow.session, mask, [doc for _, doc in batch], prediction)
                created = resources.annotator.import_tasks(labelstudio_id, tasks)
                if len(created) != len(batch):
                    raise LabelStudioError(
                        f"Label Studio created {len(created)} tasks for {len(batch)} documents"
                    )
                _record_ids(
                    uow.session, [(ours, theirs) for (ours, _), theirs in zip(batch, created, strict=True)]
                )
                uow.commit()
                sent += len(batch)
                report_progress(sent / len(unsent), f"{sent:,} of {len(unsent):,} documents sent")
            project.status = "ready"
            uow.commit()
    except Exception as exc:
        with resources.uow() as uow:
            failed = uow.session.get(LabelingProject, project_id)
            if failed is not None:
                failed.status, failed.error = (
                    "failed",
                    f"{str(exc)[:1500]} ({sent:,} sent; retry sends the rest)",
                )
                uow.commit()
        raise
    return sent
