"""Following background jobs from any face, whichever runner executes them."""

from __future__ import annotations

from superinsight.adapters.jobs import JobStatus, UnknownJobError
from superinsight.resources import Resources

__all__ = ["JobStatus", "UnknownJobError", "job_status"]


def job_status(resources: Resources, job_id: str) -> JobStatus:
    return resources.jobs.status(job_id)
