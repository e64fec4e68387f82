"""The embedded job queue, threads of the app process: apart from RQ's, as it needs no Redis at all."""

from __future__ import annotations

import contextvars
import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from superinsight.adapters.jobs import (
    ENDED_STATES,
    FailedJob,
    JobStatus,
    UnknownJobError,
    WorkerState,
    error_line,
    function_name,
    reporting_to,
    tenant_of,
)

log = logging.getLogger(__name__)
KEPT_STATUSES = 1000


class InProcessJobQueue:
    """Runs jobs on background threads of the current process (the embedded default)."""

    backend = "in-process"
    version = "threads"

    def __init__(self, max_workers: int = 2) -> None:
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="superinsight-job")
        self._statuses: OrderedDict[str, JobStatus] = OrderedDict()
        self._running: dict[str, str] = {}
        self._failed: OrderedDict[str, tuple[FailedJob, Callable[..., Any], tuple[Any, ...], dict[str, Any]]]
        self._failed = OrderedDict()
        self._lock = threading.Lock()

    def enqueue(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
        job_id = uuid.uuid4().hex
        self._update(job_id, JobStatus(id=job_id, state="queued"))
        # Run in a copy of the caller's context, so the job sees what its caller set up.
        self._executor.submit(contextvars.copy_context().run, self._run, job_id, func, args, kwargs)
        return job_id

    def status(self, job_id: str) -> JobStatus:
        with self._lock:
            try:
                return self._statuses[job_id]
            except KeyError:
                raise UnknownJobError(job_id) from None

    def ping(self) -> None:
        return None

    def depths(self) -> dict[str, int]:
        with self._lock:
            return {"app process": sum(1 for kept in self._statuses.values() if kept.state == "queued")}

    def workers(self) -> list[WorkerState]:
        """The app process's job threads, as one worker running each job it has started."""
        with self._lock:
            running = sorted(self._running.values())
        return [WorkerState("app process", "busy" if running else "idle", ", ".join(running) or None)]

    def failed_since(self, since: datetime) -> list[FailedJob]:
        with self._lock:
            failed = [kept[0] for kept in self._failed.values()]
        return [job for job in failed if job.ended_at is not None and job.ended_at >= since]

    def retry(self, job_id: str) -> None:
        """Run a failed job again with the same arguments, under the same id."""
        with self._lock:
            kept = self._failed.pop(job_id, None)
        if kept is None:
            raise UnknownJobError(job_id)
        _, func, args, kwargs = kept
        self._update(job_id, JobStatus(id=job_id, state="queued"))
        self._executor.submit(contextvars.copy_context().run, self._run, job_id, func, args, kwargs)

    def close(self) -> None:
        """Stop taking jobs and let those running finish on their own threads."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _update(self, job_id: str, status: JobStatus) -> None:
        """Record a job's status, forgetting the oldest ended jobs beyond the last KEPT_STATUSES."""
        with self._lock:
            self._statuses[job_id] = status
            if len(self._statuses) <= KEPT_STATUSES:
                return
            ended = [key for key, kept in self._statuses.items() if kept.state in ENDED_STATES]
            for key in ended[: len(self._statuses) - KEPT_STATUSES]:
                del self._statuses[key]

    def _run(
        self, job_id: str, func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        def reporter(fraction: float, message: str) -> None:
            self._update(job_id, replace(self.status(job_id), progress=fraction, message=message))

        self._update(job_id, JobStatus(id=job_id, state="running"))
        with self._lock:
            self._running[job_id] = function_name(func)
        try:
            with reporting_to(reporter):
                func(*args, **kwargs)
        except Exception as exc:
            log.exception("in-process job %s (%s) failed", job_id, getattr(func, "__name__", func))
            error = error_line(exc)
            self._update(job_id, replace(self.status(job_id), state="failed", error=error))
            failed = FailedJob(job_id, function_name(func), tenant_of(args), error, datetime.now(UTC))
            with self._lock:
                self._failed[job_id] = (failed, func, args, kwargs)
                while len(self._failed) > KEPT_STATUSES:
                    self._failed.popitem(last=False)
        else:
            self._update(job_id, replace(self.status(job_id), state="finished", progress=1.0))
        finally:
            with self._lock:
                self._running.pop(job_id, None)
