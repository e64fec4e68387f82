"""Is every service behind the workbench answering, and how fast?"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import text

from superinsight.adapters.jobs import RQJobQueue
from superinsight.adapters.labelstudio import LabelStudioNotConnectedError
from superinsight.config import display_url, redact
from superinsight.db import migrate
from superinsight.resources import Resources
from superinsight.services.context import internal

State = Literal["up", "degraded", "down", "not configured"]


@dataclass(frozen=True)
class ServiceHealth:
    name: str
    backend: str
    state: State
    latency_ms: float | None
    detail: str

    @property
    def failing(self) -> bool:
        return self.state == "down"


class Degraded(Exception):
    """The service answered but cannot do its work yet (the message says why)."""


def _database(resources: Resources) -> str:
    with resources.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    if not migrate.is_up_to_date(resources.engine):
        raise Degraded("schema is not at the newest revision: run `superinsight migrate`")
    return display_url(resources.settings.effective_database_url)


def _cache(resources: Resources) -> str:
    resources.cache.ping()
    return display_url(resources.settings.redis_url)


def _jobs(resources: Resources) -> str:
    resources.jobs.ping()
    if isinstance(resources.jobs, RQJobQueue):
        workers = resources.jobs.worker_count()
        if workers == 0:
            raise Degraded("no worker is running: start one with `superinsight worker`")
        return f"{workers} worker(s) on {display_url(resources.settings.redis_url)}"
    return "background threads in the app process"


def _graph(resources: Resources) -> str:
    resources.graph.ping()
    uri = resources.settings.neo4j_uri
    return display_url(uri) if uri else "graph tables in the relational store"


def _labeling(resources: Resources) -> str:
    resources.annotator.ping()
    url = resources.settings.label_studio_url
    return display_url(url) if url else ""


CHECKS: dict[str, Callable[[Resources], str]] = {
    "database": _database,
    "cache": _cache,
    "jobs": _jobs,
    "graph": _graph,
    "labeling": _labeling,
}


def _backend(resources: Resources, name: str) -> str:
    return {
        "database": resources.engine.dialect.name,
        "cache": resources.cache.backend,
        "jobs": resources.jobs.backend,
        "graph": resources.graph.backend,
        "labeling": resources.annotator.backend,
    }[name]


@internal("service probes show no workspace data; the health page and `superinsight health` call them")
def check_one(resources: Resources, name: str) -> ServiceHealth:
    backend = _backend(resources, name)
    started = time.perf_counter()
    state: State
    try:
        detail = CHECKS[name](resources)
        state = "up"
    except LabelStudioNotConnectedError as exc:
        return ServiceHealth(name, backend, "not configured", None, str(exc))
    except Degraded as exc:
        state, detail = "degraded", str(exc)
    except Exception as exc:  # noqa: BLE001 - any failure of a probe means the service is down
        state, detail = "down", f"{type(exc).__name__}: {exc}".strip()
    latency_ms = (time.perf_counter() - started) * 1000
    detail = redact(detail.splitlines()[0] if detail else "", resources.settings.secret_values())
    return ServiceHealth(name, backend, state, round(latency_ms, 1), detail)


@internal("service probes show no workspace data; the health page and `superinsight health` call them")
def check_services(resources: Resources, names: Sequence[str] | None = None) -> list[ServiceHealth]:
    """All probes at once, so the answer takes as long as the slowest, not the sum."""
    chosen = [name for name in CHECKS if names is None or name in names]
    with ThreadPoolExecutor(max_workers=len(chosen) or 1) as pool:
        return list(pool.map(lambda name: check_one(resources, name), chosen))
