"""Jobs that failed in the last day, for the tenant that started them; retrying those safe to rerun."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from superinsight.adapters.jobs import UnknownJobError
from superinsight.resources import Resources
from superinsight.services import audit
from superinsight.services.context import Actor, require
from superinsight.services.errors import InvalidInputError, NotFoundError

RECENT = timedelta(hours=24)
# Jobs built to be run twice (a rerun merges, reconciles or recomputes), and who may start them again.
# A sync run or a rule application keeps its own state and is retried on its own page.
RETRYABLE: dict[str, str] = {
    "superinsight.services.graph.backlog.drain_job": "sources.manage",
    "superinsight.services.graph.settings.rebuild_job": "sources.manage",
    "superinsight.services.quality.scoring.score_all_job": "quality.triage",
    "superinsight.services.labeling.push.push_tasks_job": "labeling.manage",
    "superinsight.services.labeling.pull.pull_job": "labeling.launch",
}


@dataclass(frozen=True)
class FailedJobRow:
    id: str
    job: str
    error: str
    ended_at: datetime | None
    may_retry: bool


def _short(function: str) -> str:
    """`superinsight.services.labeling.pull.pull_job` reads as `labeling.pull.pull_job`."""
    return function.removeprefix("superinsight.services.")


def failed_jobs(resources: Resources, actor: Actor) -> list[FailedJobRow]:
    """The tenant's jobs that failed in the last 24 h, newest first, and whether the actor may retry each."""
    require(actor, "documents.view")
    since = datetime.now(UTC) - RECENT
    mine = [job for job in resources.jobs.failed_since(since) if job.tenant_id == actor.tenant_id]
    mine.sort(key=lambda job: job.ended_at or since, reverse=True)
    return [
        FailedJobRow(
            job.id,
            _short(job.function),
            job.error,
            job.ended_at,
            job.function in RETRYABLE and actor.can(RETRYABLE[job.function]),
        )
        for job in mine
    ]


def retry_job(resources: Resources, actor: Actor, job_id: str) -> None:
    """Run a failed job of the actor's tenant again, if it is built for that and the actor may start it."""
    require(actor, "documents.view")
    since = datetime.now(UTC) - RECENT
    job = next(
        (j for j in resources.jobs.failed_since(since) if j.id == job_id and j.tenant_id == actor.tenant_id),
        None,
    )
    if job is None:
        raise NotFoundError(f"no job {job_id} of your workspace failed in the last 24 hours")
    permission = RETRYABLE.get(job.function)
    if permission is None:
        raise InvalidInputError(
            f"{_short(job.function)} is not retried from here: start it again where it began"
        )
    require(actor, permission)
    with resources.uow() as uow:  # the entry is written only if the job went back on its queue
        audit.record(uow.session, actor, "job.retry", "job", job_id, after={"job": _short(job.function)})
        try:
            resources.jobs.retry(job_id)
        except UnknownJobError:
            raise NotFoundError(f"job {job_id} is no longer waiting to be retried") from None
        uow.commit()
