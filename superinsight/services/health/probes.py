"""One probe per service: is it answering, how fast, which version, and what is it doing?

Every probe runs on its own thread under one deadline (`bounded`), so a service
that hangs is named as down when the deadline passes while the others report.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Literal

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from superinsight.adapters import metrics
from superinsight.adapters.labelstudio_errors import (
    KeyRefusedError,
    LabelStudioError,
    LabelStudioNotConnectedError,
)
from superinsight.db import revisions
from superinsight.redaction import display_url, redact
from superinsight.resources import Resources
from superinsight.services.context import internal
from superinsight.services.health import bounded

State = Literal["up", "degraded", "down", "not configured"]
PAGE_TIMEOUT_SECONDS = 0.5
EMBEDDED_BACKENDS = frozenset({"sqlite", "memory", "in-process", "relational"})
Facts = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ServiceHealth:
    """A service as its probe found it. `address` and `facts` may name hosts and files: see `report`."""

    name: str
    backend: str
    state: State
    latency_ms: float | None
    detail: str
    version: str = ""
    facts: Facts = ()
    address: str = ""

    @property
    def failing(self) -> bool:
        return self.state == "down"

    @property
    def embedded(self) -> bool:
        """The no-setup stand-in (SQLite, in-process cache and jobs, graph tables), not a server."""
        return self.backend in EMBEDDED_BACKENDS


@dataclass(frozen=True)
class Finding:
    detail: str
    version: str = ""
    facts: Facts = ()


class DegradedError(Exception):
    """The service answered but cannot do its work yet; carries what the probe found."""

    def __init__(self, message: str, finding: Finding | None = None) -> None:
        super().__init__(message)
        self.finding = finding


def _size(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"


def _database(resources: Resources) -> Finding:
    engine = resources.engine
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            version, in_use, most, size = connection.execute(
                text(
                    "SELECT current_setting('server_version'), "
                    "(SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()), "
                    "current_setting('max_connections'), pg_database_size(current_database())"
                )
            ).one()
            version, connections = f"PostgreSQL {version}", f"{in_use} in use of {most}"
        else:
            pages = connection.execute(text("PRAGMA page_count")).scalar_one()
            size = pages * connection.execute(text("PRAGMA page_size")).scalar_one()
            version, connections = f"SQLite {sqlite3.sqlite_version}", "a file, no server"
        current = revisions.current_revision(connection)
    head = revisions.head_revision()
    facts = (("schema", f"{current} (newest: {head})"), ("connections", connections), ("size", _size(size)))
    finding = Finding(f"{connections}, {_size(size)}", version, facts)
    if revisions.is_ahead(current):
        raise DegradedError(
            f"schema {current} is newer than this release's newest, {head}: upgrade SuperInsight", finding
        )
    if current != head:
        raise DegradedError(
            f"schema {current or 'empty'} is behind {head}: run `superinsight migrate`", finding
        )
    return finding


def _cache(resources: Resources) -> Finding:
    info = resources.cache.info()
    if resources.cache.backend == "memory":
        return Finding(f"a map in the app process, {info['keys']} keys", "", (("keys", str(info["keys"])),))
    limit = info.get("maxmemory_human", "0B") if info.get("maxmemory") else "no limit"
    memory = f"{info.get('used_memory_human', '?')} of {limit}"
    facts = (
        ("memory", memory),
        ("evictions", str(info.get("evicted_keys", 0))),
        ("clients", str(info.get("connected_clients", "?"))),
    )
    return Finding(
        f"{memory} memory, {info.get('evicted_keys', 0)} evictions", f"Redis {info['redis_version']}", facts
    )


def _jobs(resources: Resources) -> Finding:
    jobs = resources.jobs
    jobs.ping()
    depths, workers = jobs.depths(), jobs.workers()
    facts = tuple((f"waiting in {queue}", str(depth)) for queue, depth in depths.items()) + tuple(
        (f"worker {w.name}", f"{w.state}: {w.running}" if w.running else w.state) for w in workers
    )
    busy = sum(1 for w in workers if w.running)
    finding = Finding(
        f"{len(workers)} worker(s), {busy} busy, {sum(depths.values())} waiting", jobs.version, facts
    )
    if not workers:
        raise DegradedError("no worker is running: start one with `superinsight worker`", finding)
    return finding


class DownError(Exception):
    """The service cannot work, for a reason its message says whole (no error type put before it)."""


def _graph(resources: Resources) -> Finding:
    try:
        resources.graph.ping()
    except SQLAlchemyError:
        # The embedded graph's tables come with the schema: missing, they are the one thing to say.
        if resources.graph.backend == "relational":
            current = revisions.current_revision(resources.engine)
            if current != revisions.head_revision() and not revisions.is_ahead(current):
                raise DownError("its tables are not there yet: run `superinsight migrate`") from None
        raise
    if resources.graph.backend == "relational":
        return Finding("graph tables in the relational store", resources.graph.version())
    return Finding("answering over Bolt", resources.graph.version())


def _labeling(resources: Resources) -> Finding:
    version = f"Label Studio {resources.annotator.version()}"
    try:
        resources.annotator.ping()
    except KeyRefusedError as exc:
        raise DegradedError(str(exc), Finding("", version, (("token", "refused"),))) from None
    except LabelStudioError as exc:  # the server failed before the key could be judged
        raise DegradedError(str(exc), Finding("", version, (("token", "not checked"),))) from None
    return Finding("answering, the API key is accepted", version, (("token", "valid"),))


CHECKS: dict[str, Callable[[Resources], Finding]] = {
    "database": _database,
    "cache": _cache,
    "jobs": _jobs,
    "graph": _graph,
    "labeling": _labeling,
}


def _address(resources: Resources, name: str) -> str:
    settings = resources.settings
    return {
        "database": display_url(settings.effective_database_url),
        "cache": display_url(settings.redis_url) if settings.redis_url else "",
        "jobs": display_url(settings.redis_url) if settings.redis_url else "",
        "graph": display_url(settings.neo4j_uri) if settings.neo4j_uri else "",
        "labeling": display_url(settings.label_studio_url) if settings.label_studio_url else "",
    }[name]


def _backend(resources: Resources, name: str) -> str:
    """The named service's backend, building its adapter if this is its first use (the graph and
    the annotator are built lazily, importing their clients): called before a probe's deadline."""
    if name == "database":
        return resources.engine.dialect.name
    adapter = {"cache": "cache", "jobs": "jobs", "graph": "graph", "labeling": "annotator"}[name]
    backend: str = getattr(resources, adapter).backend
    return backend


def _failure(exc: Exception) -> str:
    """What a service that is down raised, as its detail: the kind of error and its words."""
    return f"{type(exc).__name__}: {exc}".strip()


def _built(resources: Resources, names: Sequence[str]) -> tuple[dict[str, str], dict[str, ServiceHealth]]:
    """Each service's backend, or, for one whose adapter cannot be built (a malformed address),
    that service down with the reason: probing it would only fail the same way."""
    backends: dict[str, str] = {}
    broken: dict[str, ServiceHealth] = {}
    for name in names:
        try:
            backends[name] = _backend(resources, name)
        except Exception as exc:  # noqa: BLE001 - a service whose client cannot be built is down
            # Only the graph is built here with a client of its own (the others are built with
            # the resources, or cannot fail): its backend comes from the settings.
            backends[name] = resources.graph_backend if name == "graph" else ""
            broken[name] = ServiceHealth(name, "", "down", None, _failure(exc))
    return backends, broken


def _probe(resources: Resources, name: str) -> ServiceHealth:
    """Run one probe and time it; whatever it raises becomes the service's state."""
    started = time.perf_counter()
    finding: Finding = Finding("")
    state: State = "up"
    try:
        finding = CHECKS[name](resources)
    except LabelStudioNotConnectedError as exc:
        return ServiceHealth(name, "", "not configured", None, str(exc))
    except DegradedError as exc:
        state, finding = "degraded", replace(exc.finding or finding, detail=str(exc))
    except DownError as exc:
        state, finding = "down", Finding(str(exc))
    except Exception as exc:  # noqa: BLE001 - any failure of a probe means the service is down
        state, finding = "down", Finding(_failure(exc))
    latency_ms = round((time.perf_counter() - started) * 1000, 1)
    return ServiceHealth(name, "", state, latency_ms, finding.detail, finding.version, finding.facts)


def _safe(resources: Resources, item: ServiceHealth, backend: str) -> ServiceHealth:
    """First line only, every configured secret masked, with the backend and address filled in."""
    secrets = resources.settings.secret_values()
    first = item.detail.splitlines()[0] if item.detail else ""
    return replace(
        item,
        backend=backend,
        detail=redact(first, secrets),
        facts=tuple((label, redact(value, secrets)) for label, value in item.facts),
        address=_address(resources, item.name),
    )


@internal("service probes show no workspace data; the health page and `superinsight health` call them")
def check_services(
    resources: Resources, names: Sequence[str] | None = None, timeout: float = PAGE_TIMEOUT_SECONDS
) -> list[ServiceHealth]:
    """All probes at once under one deadline: the answer takes as long as the slowest, at most `timeout`.

    What a process does once comes first and is not any service's time: reading the newest
    revision from disk, and building the adapters not built yet (importing the Neo4j driver
    takes a second here; a probe timed with it would name a healthy graph as down).
    """
    chosen = [name for name in CHECKS if names is None or name in names]
    if "database" in chosen:
        revisions.head_revision()
    backends, broken = _built(resources, chosen)
    deadline = time.monotonic() + timeout
    running = {
        name: bounded.start((id(resources), name), partial(_probe, resources, name))
        for name in chosen
        if name not in broken
    }
    results = []
    for name in chosen:
        try:
            item = broken.get(name) or bounded.result(running[name], deadline, name)
        except bounded.NoAnswerError:
            item = ServiceHealth(
                name, "", "down", None, f"no answer within {timeout:g} s (it accepts no work or hangs)"
            )
        results.append(_safe(resources, item, backends.get(name, "")))
        if item.state != "not configured":  # nothing was probed: no latency, not a probe without answer
            seconds = None if item.latency_ms is None else item.latency_ms / 1000
            metrics.record_probe(name, item.state, seconds)
    return results


@internal("service probes show no workspace data; the health page and `superinsight health` call them")
def check_one(resources: Resources, name: str, timeout: float = PAGE_TIMEOUT_SECONDS) -> ServiceHealth:
    return check_services(resources, [name], timeout)[0]
