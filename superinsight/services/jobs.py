"""Following background jobs from any face, whichever runner executes them."""

from __future__ import annotations

from superinsight.adapters.jobs import JobStatus, UnknownJobError
from superinsight.resources import Resources
from superinsight.services.context import internal

__all__ = ["JobStatus", "UnknownJobError", "job_status"]


@internal(
    "job ids are random and unguessable; a job's status is its progress line, checked when it was started"
)
def job_status(resources: Resources, job_id: str) -> JobStatus:
    return resources.jobs.status(job_id)
