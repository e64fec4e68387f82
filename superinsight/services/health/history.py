"""Probe latencies over time, kept in the cache so every app process (and replica) draws the same chart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from superinsight.resources import Resources
from superinsight.services.context import internal
from superinsight.services.health.probes import ServiceHealth

KEY = "health:latency"
KEPT = 600  # about the last 120 checks of five services
TTL_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class LatencyPoint:
    at: datetime
    service: str
    latency_ms: float


def _points(raw: Any) -> list[LatencyPoint]:
    if not isinstance(raw, list):
        return []
    return [LatencyPoint(datetime.fromisoformat(at), service, float(ms)) for at, service, ms in raw]


@internal("probe latencies name services, never workspace data")
def latencies(resources: Resources) -> list[LatencyPoint]:
    return _points(resources.cache.get(KEY))


@internal("probe latencies name services, never workspace data")
def remember(resources: Resources, results: list[ServiceHealth], at: datetime | None = None) -> None:
    """Add this check's latencies (a service that did not answer adds none) and forget the oldest."""
    when = (at or datetime.now(UTC)).isoformat()
    raw = resources.cache.get(KEY)
    kept = raw if isinstance(raw, list) else []
    kept += [[when, item.name, item.latency_ms] for item in results if item.latency_ms is not None]
    resources.cache.set(KEY, kept[-KEPT:], TTL_SECONDS)
