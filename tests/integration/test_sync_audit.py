"""What people do to sync jobs reaches the workspace's audit log: who, what changed, from where."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from superinsight.resources import Resources
from superinsight.services.context import Actor, role_actor, system_actor
from superinsight.services.security import audit_log, users
from superinsight.services.security.audit_log import AuditFilter
from superinsight.services.sync import connections
from superinsight.services.sync import jobs as sync_jobs
from superinsight.services.sync import runs as sync_runs

TENANT = "acme"
MAPPING = {"external_id": "id", "title": "title", "content": "body", "metadata.*": ""}


@pytest.fixture
def analyst(resources: Resources) -> Actor:
    user_id = users.create_user(
        resources, system_actor(TENANT), "ana@acme.example", "Quiet-Harbour-Lantern-92", "analyst"
    )
    return replace(role_actor(TENANT, "analyst", user_id=user_id), ip_address="198.51.100.7")


@pytest.fixture
def job_id(resources: Resources, analyst: Actor) -> int:
    folder: Path = resources.settings.effective_files_root / TENANT
    folder.mkdir(parents=True)
    (folder / "tickets.csv").write_text("id,title,body\n1,One,Alpha\n")
    source_id = connections.create_source(
        resources, analyst, connections.SourceDraft("Tickets", "csv", {"path": "tickets.csv"})
    )
    return sync_jobs.create_job(
        resources, analyst, sync_jobs.JobDraft("Tickets", source_id, "full_refresh_overwrite", MAPPING)
    )


def _entries(resources: Resources) -> list[audit_log.AuditRow]:
    return sorted(
        audit_log.search(resources, system_actor(TENANT), AuditFilter(action="sync_")), key=lambda r: r.id
    )


def test_creating_changing_pausing_and_running_a_job_are_audited_with_who_and_where(
    resources: Resources, analyst: Actor, job_id: int
) -> None:
    draft = sync_jobs.job_draft(resources, analyst, job_id)
    sync_jobs.update_job(resources, analyst, job_id, replace(draft, batch_size=250, max_retries=5))
    sync_jobs.set_paused(resources, analyst, job_id, True)
    run_id = sync_runs.queue_run(resources, analyst, job_id)
    sync_runs.cancel_run(resources, analyst, run_id)
    entries = _entries(resources)
    assert [e.action for e in entries] == [
        "sync_job.create",
        "sync_job.update",
        "sync_job.pause",
        "sync_run.queue",
        "sync_run.cancel",
    ]
    assert {(e.user, e.ip_address, e.entity_type, e.entity_id) for e in entries} == {
        ("ana@acme.example", "198.51.100.7", "sync_job", str(job_id))
    }
    update = entries[1]
    assert (update.before, update.after) == (
        {"batch_size": 1000, "max_retries": 3},
        {"batch_size": 250, "max_retries": 5},
    )
    assert entries[3].after == {"trigger": "manual", "run": run_id}
    assert entries[0].after is not None and entries[0].after["name"] == "Tickets"


def test_a_scheduled_run_is_audited_as_nobody_in_particular(
    resources: Resources, analyst: Actor, job_id: int
) -> None:
    sync_runs.queue_run(resources, system_actor(TENANT), job_id, trigger="schedule")
    (queued,) = [e for e in _entries(resources) if e.action == "sync_run.queue"]
    assert queued.user is None and queued.after is not None and queued.after["trigger"] == "schedule"
