"""The health page's whole answer, drawn within one deadline, and shown as the viewer may see it.

Everything that asks a service (the probes, the failed jobs, the graph backlog,
the latency history) starts at once under one deadline; what has not answered
by then is reported as such, so one hung service never holds the page.
Addresses and file paths are for admins: others see what is up and why, not where.
"""

from __future__ import annotations

import re
import time
from concurrent.futures import Future
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from typing import TypeVar

from superinsight.redaction import redact
from superinsight.resources import Resources
from superinsight.services.context import Actor, require
from superinsight.services.graph import backlog
from superinsight.services.health import bounded, history, queue
from superinsight.services.health.history import LatencyPoint
from superinsight.services.health.probes import PAGE_TIMEOUT_SECONDS, ServiceHealth, check_services
from superinsight.services.health.queue import FailedJobRow

T = TypeVar("T")
SEES_ADDRESSES = "workspace.manage"
_PATH = re.compile(r"(?<![\w.:/~-])~?(?:/[^\s/\"'()<>,;]+){2,}/?")


@dataclass(frozen=True)
class HealthReport:
    """`failed_jobs` and `backlog` are None when their store did not answer in time."""

    services: list[ServiceHealth]
    failed_jobs: list[FailedJobRow] | None
    backlog: int | None
    history: list[LatencyPoint]
    shows_addresses: bool


def without_paths(text: str) -> str:
    """Text with every absolute file path replaced by `…`."""
    return _PATH.sub("…", text)


def _for_viewer(item: ServiceHealth) -> ServiceHealth:
    return replace(
        item,
        address="",
        detail=without_paths(item.detail),
        facts=tuple((label, without_paths(value)) for label, value in item.facts),
    )


def _answer(started: Future[T], deadline: float, what: str) -> T | None:
    try:
        return bounded.result(started, deadline, what)
    except Exception:  # noqa: BLE001 - a store that fails or hangs shows as "no answer" in its section
        return None


def health_report(resources: Resources, actor: Actor, timeout: float = PAGE_TIMEOUT_SECONDS) -> HealthReport:
    require(actor, "documents.view")
    deadline = time.monotonic() + timeout
    where = id(resources)
    failed = bounded.start(("failed", where, actor), partial(queue.failed_jobs, resources, actor))
    waiting = bounded.start(("backlog", where, actor), partial(backlog.pending, resources, actor))
    before = bounded.start(("history", where), partial(history.latencies, resources))
    services = check_services(resources, None, timeout)
    now = datetime.now(UTC)
    bounded.start(("remember", where), partial(history.remember, resources, services, now))
    points = (_answer(before, deadline, "cache") or []) + [
        LatencyPoint(now, item.name, item.latency_ms) for item in services if item.latency_ms is not None
    ]
    jobs = _answer(failed, deadline, "jobs")
    secrets = resources.settings.secret_values()
    jobs = None if jobs is None else [replace(job, error=redact(job.error, secrets)) for job in jobs]
    admin = actor.can(SEES_ADDRESSES)
    if not admin:
        services = [_for_viewer(item) for item in services]
        jobs = None if jobs is None else [replace(job, error=without_paths(job.error)) for job in jobs]
    return HealthReport(services, jobs, _answer(waiting, deadline, "database"), points, admin)
