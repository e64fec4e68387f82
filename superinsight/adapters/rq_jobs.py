"""The production job queue, RQ on Redis: apart from the embedded one, as only it speaks to RQ and Redis."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import redis
import rq
from rq.job import Job
from rq.job import JobStatus as RQJobStatus
from rq.registry import FailedJobRegistry

from superinsight.adapters.jobs import (
    FailedJob,
    JobState,
    JobStatus,
    UnknownJobError,
    WorkerState,
    function_name,
    run_with_progress,
    tenant_of,
)

_RQ_STATES: dict[RQJobStatus, JobState] = {
    RQJobStatus.QUEUED: "queued",
    RQJobStatus.DEFERRED: "queued",
    RQJobStatus.SCHEDULED: "queued",
    RQJobStatus.STARTED: "running",
    RQJobStatus.FINISHED: "finished",
    RQJobStatus.FAILED: "failed",
    RQJobStatus.STOPPED: "cancelled",
    RQJobStatus.CANCELED: "cancelled",
}


JOB_TIMEOUT_SECONDS = 6 * 3600
"""How long a worker lets one job run before stopping it. RQ's own default is 3 minutes, which
a sync of a million rows, an apply over them or an exact count would pass; each job bounds its
own statements, so this only catches one that hangs."""


class RQJobQueue:
    """Jobs for `superinsight worker` processes, which may live on other machines."""

    backend = "rq"
    version = f"RQ {rq.__version__}"

    def __init__(self, connection: redis.Redis, queue_name: str = "superinsight") -> None:
        self._connection = connection
        self._queue = rq.Queue(queue_name, connection=connection, default_timeout=JOB_TIMEOUT_SECONDS)

    @property
    def queue(self) -> rq.Queue:
        return self._queue

    def enqueue(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
        job = self._queue.enqueue(run_with_progress, func, *args, **kwargs)
        return str(job.id)

    def status(self, job_id: str) -> JobStatus:
        try:
            job = Job.fetch(job_id, connection=self._connection)
        except rq.exceptions.NoSuchJobError:
            raise UnknownJobError(job_id) from None
        state = _RQ_STATES.get(job.get_status(refresh=True), "queued")
        error = _error(job) if state == "failed" else None
        return JobStatus(
            id=job_id,
            state=state,
            progress=1.0 if state == "finished" else float(job.meta.get("progress", 0.0)),
            message=str(job.meta.get("message", "")),
            error=error,
        )

    def ping(self) -> None:
        self._connection.ping()

    def worker_count(self) -> int:
        return len(rq.Worker.all(queue=self._queue))

    def depths(self) -> dict[str, int]:
        """Jobs waiting in each queue on this Redis, ours first even when empty."""
        depths = {self._queue.name: self._queue.count}
        for queue in rq.Queue.all(connection=self._connection):
            depths.setdefault(queue.name, queue.count)
        return depths

    def workers(self) -> list[WorkerState]:
        found = []
        for worker in rq.Worker.all(connection=self._connection):
            job = worker.get_current_job()
            found.append(
                WorkerState(worker.name, str(worker.get_state()), None if job is None else _wrapped(job))
            )
        return found

    def failed_since(self, since: datetime) -> list[FailedJob]:
        registry = FailedJobRegistry(queue=self._queue)
        jobs = Job.fetch_many(registry.get_job_ids(), connection=self._connection)
        failed = []
        for job in jobs:
            if job is None:
                continue
            ended = (
                job.ended_at.replace(tzinfo=UTC) if job.ended_at and not job.ended_at.tzinfo else job.ended_at
            )
            if ended is None or ended < since:
                continue
            args = tuple(job.args[1:]) if _is_wrapped(job) else tuple(job.args)
            failed.append(FailedJob(job.id, _wrapped(job), tenant_of(args), _error(job), ended))
        return failed

    def retry(self, job_id: str) -> None:
        """Put a failed job back on its queue, as it was; a worker runs it again."""
        try:
            FailedJobRegistry(queue=self._queue).requeue(job_id)
        except (rq.exceptions.NoSuchJobError, rq.exceptions.InvalidJobOperation):
            raise UnknownJobError(job_id) from None


def _wrapped(job: Job) -> str:
    """The workbench function a job runs (RQ sees only `run_with_progress` wrapping it)."""
    return function_name(job.args[0]) if _is_wrapped(job) else str(job.func_name)


def _is_wrapped(job: Job) -> bool:
    return bool(job.args) and (job.func_name or "").endswith("run_with_progress")


def _error(job: Job) -> str:
    """The line `run_with_progress` kept; else (a job that died outside it) the traceback's last."""
    if kept := job.meta.get("error"):
        return str(kept)
    result = job.latest_result()
    lines = (result.exc_string or "").strip().splitlines() if result else []
    return lines[-1] if lines else "job failed"
