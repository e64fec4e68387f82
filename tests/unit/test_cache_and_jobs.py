"""The embedded cache and job runner behave as their production twins promise."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from superinsight.adapters import inprocess_jobs
from superinsight.adapters.cache import MemoryCache
from superinsight.adapters.inprocess_jobs import InProcessJobQueue
from superinsight.adapters.jobs import JobStatus, UnknownJobError, report_progress
from tests.integration import jobs_for_tests


def wait_done(queue: InProcessJobQueue, job_id: str, timeout: float = 5) -> JobStatus:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = queue.status(job_id)
        if status.done:
            return status
        time.sleep(0.01)
    raise AssertionError(f"job {job_id} did not finish")


class TestMemoryCache:
    def test_round_trips_json_values(self) -> None:
        cache = MemoryCache()
        cache.set("k", {"a": [1, 2]}, ttl_seconds=60)
        assert cache.get("k") == {"a": [1, 2]}

    def test_expired_values_are_gone(self, monkeypatch: pytest.MonkeyPatch) -> None:
        cache = MemoryCache()
        now = [1000.0]
        monkeypatch.setattr(time, "monotonic", lambda: now[0])
        cache.set("k", 1, ttl_seconds=10)
        now[0] += 9.9
        assert cache.get("k") == 1
        now[0] += 0.2
        assert cache.get("k") is None

    def test_expired_keys_nobody_reads_are_swept_within_a_minute(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        now = [1000.0]
        monkeypatch.setattr(time, "monotonic", lambda: now[0])
        cache = MemoryCache()
        for number in range(100):
            cache.set(f"old{number}", number, ttl_seconds=10)
        cache.set("forever", 1, ttl_seconds=0)
        now[0] += 61
        cache.set("new", 2, ttl_seconds=10)
        assert sorted(cache._items) == ["forever", "new"]

    def test_add_sets_only_an_empty_or_expired_key(self, monkeypatch: pytest.MonkeyPatch) -> None:
        now = [1000.0]
        monkeypatch.setattr(time, "monotonic", lambda: now[0])
        cache = MemoryCache()
        assert cache.add("lease", "a", ttl_seconds=10)
        assert not cache.add("lease", "b", ttl_seconds=10)
        assert cache.get("lease") == "a"
        now[0] += 10.1
        assert cache.add("lease", "c", ttl_seconds=10)
        cache.delete("lease")
        assert cache.add("lease", "d", ttl_seconds=10)
        assert cache.get("lease") == "d"

    def test_incr_counts_from_zero_and_delete_forgets(self) -> None:
        cache = MemoryCache()
        assert [cache.incr("v"), cache.incr("v")] == [1, 2]
        cache.delete("v")
        assert cache.get("v") is None

    def test_concurrent_increments_are_not_lost(self) -> None:
        cache = MemoryCache()
        threads = [threading.Thread(target=lambda: [cache.incr("n") for _ in range(500)]) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert cache.get("n") == 2000


def _steps(gate: threading.Event) -> None:
    report_progress(0.5, "half way")
    gate.wait(5)


def _explode() -> None:
    raise ValueError("bad row 7")


class TestInProcessJobs:
    def test_progress_is_visible_while_running_and_complete_after(self) -> None:
        queue = InProcessJobQueue()
        gate = threading.Event()
        job_id = queue.enqueue(_steps, gate)
        deadline = time.monotonic() + 5
        while queue.status(job_id).progress < 0.5 and time.monotonic() < deadline:
            time.sleep(0.01)
        running = queue.status(job_id)
        assert (running.state, running.progress, running.message) == ("running", 0.5, "half way")
        gate.set()
        finished = wait_done(queue, job_id)
        assert (finished.state, finished.progress) == ("finished", 1.0)

    def test_a_failing_job_reports_its_error(self) -> None:
        queue = InProcessJobQueue()
        status = wait_done(queue, queue.enqueue(_explode))
        assert status.state == "failed"
        assert status.error == "bad row 7"

    def test_a_failed_job_says_its_first_line_not_the_statement_or_a_link(self) -> None:
        queue = InProcessJobQueue()
        job_id = queue.enqueue(jobs_for_tests.fail_like_a_database, "canceling statement due to timeout")
        said = "(psycopg.errors.QueryCanceled) canceling statement due to timeout"
        assert wait_done(queue, job_id).error == said
        assert [job.error for job in queue.failed_since(datetime.now(UTC) - timedelta(hours=1))] == [said]

    def test_unknown_job_ids_are_refused(self) -> None:
        with pytest.raises(UnknownJobError):
            InProcessJobQueue().status("nope")

    def test_report_progress_outside_a_job_does_nothing(self) -> None:
        report_progress(0.3, "no job here")


def test_the_in_process_queue_forgets_the_oldest_ended_jobs_never_waiting_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(inprocess_jobs, "KEPT_STATUSES", 5)
    queue = InProcessJobQueue(max_workers=1)
    gate = threading.Event()
    first = queue.enqueue(_steps, gate)
    rest = [queue.enqueue(len, "x") for _ in range(8)]
    assert {queue.status(job_id).state for job_id in rest} == {"queued"}
    gate.set()
    assert wait_done(queue, rest[-1]).state == "finished"
    assert [queue.status(job_id).state for job_id in rest[-5:]] == ["finished"] * 5
    for job_id in [first, *rest[:3]]:
        with pytest.raises(UnknownJobError):
            queue.status(job_id)
