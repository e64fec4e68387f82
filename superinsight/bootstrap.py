"""Starting a process of the workbench: the one place that does it, for the app, the CLI and the worker.

Logging that redacts secrets, the resources, migrating when `AUTO_MIGRATE` is on,
and (when jobs run on the app's own threads, so no scheduler process exists) the
in-process scheduler: each happens once per process, however many times a page
rerun or a command asks.
"""

from __future__ import annotations

import threading
from functools import lru_cache

from superinsight.config import get_settings
from superinsight.db.revisions import SchemaAheadError as SchemaAheadError  # what bootstrap raises
from superinsight.logs import configure_logging
from superinsight.resources import Resources, get_resources

SCHEDULER_INTERVAL_SECONDS = 15.0


def bootstrap(*, migrate_on_start: bool | None = None, only_looks: bool = False) -> Resources:
    """The process's resources, ready to serve; raises SchemaAheadError for a newer database.

    `migrate_on_start` defaults to `AUTO_MIGRATE`; the migrate command, whose purpose it
    is, passes True after reading the revision it starts from. `only_looks` (health, run
    every few seconds by compose, and that first read) changes nothing: no migration, and
    no graph constraints, which would open the Neo4j driver.
    """
    settings = get_settings()
    resources = get_resources()
    migrate_now = settings.auto_migrate if migrate_on_start is None else migrate_on_start
    _prepare(resources, migrate_now and not only_looks, not only_looks)
    return resources


@lru_cache(maxsize=8)
def _prepare(resources: Resources, migrate_now: bool, graph_schema: bool) -> None:
    """Once per set of resources: logging that redacts their secrets, the schema, the graph's constraints."""
    configure_logging(resources.settings)
    if migrate_now:
        from superinsight.db import migrate  # alembic: a fifth of a second the health check does without

        migrate.upgrade(resources.engine)
    if graph_schema:
        from superinsight.services.graph import settings as graph_settings

        # Off the start-up path: a stopped Neo4j must not hold the app (its driver retries for 30 s).
        threading.Thread(
            target=graph_settings.prepare_store, args=(resources,), name="graph-schema", daemon=True
        ).start()


_scheduler_lock = threading.Lock()
_scheduler: threading.Event | None = None


def start_in_process_scheduler(resources: Resources) -> threading.Event | None:
    """With jobs on the app's own threads there is no scheduler process: the app ticks itself.

    Started once per process; returns the event that stops it, or None when jobs go
    to a real queue, whose `superinsight scheduler` process does this instead.
    """
    global _scheduler
    # Imported when a process ticks: the sync machinery is half a second of start-up that the
    # CLI's other commands (`superinsight health` every few seconds in compose) do not use.
    from superinsight.services.sync.scheduler import tick_forever

    if resources.jobs.backend != "in-process":
        return None
    with _scheduler_lock:
        if _scheduler is None:
            _scheduler = threading.Event()
            threading.Thread(
                target=tick_forever,
                args=(resources, SCHEDULER_INTERVAL_SECONDS, _scheduler),
                name="superinsight-scheduler",
                daemon=True,
            ).start()
            resources.closers.append(_stop_scheduler)  # it ticks with these resources: it ends with them
        return _scheduler


def _stop_scheduler() -> None:
    global _scheduler
    with _scheduler_lock:
        if _scheduler is not None:
            _scheduler.set()
            _scheduler = None
