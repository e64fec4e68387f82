"""The production cache and job queue against a real Redis and a real RQ worker process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from rq.job import Job

from superinsight.adapters.cache import RedisCache
from superinsight.adapters.jobs import JobStatus, UnknownJobError
from superinsight.adapters.rq_jobs import JOB_TIMEOUT_SECONDS, RQJobQueue
from tests.integration import jobs_for_tests

ROOT = Path(__file__).resolve().parents[2]


class TestRedisCache:
    def test_values_round_trip_and_expire(self, redis_url: str) -> None:
        cache = RedisCache(redis.Redis.from_url(redis_url))
        cache.set("facets", {"region": {"EMEA": 3}}, ttl_seconds=1)
        assert cache.get("facets") == {"region": {"EMEA": 3}}
        time.sleep(1.2)
        assert cache.get("facets") is None

    def test_incr_and_delete(self, redis_url: str) -> None:
        cache = RedisCache(redis.Redis.from_url(redis_url))
        assert [cache.incr("version"), cache.incr("version")] == [1, 2]
        cache.delete("version")
        assert cache.get("version") is None

    def test_add_sets_only_an_empty_key_until_it_expires(self, redis_url: str) -> None:
        cache = RedisCache(redis.Redis.from_url(redis_url))
        assert cache.add("lease", "first", ttl_seconds=1)
        assert not cache.add("lease", "second", ttl_seconds=1)
        assert cache.get("lease") == "first"
        time.sleep(1.2)
        assert cache.add("lease", "third", ttl_seconds=1)
        assert cache.get("lease") == "third"

    def test_keys_are_prefixed_so_other_apps_keys_are_untouched(self, redis_url: str) -> None:
        client = redis.Redis.from_url(redis_url)
        client.set("theirs", "1")
        RedisCache(client).set("theirs", 2, ttl_seconds=60)
        assert client.get("theirs") == b"1"


def _run_worker(redis_url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REDIS_URL": redis_url, "DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}"}
    return subprocess.run(
        [sys.executable, "-m", "superinsight.cli", "worker", "--burst"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


class TestRQJobs:
    def test_a_worker_process_runs_the_job_and_its_progress_is_kept(
        self, redis_url: str, tmp_path: Path
    ) -> None:
        queue = RQJobQueue(redis.Redis.from_url(redis_url))
        marker = tmp_path / "ran.txt"
        job_id = queue.enqueue(jobs_for_tests.write_marker, str(marker), "hello")
        assert queue.status(job_id).state == "queued"
        result = _run_worker(redis_url, tmp_path)
        assert result.returncode == 0, result.stderr
        assert marker.read_text() == "hello"
        status = queue.status(job_id)
        assert status == JobStatus(id=job_id, state="finished", progress=1.0, message="written", error=None)

    def test_a_failing_job_is_reported_with_its_error(self, redis_url: str, tmp_path: Path) -> None:
        queue = RQJobQueue(redis.Redis.from_url(redis_url))
        job_id = queue.enqueue(jobs_for_tests.fail, "source file is not UTF-8")
        _run_worker(redis_url, tmp_path)
        status = queue.status(job_id)
        assert status.state == "failed"
        assert status.error is not None and "source file is not UTF-8" in status.error

    def test_a_failed_job_says_its_first_line_not_the_statement_or_a_link(
        self, redis_url: str, tmp_path: Path
    ) -> None:
        queue = RQJobQueue(redis.Redis.from_url(redis_url))
        job_id = queue.enqueue(jobs_for_tests.fail_like_a_database, "canceling statement due to timeout")
        _run_worker(redis_url, tmp_path)
        said = "(psycopg.errors.QueryCanceled) canceling statement due to timeout"
        assert queue.status(job_id).error == said
        assert [job.error for job in queue.failed_since(datetime.now(UTC) - timedelta(hours=1))] == [said]

    def test_a_job_may_run_for_hours_not_rqs_three_minutes(self, redis_url: str) -> None:
        connection = redis.Redis.from_url(redis_url)
        job_id = RQJobQueue(connection).enqueue(jobs_for_tests.fail, "never run")
        assert Job.fetch(job_id, connection=connection).timeout == JOB_TIMEOUT_SECONDS == 6 * 3600

    def test_unknown_jobs_are_refused(self, redis_url: str) -> None:
        with pytest.raises(UnknownJobError):
            RQJobQueue(redis.Redis.from_url(redis_url)).status("missing")

    def test_worker_count_sees_no_worker_when_none_runs(self, redis_url: str) -> None:
        assert RQJobQueue(redis.Redis.from_url(redis_url)).worker_count() == 0
