"""Launching a Label Studio project from a selection, and adding to it later: audited, never half-written.

The launch itself checks the config, reaches Label Studio, creates the project and
records one `tasks` row per document (no Label Studio id yet), makes the annotators
named in the request its members and notes the project for the graph (LABELLED_IN)
in one transaction;
if anything fails, nothing is kept on either side. Sending the documents is a job
(`push.py`), which can be retried: rows that already have a Label Studio id are
never sent again.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from superinsight.db.models import LabelingProject, Task
from superinsight.labeling.config import LabelConfigError, check_classes, template_config
from superinsight.resources import Resources
from superinsight.services import audit, inputs
from superinsight.services.context import Actor, require
from superinsight.services.documents.masking import masker
from superinsight.services.errors import InvalidInputError
from superinsight.services.graph import backlog as graph_backlog
from superinsight.services.labeling.connection import reaching_label_studio
from superinsight.services.labeling.members import check_annotators, enrol
from superinsight.services.labeling.projects import MANAGE, tenant_project
from superinsight.services.labeling.push import push_tasks_job
from superinsight.services.labeling.selection import Selection, document_ids, selection_of

TITLE_LENGTH = 255  # characters of a project's title (its column's width)


@dataclass(frozen=True)
class LaunchRequest:
    title: str
    template: str
    selection: Selection
    classes: tuple[str, ...] = ()
    custom_config: str = ""
    # User ids of the project's first annotators (more can be added later: members.py).
    annotators: tuple[int, ...] = ()


def _config(request: LaunchRequest) -> tuple[str, list[str]]:
    try:
        config = template_config(request.template, list(request.classes), request.custom_config)
        classes = (
            check_classes(list(request.classes), "class") if request.template == "classification" else []
        )
    except LabelConfigError as exc:
        raise InvalidInputError(f"label config: {exc}") from None
    return config, classes


def _record_tasks(session: Session, actor: Actor, project_id: int, ids: list[int]) -> int:
    """Rows for the documents not yet in the project; returns how many were added."""
    present = set(session.scalars(select(Task.document_id).where(Task.project_id == project_id)))
    rows = [
        {"tenant_id": actor.tenant_id, "project_id": project_id, "document_id": doc_id}
        for doc_id in ids
        if doc_id not in present
    ]
    if rows:
        session.execute(insert(Task), rows)
    return len(rows)


def _enqueue_push(resources: Resources, actor: Actor, project_id: int) -> str:
    with resources.active():
        return resources.jobs.enqueue(push_tasks_job, actor.tenant_id, actor.user_id, actor.role, project_id)


def launch(resources: Resources, actor: Actor, request: LaunchRequest) -> tuple[int, str]:
    """Create the project, its tasks and members, then send the documents as a job: (project id, job id)."""
    require(actor, MANAGE)
    title = inputs.text(request.title, "title", TITLE_LENGTH).strip()
    if not title:
        raise InvalidInputError("give the project a title")
    config, classes = _config(request)
    with reaching_label_studio():
        resources.annotator.ping()
    with resources.uow() as uow:
        annotators = check_annotators(uow.session, actor, request.annotators)
        ids = document_ids(uow.session, actor, masker(resources, uow.session, actor), request.selection)
        if not ids:
            raise InvalidInputError("the selection holds no documents: change the search, rule or sample")
        with reaching_label_studio():
            labelstudio_id = resources.annotator.create_project(title, config)
        try:
            project = LabelingProject(
                tenant_id=actor.tenant_id,
                title=title,
                template=request.template,
                label_config=config,
                selection={**request.selection.stored(), "classes": classes},
                rule_id=request.selection.rule_id,
                created_by=actor.user_id,
                labelstudio_project_id=labelstudio_id,
            )
            uow.session.add(project)
            uow.session.flush()
            _record_tasks(uow.session, actor, project.id, ids)
            enrol(uow.session, actor, project.id, annotators)
            audit.record(
                uow.session,
                actor,
                "labeling.launch",
                "labeling_project",
                project.id,
                after={
                    "title": title,
                    "template": request.template,
                    "documents": len(ids),
                    **project.selection,
                },
            )
            graph_backlog.note(uow.session, actor.tenant_id, "labeling", project.id)
            uow.commit()
        except BaseException:
            # Nothing half-written: the Label Studio project goes with our rolled-back rows.
            with suppress(Exception):
                resources.annotator.delete_project(labelstudio_id)
            raise
        project_id = project.id
    graph_backlog.drain_soon(resources, actor.tenant_id)
    return project_id, _enqueue_push(resources, actor, project_id)


def add_to_project(
    resources: Resources, actor: Actor, project_id: int, *, new_matches: bool
) -> tuple[int, str]:
    """Send what is not there yet: a failed launch's remaining documents, and the selection's new matches.

    Returns (documents added, job id). A sample is not drawn again: new matches are all added.
    """
    require(actor, MANAGE)
    with reaching_label_studio():
        resources.annotator.ping()
    with resources.uow() as uow:
        project = tenant_project(uow.session, actor, project_id)
        added = 0
        if new_matches:
            stored = selection_of(project.selection)
            whole = Selection(stored.query, stored.rule_id, None, stored.seed)
            ids = document_ids(uow.session, actor, masker(resources, uow.session, actor), whole)
            added = _record_tasks(uow.session, actor, project.id, ids)
        project.status, project.error = "importing", None
        audit.record(
            uow.session, actor, "labeling.extend", "labeling_project", project.id, after={"added": added}
        )
        if added:
            graph_backlog.note(uow.session, actor.tenant_id, "labeling", project.id)
        uow.commit()
    if added:
        graph_backlog.drain_soon(resources, actor.tenant_id)
    return added, _enqueue_push(resources, actor, project_id)
