"""The scheduler's round: fail runs whose worker died, start due retries and cron schedules, tidy up."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select, update

from superinsight.db.base import utcnow
from superinsight.db.models import SyncExecution, SyncJob
from superinsight.resources import Resources
from superinsight.services.context import internal, system_actor
from superinsight.services.errors import InvalidInputError
from superinsight.services.graph import backlog as graph_backlog
from superinsight.services.security import throttle
from superinsight.services.sync.run_state import reap_stale
from superinsight.services.sync.runs import enqueue_run, start_run
from superinsight.sync import schedule

log = logging.getLogger(__name__)


@internal("the scheduler's round, for every tenant: runs what guarded users scheduled")
def tick(resources: Resources, now: datetime | None = None) -> dict[str, int]:
    """Housekeeping every few seconds: reap the dead, start due retries and schedules, catch the graph
    up, forget sign-in counts that no longer hold anything back."""
    now = now or utcnow()
    reaped = reap_stale(resources, now)
    retried = _dispatch_due_retries(resources, now)
    scheduled = _start_due_schedules(resources, now)
    graph = graph_backlog.catch_up_stale(resources)
    with resources.uow() as uow:
        forgotten = throttle.prune(uow.session, now)
        uow.commit()
    return {
        "reaped": reaped,
        "retried": retried,
        "scheduled": scheduled,
        "graph": graph,
        "sign-in counts forgotten": forgotten,
    }


@internal("the scheduler's loop, for every tenant: runs what guarded users scheduled")
def tick_forever(
    resources: Resources,
    interval: float,
    stop: threading.Event,
    report: Callable[[dict[str, int]], None] | None = None,
) -> None:
    """Tick every `interval` seconds until `stop` is set; a failed round is logged, not fatal."""
    while True:
        try:
            done = tick(resources)
        except Exception:  # the next round tries again; the log says what broke
            if stop.is_set():  # the resources closed under this round: the process is ending, not failing
                return
            log.exception("a scheduler round failed")
        else:
            if report is not None:
                report(done)
        if stop.wait(interval):
            return


def _dispatch_due_retries(resources: Resources, now: datetime) -> int:
    with resources.uow() as uow:
        due = uow.session.execute(
            select(SyncExecution.id, SyncExecution.tenant_id).where(
                SyncExecution.status == "queued", SyncExecution.scheduled_for <= now
            )
        ).all()
        claimed = []
        for execution_id, tenant_id in due:
            moved = uow.session.execute(
                update(SyncExecution)
                .where(SyncExecution.id == execution_id, SyncExecution.scheduled_for.is_not(None))
                .values(scheduled_for=None)
            )
            if moved.rowcount:  # type: ignore[attr-defined]
                claimed.append((execution_id, tenant_id))
        uow.commit()
    for execution_id, tenant_id in claimed:
        enqueue_run(resources, system_actor(tenant_id), execution_id)
    return len(claimed)


def _start_due_schedules(resources: Resources, now: datetime) -> int:
    with resources.uow() as uow:
        due = uow.session.scalars(
            select(SyncJob).where(
                SyncJob.status == "active",
                SyncJob.schedule_cron.is_not(None),
                SyncJob.next_scheduled_at <= now,
            )
        ).all()
        starts = []
        for job in due:
            if job.schedule_cron is None:  # the query asked for scheduled jobs only
                continue
            job.next_scheduled_at = schedule.next_run(job.schedule_cron, job.timezone, now)
            starts.append((job.id, job.tenant_id))
        uow.commit()
    started = 0
    for job_id, tenant_id in starts:
        try:
            start_run(resources, system_actor(tenant_id), job_id, trigger="schedule")
        except InvalidInputError:
            continue
        started += 1
    return started
