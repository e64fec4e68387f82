"""Pushing documents to Label Studio and pulling annotations back, batched, against single-task API calls.

    .venv/bin/python -m bench.labeling [--documents 10000] [--single 200]

Targets (issue 14): push 10,000 documents in under 60 s on this machine; batched at
least 20x faster per document than a plain loop of single-task API calls. The loop is
timed on `--single` documents in the same run against the same server, and its
per-document time is compared (a 10,000-call loop would take minutes).
Uses TEST_LABEL_STUDIO_URL / TEST_LABEL_STUDIO_API_KEY if set, else starts Label
Studio from the test venv; the workbench store is a throwaway SQLite file.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import insert

from bench.common import elapsed, measure, report
from superinsight.config import Settings
from superinsight.db import migrate
from superinsight.db.models import DataSource, Document, LabelingProject, Task
from superinsight.labeling.config import template_config
from superinsight.resources import Resources, build_resources
from superinsight.services.context import role_actor
from superinsight.services.jobs import job_status
from superinsight.services.labeling import launch, pull
from superinsight.services.labeling.selection import Selection
from tests.servers import LabelStudioServer

TENANT = "bench"
ACTOR = role_actor(TENANT, "analyst")
RESULT = [
    {"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["positive"]}}
]


@contextmanager
def label_studio() -> Iterator[tuple[str, str]]:
    if os.environ.get("TEST_LABEL_STUDIO_URL"):
        yield os.environ["TEST_LABEL_STUDIO_URL"], os.environ["TEST_LABEL_STUDIO_API_KEY"]
        return
    server = LabelStudioServer()
    server.start_in_background()
    server.wait(300)
    try:
        yield server.url, server.token
    finally:
        server.stop()


def seed(resources: Resources, count: int) -> None:
    with resources.uow() as uow:
        uow.session.execute(
            insert(DataSource).values(id=1, tenant_id=TENANT, name="bench", source_type="csv")
        )
        uow.session.execute(
            insert(Document),
            [
                {
                    "tenant_id": TENANT,
                    "source_id": 1,
                    "external_id": f"D{i}",
                    "title": f"Ticket {i}",
                    "content": f"customer {i} writes about an order that arrived late",
                    "content_hash": "h",
                }
                for i in range(count)
            ],
        )
        uow.commit()


def push_batched(resources: Resources) -> int:
    project_id, job_id = launch.launch(
        resources, ACTOR, launch.LaunchRequest("bench push", "sentiment", Selection())
    )
    while not (status := job_status(resources, job_id)).done:
        time.sleep(0.05)
    assert status.state == "finished", status.error
    return project_id


def annotated_project(resources: Resources, count: int) -> int:
    """A project whose tasks already carry one annotation each (imported with them), recorded as ours."""
    annotator = resources.annotator
    config = template_config("sentiment")
    labelstudio_id = annotator.create_project("bench pull", config)
    tasks = [
        {"data": {"text": f"t{i}", "document_id": i + 1}, "annotations": [{"result": RESULT}]}
        for i in range(count)
    ]
    created = [
        task_id
        for start in range(0, count, 1000)
        for task_id in annotator.import_tasks(labelstudio_id, tasks[start : start + 1000])
    ]
    with resources.uow() as uow:
        project = LabelingProject(
            tenant_id=TENANT, title="bench pull", template="sentiment", label_config=config,
            labelstudio_project_id=labelstudio_id, status="ready",
        )  # fmt: skip
        uow.session.add(project)
        uow.session.flush()
        uow.session.execute(
            insert(Task),
            [
                {
                    "tenant_id": TENANT,
                    "project_id": project.id,
                    "document_id": i + 1,
                    "labelstudio_task_id": task_id,
                }
                for i, task_id in enumerate(created)
            ],
        )
        uow.commit()
        return project.id


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--single", type=int, default=200)
    args = parser.parse_args()
    with label_studio() as (url, token), tempfile.TemporaryDirectory() as scratch:
        settings = Settings(
            _env_file=None,
            data_dir=Path(scratch),
            label_studio_url=url,
            label_studio_api_key=token,
        )
        resources = build_resources(settings)
        migrate.upgrade(resources.engine)
        seeded = elapsed(lambda: seed(resources, args.documents))
        annotator = resources.annotator

        push_s, project_id = measure(lambda: push_batched(resources))
        with resources.uow() as uow:
            pushed = uow.session.get(LabelingProject, project_id)
            assert pushed is not None and pushed.labelstudio_project_id is not None
            labelstudio_id = pushed.labelstudio_project_id
        single_push_s = elapsed(
            lambda: [
                annotator.import_tasks(labelstudio_id, [{"data": {"text": f"single {i}", "document_id": -i}}])
                for i in range(args.single)
            ]
        )

        pull_project = annotated_project(resources, args.documents)
        pull_s, pulled = measure(lambda: pull.pull_annotations(resources, ACTOR, pull_project))
        assert pulled.added == args.documents, pulled
        from label_studio_sdk import LabelStudio

        client = LabelStudio(base_url=url, api_key=token)  # type: ignore[no-untyped-call]
        with resources.uow() as uow:
            task_ids = [
                t.labelstudio_task_id
                for t in uow.session.query(Task).filter(Task.project_id == pull_project).limit(args.single)
            ]
        single_pull_s = elapsed(lambda: [client.annotations.list(id=task_id) for task_id in task_ids])

        per_push, per_single_push = push_s / args.documents, single_push_s / args.single
        per_pull, per_single_pull = pull_s / args.documents, single_pull_s / len(task_ids)
        title = f"bench/labeling.py: {args.documents:,} documents (seeded in {seeded:.1f} s)"
        report(
            title,
            [
                ("push, batched (launch job)", f"{push_s:.1f} s  (target < 60 s)"),
                (
                    f"push, single calls ({args.single})",
                    f"{single_push_s:.1f} s, {per_single_push * 1000:.1f} ms each",
                ),
                (
                    "push: single / batched per document",
                    f"{per_single_push / per_push:.1f}x  (target >= 20x)",
                ),
                ("pull, export + upsert", f"{pull_s:.1f} s for {pulled.added:,} annotations"),
                (
                    f"pull, single calls ({len(task_ids)})",
                    f"{single_pull_s:.1f} s, {per_single_pull * 1000:.1f} ms each",
                ),
                ("pull: single / batched per annotation", f"{per_single_pull / per_pull:.1f}x"),
            ],
        )
        resources.close()


if __name__ == "__main__":
    main()
