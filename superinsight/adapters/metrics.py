"""Prometheus metrics of the worker and the scheduler, each served on a port of its own.

An RQ worker runs every job in a forked child, so counts are kept in
prometheus_client's multiprocess files (`PROMETHEUS_MULTIPROC_DIR`), which the
endpoint in the parent adds up; `serve` points that at a fresh directory before
the client is first imported. A process that never serves (the app, the CLI's
other commands) records nothing: every `record_*` is then a no-op.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

_metrics: dict[str, Any] = {}
DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 1800)
PROBE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)


class _QueueDepth:
    """Jobs waiting per queue, read from the queue at each scrape (so it is never stale)."""

    def __init__(self, depths: Callable[[], dict[str, int]]) -> None:
        self._depths = depths

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        family = GaugeMetricFamily("superinsight_queue_depth", "Jobs waiting in each queue", labels=["queue"])
        for queue, depth in self._depths().items():
            family.add_metric([queue], depth)
        yield family


def instruments(registry: Any = None) -> dict[str, Any]:
    """The counters and histograms the processes record into (in `registry`, else the client's own)."""
    from prometheus_client import REGISTRY, Counter, Histogram

    registry = REGISTRY if registry is None else registry
    return dict(
        jobs=Counter(
            "superinsight_jobs", "Jobs run, by kind and outcome", ["kind", "outcome"], registry=registry
        ),
        durations=Histogram(
            "superinsight_job_duration_seconds",
            "How long jobs ran, by kind and outcome (a rule's apply is kind rules.apply.apply_rule_job)",
            ["kind", "outcome"],
            buckets=DURATION_BUCKETS,
            registry=registry,
        ),
        probes=Histogram(
            "superinsight_probe_latency_seconds",
            "Service probe latency, by service and the state it found",
            ["service", "state"],
            buckets=PROBE_BUCKETS,
            registry=registry,
        ),
        # Counted from what a run's batches committed, once the run has ended and its outcome
        # (succeeded, partial, failed, cancelled) is known: rows read by runs that failed
        # part way are told apart from those of runs that succeeded.
        rows_read=Counter(
            "superinsight_sync_rows_read",
            "Source records read by sync runs' committed batches, by the run's outcome",
            ["outcome"],
            registry=registry,
        ),
        rows_written=Counter(
            "superinsight_sync_rows_written",
            "Documents inserted or updated by sync runs' committed batches, by the run's outcome",
            ["outcome", "write"],
            registry=registry,
        ),
    )


def serve(port: int, depths: Callable[[], dict[str, int]]) -> None:
    """Start the `/metrics` endpoint on `port` (all interfaces) and start recording."""
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="superinsight-metrics-"))
    from prometheus_client import CollectorRegistry, multiprocess, start_http_server

    _metrics.update(instruments())
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    registry.register(_QueueDepth(depths))
    start_http_server(port, registry=registry)


def _kind(function: str) -> str:
    return function.removeprefix("superinsight.services.")


def record_job(function: str, outcome: str, seconds: float) -> None:
    """A job ended `finished` or `failed` after `seconds`."""
    if _metrics:
        _metrics["jobs"].labels(_kind(function), outcome).inc()
        _metrics["durations"].labels(_kind(function), outcome).observe(seconds)


def record_probe(service: str, state: str, seconds: float | None) -> None:
    """A service probe's latency (a probe that got no answer counts at +Inf)."""
    if _metrics:
        _metrics["probes"].labels(service, state).observe(float("inf") if seconds is None else seconds)


def record_sync_rows(outcome: str, read: int, inserted: int, updated: int) -> None:
    """An ended sync run's committed rows, under the status it ended with."""
    if _metrics:
        _metrics["rows_read"].labels(outcome).inc(read)
        _metrics["rows_written"].labels(outcome, "inserted").inc(inserted)
        _metrics["rows_written"].labels(outcome, "updated").inc(updated)
