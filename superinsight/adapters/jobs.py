"""Background jobs: RQ workers over Redis in production, a thread pool by default.

A job is any importable module-level function. It reports progress through
`report_progress`, which works the same under either runner, so a page can show a
progress bar without knowing where the job runs.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

import redis
import rq
from rq.job import Job
from rq.job import JobStatus as RQJobStatus
from rq.registry import FailedJobRegistry

from superinsight.adapters import metrics

JobState = Literal["queued", "running", "finished", "failed", "cancelled"]
ENDED_STATES = ("finished", "failed", "cancelled")

ProgressReporter = Callable[[float, str], None]
_reporter: ContextVar[ProgressReporter | None] = ContextVar("superinsight_job_reporter", default=None)

log = logging.getLogger(__name__)
KEPT_STATUSES = 1000


@dataclass(frozen=True)
class JobStatus:
    id: str
    state: JobState
    progress: float = 0.0
    message: str = ""
    error: str | None = None

    @property
    def done(self) -> bool:
        return self.state in ("finished", "failed", "cancelled")


class UnknownJobError(LookupError):
    pass


@dataclass(frozen=True)
class FailedJob:
    """A job that raised: which function, for which tenant (its first argument), why and when."""

    id: str
    function: str
    tenant_id: str | None
    error: str
    ended_at: datetime | None


@dataclass(frozen=True)
class WorkerState:
    """One process taking jobs, and the function of the job it runs now (None when idle)."""

    name: str
    state: str
    running: str | None


def function_name(func: Any) -> str:
    return f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', repr(func))}"


def _tenant_of(args: tuple[Any, ...]) -> str | None:
    """Every workbench job takes its tenant first; anything else belongs to no tenant."""
    return args[0] if args and isinstance(args[0], str) else None


def report_progress(fraction: float, message: str = "") -> None:
    """Tell whoever watches the current job how far it got; a no-op outside a job."""
    reporter = _reporter.get()
    if reporter is not None:
        reporter(min(max(fraction, 0.0), 1.0), message)


@contextmanager
def _reporting_to(reporter: ProgressReporter) -> Iterator[None]:
    token = _reporter.set(reporter)
    try:
        yield
    finally:
        _reporter.reset(token)


class JobQueue(Protocol):
    backend: str
    version: str

    def enqueue(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> str: ...

    def status(self, job_id: str) -> JobStatus: ...

    def ping(self) -> None: ...

    def depths(self) -> dict[str, int]: ...

    def workers(self) -> list[WorkerState]: ...

    def failed_since(self, since: datetime) -> list[FailedJob]: ...

    def retry(self, job_id: str) -> None: ...


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
            with _reporting_to(reporter):
                func(*args, **kwargs)
        except Exception as exc:
            log.exception("in-process job %s (%s) failed", job_id, getattr(func, "__name__", func))
            self._update(job_id, replace(self.status(job_id), state="failed", error=str(exc)))
            failed = FailedJob(job_id, function_name(func), _tenant_of(args), str(exc), datetime.now(UTC))
            with self._lock:
                self._failed[job_id] = (failed, func, args, kwargs)
                while len(self._failed) > KEPT_STATUSES:
                    self._failed.popitem(last=False)
        else:
            self._update(job_id, replace(self.status(job_id), state="finished", progress=1.0))
        finally:
            with self._lock:
                self._running.pop(job_id, None)


def run_with_progress(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """What an RQ worker executes: the job, with progress written to the job's meta."""
    job = rq.get_current_job()

    def reporter(fraction: float, message: str) -> None:
        if job is not None:
            job.meta.update(progress=fraction, message=message)
            job.save_meta()  # type: ignore[no-untyped-call]

    started, outcome = time.perf_counter(), "failed"
    try:
        with _reporting_to(reporter):
            result = func(*args, **kwargs)
        outcome = "finished"
        return result
    finally:
        metrics.record_job(function_name(func), outcome, time.perf_counter() - started)


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


class RQJobQueue:
    """Jobs for `superinsight worker` processes, which may live on other machines."""

    backend = "rq"
    version = f"RQ {rq.__version__}"

    def __init__(self, connection: redis.Redis, queue_name: str = "superinsight") -> None:
        self._connection = connection
        self._queue = rq.Queue(queue_name, connection=connection)

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
        error = None
        if state == "failed":
            result = job.latest_result()
            error = (result.exc_string or "").strip().splitlines()[-1] if result else "job failed"
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
            result = job.latest_result()
            lines = (result.exc_string or "").strip().splitlines() if result else []
            args = tuple(job.args[1:]) if _is_wrapped(job) else tuple(job.args)
            failed.append(
                FailedJob(job.id, _wrapped(job), _tenant_of(args), lines[-1] if lines else "", ended)
            )
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
