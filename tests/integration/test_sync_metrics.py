"""Sync rows in the Prometheus metrics: what runs' committed batches read and wrote, by the run's outcome."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from superinsight.adapters import metrics
from superinsight.db.base import utcnow
from superinsight.db.models import SyncExecution
from superinsight.resources import Resources, build_resources
from superinsight.services.context import Actor, role_actor
from superinsight.services.sync import connections
from superinsight.services.sync import jobs as sync_jobs
from superinsight.services.sync import runs as sync_runs
from superinsight.services.sync.run_state import reap_stale
from tests.conftest import make_settings
from tests.integration.test_sync import MAPPING, run_job
from tests.unit.test_grafana_dashboard import dashboard_selectors, load_dashboard, unmatched

ANALYST = role_actor("demo", "analyst")


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> CollectorRegistry:
    """This process records, as a worker serving --metrics-port does, into a registry of the test's own."""
    fresh = CollectorRegistry()
    monkeypatch.setattr(metrics, "_metrics", metrics.instruments(fresh))
    return fresh


@pytest.fixture
def res(db_url: str, tmp_path: Path) -> Iterator[Resources]:
    (tmp_path / "files" / "demo").mkdir(parents=True)
    built = build_resources(
        make_settings(tmp_path, db_url, files_root=tmp_path / "files", sync_follow_ups=False)
    )
    yield built
    built.close()


def _rows(registry: CollectorRegistry, outcome: str) -> tuple[float, float, float]:
    def value(name: str, **labels: str) -> float:
        return registry.get_sample_value(name, {"outcome": outcome, **labels}) or 0.0

    return (
        value("superinsight_sync_rows_read_total"),
        value("superinsight_sync_rows_written_total", write="inserted"),
        value("superinsight_sync_rows_written_total", write="updated"),
    )


def _csv_job(res: Resources, actor: Actor, path: Path, mode: str = "full_refresh_append") -> int:
    source_id = connections.create_source(
        res, actor, connections.SourceDraft(path.stem, "csv", {"path": path.name})
    )
    draft = sync_jobs.JobDraft(path.stem, source_id, mode, MAPPING, batch_size=2)
    return sync_jobs.create_job(res, actor, draft)


def test_a_run_counts_the_rows_it_read_inserted_and_updated_under_its_outcome(
    res: Resources, registry: CollectorRegistry, tmp_path: Path
) -> None:
    items = tmp_path / "files" / "demo" / "items.csv"
    items.write_text("id,title,body\n1,One,a\n2,Two,b\n3,Three,c\n")
    job_id = _csv_job(res, ANALYST, items, "full_refresh_overwrite")
    first = run_job(res, ANALYST, job_id)
    assert first.status == "succeeded"
    assert _rows(registry, "succeeded") == (3, 3, 0)
    items.write_text("id,title,body\n1,One,a\n2,Two again,b\n3,Three,c\n4,Four,d\n")
    second = run_job(res, ANALYST, job_id)
    assert second.status == "succeeded"
    counts = second.counts
    assert (counts["read"], counts["inserted"], counts["updated"]) == (4, 1, 1)
    assert _rows(registry, "succeeded") == (7, 4, 1)
    assert _rows(registry, "failed") == (0, 0, 0)
    # What the endpoint serves from these runs answers each sync query of the Grafana dashboard.
    served = text_string_to_metric_families(generate_latest(registry).decode())
    samples = [sample for family in served for sample in family.samples]
    queried = [selector for _, selector in dashboard_selectors(load_dashboard())]
    sync = [selector for selector in queried if selector.name.startswith("superinsight_sync")]
    assert sync and not unmatched(sync, samples)


def test_a_failed_run_counts_under_failed(
    res: Resources, registry: CollectorRegistry, tmp_path: Path
) -> None:
    broken = tmp_path / "files" / "demo" / "broken.csv"
    broken.write_text("id,title,body\n1,One,a\n2,short\n")
    run = run_job(res, ANALYST, _csv_job(res, ANALYST, broken))
    assert run.status == "failed"
    assert registry.get_sample_value("superinsight_sync_rows_read_total", {"outcome": "failed"}) == 0.0
    assert _rows(registry, "succeeded") == (0, 0, 0)


def test_a_run_whose_worker_died_is_counted_by_the_scheduler_that_fails_it(
    res: Resources, registry: CollectorRegistry, tmp_path: Path
) -> None:
    items = tmp_path / "files" / "demo" / "dead.csv"
    items.write_text("id,title,body\n1,One,a\n")
    job_id = _csv_job(res, ANALYST, items)
    execution_id = sync_runs.queue_run(res, ANALYST, job_id)
    long_ago = utcnow() - timedelta(hours=1)
    with res.uow() as uow:  # a worker committed two batches, then was killed
        execution = uow.session.get(SyncExecution, execution_id)
        assert execution is not None
        execution.status, execution.started_at, execution.heartbeat_at = "running", long_ago, long_ago
        execution.records_read, execution.records_inserted, execution.records_updated = 4, 3, 1
        uow.commit()
    assert reap_stale(res) == 1
    assert _rows(registry, "partial") == (4, 3, 1)
