"""Background jobs: RQ workers over Redis in production, a thread pool by default.

A job is any importable module-level function. It reports progress through
`report_progress`, which works the same under either runner, so a page can show a
progress bar without knowing where the job runs. This module holds what both
runners share; `rq_jobs.RQJobQueue` and `inprocess_jobs.InProcessJobQueue` are
the runners. `run_with_progress` stays here: queued RQ jobs name it by this path.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from superinsight.adapters import metrics

JobState = Literal["queued", "running", "finished", "failed", "cancelled"]
ENDED_STATES = ("finished", "failed", "cancelled")

ProgressReporter = Callable[[float, str], None]
_reporter: ContextVar[ProgressReporter | None] = ContextVar("superinsight_job_reporter", default=None)


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


def tenant_of(args: tuple[Any, ...]) -> str | None:
    """Every workbench job takes its tenant first; anything else belongs to no tenant."""
    return args[0] if args and isinstance(args[0], str) else None


def error_line(exc: BaseException) -> str:
    """What a failed job says on a page: the exception's first line.

    A database error's text goes on with the statement and its parameters, and ends (as
    RQ's traceback does) with a link to SQLAlchemy's docs: neither is for the page.
    """
    return next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)


def report_progress(fraction: float, message: str = "") -> None:
    """Tell whoever watches the current job how far it got; a no-op outside a job."""
    reporter = _reporter.get()
    if reporter is not None:
        reporter(min(max(fraction, 0.0), 1.0), message)


@contextmanager
def reporting_to(reporter: ProgressReporter) -> Iterator[None]:
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


def run_with_progress(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """What an RQ worker executes: the job, with progress written to the job's meta."""
    import rq  # only a worker runs this; the app and `superinsight health` need not load RQ

    job = rq.get_current_job()

    def reporter(fraction: float, message: str) -> None:
        if job is not None:
            job.meta.update(progress=fraction, message=message)
            job.save_meta()  # type: ignore[no-untyped-call]

    started, outcome = time.perf_counter(), "failed"
    try:
        with reporting_to(reporter):
            result = func(*args, **kwargs)
        outcome = "finished"
        return result
    except Exception as exc:
        if job is not None:  # RQ keeps the traceback, whose last line is no message for a person
            job.meta["error"] = error_line(exc)
            job.save_meta()  # type: ignore[no-untyped-call]
        raise
    finally:
        metrics.record_job(function_name(func), outcome, time.perf_counter() - started)
