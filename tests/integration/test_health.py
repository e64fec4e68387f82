"""Health probes every service, on real servers, and says plainly what is wrong and what each is doing."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import rq
from pydantic import SecretStr
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from superinsight.adapters.inprocess_jobs import InProcessJobQueue
from superinsight.adapters.jobs import function_name
from superinsight.adapters.rq_jobs import RQJobQueue
from superinsight.db import migrate
from superinsight.db.engine import CONNECT_TIMEOUT_SECONDS
from superinsight.db.models import AuditLog
from superinsight.resources import Resources, build_resources
from superinsight.services.context import role_actor
from superinsight.services.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from superinsight.services.health import check_services, history, queue
from superinsight.services.health.probes import ServiceHealth
from superinsight.services.health.report import health_report, without_paths
from tests.conftest import make_settings
from tests.integration import jobs_for_tests
from tests.servers import THIS_CHECKOUT, free_port, wait_until

SERVICES = ("database", "cache", "jobs", "graph", "labeling")


def _states(results: list[ServiceHealth]) -> dict[str, str]:
    return {item.name: item.state for item in results}


@pytest.fixture
def blackhole() -> Iterator[int]:
    """A loopback port that accepts connections (the kernel completes them) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield listener.getsockname()[1]


@pytest.fixture
def built(tmp_path: Path) -> Iterator[Callable[..., Resources]]:
    made: list[Resources] = []

    def build(database_url: str | None = None, **overrides: Any) -> Resources:
        made.append(build_resources(make_settings(tmp_path, database_url, **overrides)))
        return made[-1]

    yield build
    for resources in made:
        resources.close()


def test_embedded_defaults_are_up_and_reported_as_embedded(
    sqlite_url: str, built: Callable[..., Resources]
) -> None:
    results = {item.name: item for item in check_services(built(sqlite_url), timeout=5.0)}
    assert _states(list(results.values())) == {
        "database": "up",
        "cache": "up",
        "jobs": "up",
        "graph": "up",
        "labeling": "not configured",
    }
    assert [name for name, item in results.items() if item.embedded] == ["database", "cache", "jobs", "graph"]
    database = dict(results["database"].facts)
    assert results["database"].version.startswith("SQLite 3.")
    assert database["schema"].split(" ")[0] == database["schema"].split("newest: ")[1].rstrip(")")
    assert database["size"].endswith("KB") or database["size"].endswith("MB")
    assert "LABEL_STUDIO_URL" in results["labeling"].detail


def test_every_real_service_up_with_its_version_and_what_it_is_doing(
    pg_url: str,
    redis_url: str,
    neo4j_uri: str,
    label_studio: tuple[str, str],
    built: Callable[..., Resources],
) -> None:
    resources = built(
        pg_url,
        redis_url=SecretStr(redis_url),
        neo4j_uri=neo4j_uri,
        label_studio_url=label_studio[0],
        label_studio_api_key=SecretStr(label_studio[1]),
    )
    results = {item.name: item for item in check_services(resources, timeout=5.0)}
    assert results["jobs"].state == "degraded"  # no worker process is running in this test
    assert "superinsight worker" in results["jobs"].detail
    assert {name: item.state for name, item in results.items() if name != "jobs"} == dict.fromkeys(
        ("database", "cache", "graph", "labeling"), "up"
    )
    assert not any(item.embedded for item in results.values())
    assert results["database"].version.startswith("PostgreSQL 1")
    assert results["cache"].version.startswith("Redis ")
    assert results["graph"].version.startswith("Neo4j/")
    assert results["labeling"].version.startswith("Label Studio 1.")
    assert dict(results["labeling"].facts)["token"] == "valid"
    connections = dict(results["database"].facts)["connections"]
    in_use, most = connections.split(" in use of ")
    assert 1 <= int(in_use) <= int(most)
    cache = dict(results["cache"].facts)
    assert cache["evictions"] == "0" and " of " in cache["memory"]
    assert dict(results["jobs"].facts) == {"waiting in superinsight": "0"}


def test_a_refused_label_studio_token_is_degraded_with_the_version_still_known(
    label_studio: tuple[str, str], sqlite_url: str, built: Callable[..., Resources]
) -> None:
    resources = built(sqlite_url, label_studio_url=label_studio[0], label_studio_api_key=SecretStr("0" * 40))
    item = check_services(resources, ["labeling"], timeout=5.0)[0]
    assert (item.state, dict(item.facts)["token"]) == ("degraded", "refused")
    assert item.version.startswith("Label Studio 1.") and "refused" in item.detail


def test_a_schema_behind_the_code_is_degraded(empty_pg_url: str, built: Callable[..., Resources]) -> None:
    item = check_services(built(empty_pg_url), ["database"], timeout=5.0)[0]
    assert item.state == "degraded"
    assert "superinsight migrate" in item.detail


def test_a_schema_ahead_of_the_code_says_to_upgrade_not_to_migrate(
    sqlite_url: str, built: Callable[..., Resources]
) -> None:
    resources = built(sqlite_url)
    migrate.upgrade(resources.engine)
    with resources.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'from_the_future'"))
    item = check_services(resources, ["database"], timeout=5.0)[0]
    assert item.state == "degraded"
    assert "from_the_future is newer" in item.detail and "upgrade SuperInsight" in item.detail
    assert "superinsight migrate" not in item.detail


def test_stopped_services_are_down_and_the_password_is_never_shown(built: Callable[..., Resources]) -> None:
    dead = free_port()
    resources = built(
        f"postgresql://app:hunter2secret@127.0.0.1:{dead}/x",
        redis_url=SecretStr(f"redis://:hunter2secret@127.0.0.1:{dead}/0"),
        neo4j_uri=f"bolt://127.0.0.1:{dead}",
        neo4j_password=SecretStr("hunter2secret"),
        label_studio_url=f"http://127.0.0.1:{dead}",
        label_studio_api_key=SecretStr("hunter2secret"),
    )
    results = check_services(resources, timeout=5.0)
    assert _states(results) == dict.fromkeys(SERVICES, "down")
    for item in results:
        assert "hunter2secret" not in item.detail + item.address
        assert item.detail and "no answer" not in item.detail  # refused at once, not waited out


# What points at the blackhole, and which services depend on it (the relational graph lives in
# the database, the RQ queue on the cache's Redis).
BLACKHOLED: dict[str, tuple[Callable[[int], dict[str, Any]], set[str]]] = {
    "database": (lambda port: {"database_url": f"postgresql://app:pw@127.0.0.1:{port}/x"}, {"graph"}),
    "cache": (lambda port: {"redis_url": SecretStr(f"redis://127.0.0.1:{port}/0")}, {"jobs"}),
    "graph": (lambda port: {"neo4j_uri": f"bolt://127.0.0.1:{port}"}, set()),
    "labeling": (
        lambda port: {"label_studio_url": f"http://127.0.0.1:{port}", "label_studio_api_key": SecretStr("k")},
        set(),
    ),
}


@pytest.mark.parametrize("name", BLACKHOLED)
def test_a_blackholed_service_is_named_down_within_the_timeout_while_the_others_report(
    name: str, blackhole: int, sqlite_url: str, built: Callable[..., Resources]
) -> None:
    overrides, dependants = BLACKHOLED[name][0](blackhole), BLACKHOLED[name][1]
    resources = built(overrides.pop("database_url", sqlite_url), **overrides)
    started = time.monotonic()
    results = {item.name: item for item in check_services(resources, timeout=0.5)}
    assert time.monotonic() - started < 1.5
    for hung in {name, *dependants}:
        assert results[hung].state == "down"
        assert results[hung].detail.startswith("no answer within 0.5 s"), results[hung].detail
    answering = {other: item.state for other, item in results.items() if other not in {name, *dependants}}
    assert set(answering.values()) <= {"up", "not configured"} and answering


def test_a_graph_whose_driver_refuses_the_address_is_down_and_still_named_neo4j(
    sqlite_url: str, built: Callable[..., Resources]
) -> None:
    resources = built(sqlite_url, neo4j_uri="bolt+x://127.0.0.1:7687")
    results = {item.name: item for item in check_services(resources, timeout=5.0)}
    graph = results["graph"]
    assert (graph.state, graph.backend) == ("down", "neo4j")
    assert graph.detail.startswith("ConfigurationError: URI scheme 'bolt+x' is not supported")
    assert results["database"].state != "down" and results["database"].backend == "sqlite"


def test_a_blackholed_database_is_given_up_on_after_the_connect_timeout(
    blackhole: int, built: Callable[..., Resources]
) -> None:
    """A page's query, and a probe given more time than that, fail in seconds instead of hanging."""
    resources = built(f"postgresql://app:pw@127.0.0.1:{blackhole}/x")
    started = time.monotonic()
    with pytest.raises(OperationalError, match="timeout"), resources.engine.connect():
        pass
    assert CONNECT_TIMEOUT_SECONDS - 0.5 < time.monotonic() - started < CONNECT_TIMEOUT_SECONDS + 2
    started = time.monotonic()
    (database,) = check_services(resources, ["database"], timeout=CONNECT_TIMEOUT_SECONDS + 5)
    assert time.monotonic() - started < CONNECT_TIMEOUT_SECONDS + 2
    assert (
        database.state == "down"
        and "timeout" in database.detail
        and "no answer within" not in database.detail
    )


def test_the_page_report_with_the_cache_blackholed_comes_back_within_the_timeout(
    blackhole: int, sqlite_url: str, built: Callable[..., Resources]
) -> None:
    resources = built(sqlite_url, redis_url=SecretStr(f"redis://127.0.0.1:{blackhole}/0"))
    started = time.monotonic()
    report = health_report(resources, role_actor("demo", "admin", 1), timeout=0.5)
    assert time.monotonic() - started < 1.5
    assert _states(report.services)["cache"] == "down"
    assert report.failed_jobs is None  # the queue lives on that Redis: said, not waited for
    assert report.backlog == 0  # the database answered


class TestFailedJobs:
    def _enqueue(self, resources: Resources) -> tuple[str, str]:
        mine = resources.jobs.enqueue(jobs_for_tests.fail_for, "demo", "disk full at /var/lib/x/y")
        theirs = resources.jobs.enqueue(jobs_for_tests.fail_for, "other", "not yours")
        return mine, theirs

    def _retryable(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setitem(queue.RETRYABLE, function_name(jobs_for_tests.fail_for), "sources.manage")

    def test_on_rq_each_tenant_sees_its_own_and_who_may_retries(
        self,
        redis_url: str,
        sqlite_url: str,
        built: Callable[..., Resources],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        resources = built(sqlite_url, redis_url=SecretStr(redis_url))
        assert isinstance(resources.jobs, RQJobQueue)
        mine, theirs = self._enqueue(resources)
        rq.SimpleWorker([resources.jobs.queue], connection=resources.jobs.queue.connection).work(burst=True)
        analyst, viewer = role_actor("demo", "analyst"), role_actor("demo", "viewer")

        assert [row.may_retry for row in queue.failed_jobs(resources, analyst)] == [False]
        self._retryable(monkeypatch)
        (row,) = queue.failed_jobs(resources, analyst)
        assert (row.id, row.job, row.may_retry) == (mine, "tests.integration.jobs_for_tests.fail_for", True)
        assert row.error == "disk full at /var/lib/x/y", (
            "the first line of the message, as in-process jobs say it"
        )
        assert row.ended_at is not None and row.ended_at > datetime.now(UTC) - timedelta(minutes=5)
        assert [r.may_retry for r in queue.failed_jobs(resources, viewer)] == [False]

        with pytest.raises(PermissionDeniedError):
            queue.retry_job(resources, viewer, mine)
        with pytest.raises(NotFoundError):
            queue.retry_job(resources, analyst, theirs)
        assert resources.jobs.queue.count == 0  # neither refusal queued anything

        queue.retry_job(resources, analyst, mine)
        assert resources.jobs.queue.job_ids == [mine]
        assert queue.failed_jobs(resources, analyst) == []
        with resources.uow() as uow:
            actions = uow.session.scalars(select(AuditLog.action).where(AuditLog.entity_id == mine)).all()
        assert actions == ["job.retry"]

    def test_in_process_too_and_a_job_not_built_for_it_is_not_retried(
        self, sqlite_url: str, built: Callable[..., Resources]
    ) -> None:
        resources = built(sqlite_url)
        assert isinstance(resources.jobs, InProcessJobQueue)
        mine, _ = self._enqueue(resources)
        wait_until(lambda: resources.jobs.status(mine).state == "failed", 10, "the failing job")
        admin = role_actor("demo", "admin", 1)
        wait_until(lambda: len(queue.failed_jobs(resources, admin)) == 1, 10, "the failed list")
        with pytest.raises(InvalidInputError, match="is not retried from here"):
            queue.retry_job(resources, admin, mine)
        assert [row.id for row in queue.failed_jobs(resources, admin)] == [mine]


def test_workers_alive_and_what_each_runs(
    redis_url: str, sqlite_url: str, built: Callable[..., Resources]
) -> None:
    resources = built(sqlite_url, redis_url=SecretStr(redis_url))
    assert isinstance(resources.jobs, RQJobQueue)
    job_id = resources.jobs.enqueue(jobs_for_tests.write_marker, "/nonexistent", "x")
    worker = rq.Worker([resources.jobs.queue], connection=resources.jobs.queue.connection, name="w1")
    worker.register_birth()
    try:
        worker.set_current_job_id(job_id)
        item = check_services(resources, ["jobs"], timeout=5.0)[0]
    finally:
        worker.register_death()
    assert item.state == "up"
    facts = dict(item.facts)
    assert facts["waiting in superinsight"] == "1"
    assert facts["worker w1"].endswith(": tests.integration.jobs_for_tests.write_marker")
    assert item.detail == "1 worker(s), 1 busy, 1 waiting"


def test_latency_history_is_kept_in_the_cache_oldest_first(
    redis_url: str, sqlite_url: str, built: Callable[..., Resources]
) -> None:
    resources = built(sqlite_url, redis_url=SecretStr(redis_url))
    first, second = datetime(2026, 12, 1, 3, tzinfo=UTC), datetime(2026, 12, 1, 4, tzinfo=UTC)
    history.remember(resources, [ServiceHealth("database", "sqlite", "up", 2.5, "")], first)
    history.remember(
        resources,
        [
            ServiceHealth("database", "sqlite", "up", 3.0, ""),
            ServiceHealth("cache", "redis", "down", None, ""),
        ],
        second,
    )
    again = built(sqlite_url, redis_url=SecretStr(redis_url))  # another process reads the same history
    assert [(p.at, p.service, p.latency_ms) for p in history.latencies(again)] == [
        (first, "database", 2.5),
        (second, "database", 3.0),
    ]


def test_addresses_and_paths_only_for_admins(sqlite_url: str, built: Callable[..., Resources]) -> None:
    resources = built(sqlite_url)
    admin = health_report(resources, role_actor("demo", "admin", 1), timeout=5.0)
    path = sqlite_url.split("///", 1)[1]
    assert admin.shows_addresses and path in {item.name: item for item in admin.services}["database"].address
    for role in ("analyst", "annotator", "viewer"):
        report = health_report(resources, role_actor("demo", role, 1), timeout=5.0)
        assert not report.shows_addresses
        assert all(item.address == "" for item in report.services)
        shown = " ".join(item.detail + str(item.facts) for item in report.services)
        assert path not in shown
    assert without_paths("unable to open /home/ann/.superinsight/workbench.db now") == "unable to open … now"
    assert without_paths("see http://host/a/b and 3/4") == "see http://host/a/b and 3/4"


# The code beside these tests, whatever checkout an editable install of the package points at.


def _health_json(*args: str, env: dict[str, str], cwd: Path) -> tuple[int, dict[str, Any]]:
    done = subprocess.run(
        [sys.executable, "-m", "superinsight.cli", "health", "--json", *args],
        cwd=cwd,
        env={**os.environ, **THIS_CHECKOUT, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, json.loads(done.stdout)


class TestHealthJson:
    def test_embedded_defaults_answer_ok_and_say_they_are_embedded(self, tmp_path: Path) -> None:
        env = {"DATA_DIR": str(tmp_path / "data")}
        code, answer = _health_json(env=env, cwd=tmp_path)
        assert code == 1 and answer["ok"] is False  # health never migrates: the graph tables are missing
        assert [item["state"] for item in answer["services"][::3]] == ["degraded", "down"]  # database, graph
        assert answer["services"][3]["detail"] == "its tables are not there yet: run `superinsight migrate`"
        migrate = [sys.executable, "-m", "superinsight.cli", "migrate"]
        run_env = {**os.environ, **THIS_CHECKOUT, **env}
        subprocess.run(migrate, cwd=tmp_path, env=run_env, check=True, capture_output=True)
        code, answer = _health_json(env=env, cwd=tmp_path)
        assert code == 0 and answer["ok"] is True
        services = {item["name"]: item for item in answer["services"]}
        assert list(services) == list(SERVICES)
        assert [item["state"] for item in services.values()] == ["up", "up", "up", "up", "not configured"]
        embedded = {name for name, item in services.items() if item["embedded"]}
        assert embedded == {"database", "cache", "jobs", "graph"}
        assert services["database"]["version"].startswith("SQLite 3.")

    def test_a_blackholed_cache_is_named_within_the_timeout_and_fails_the_check(
        self, blackhole: int, tmp_path: Path
    ) -> None:
        env = {
            "DATA_DIR": str(tmp_path / "data"),
            "REDIS_URL": f"redis://:pw-xyz-123@127.0.0.1:{blackhole}/0",
        }
        code, answer = _health_json(
            "--only", "cache", "--only", "jobs", "--timeout", "1", env=env, cwd=tmp_path
        )
        assert code == 1 and answer["ok"] is False
        for item in answer["services"]:
            assert (item["state"], item["detail"][:18]) == ("down", "no answer within 1")
        assert "pw-xyz-123" not in json.dumps(answer)


def _scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        return str(response.read().decode())


@contextmanager
def _serving(command: str, port: int, env: dict[str, str], cwd: Path) -> Iterator[None]:
    process = subprocess.Popen(
        [sys.executable, "-m", "superinsight.cli", command, "--metrics-port", str(port)],
        cwd=cwd,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


class TestMetrics:
    def test_the_worker_counts_jobs_by_kind_and_outcome_across_its_forked_work_horses(
        self, redis_url: str, sqlite_url: str, built: Callable[..., Resources], tmp_path: Path
    ) -> None:
        resources = built(sqlite_url, redis_url=SecretStr(redis_url))
        ok = resources.jobs.enqueue(jobs_for_tests.write_marker, str(tmp_path / "m.txt"), "x")
        bad = resources.jobs.enqueue(jobs_for_tests.fail_for, "demo", "boom")
        port = free_port()
        env = {"REDIS_URL": redis_url, "DATABASE_URL": sqlite_url, "DATA_DIR": str(tmp_path / "data")}
        with _serving("worker", port, env, Path.cwd()):
            wait_until(
                lambda: {resources.jobs.status(j).state for j in (ok, bad)} == {"finished", "failed"},
                60,
                "jobs",
            )
            wait_until(lambda: 'outcome="failed"' in _scrape(port), 30, "the metrics endpoint")
            text = _scrape(port)
        kinds = "tests.integration.jobs_for_tests"
        assert f'superinsight_jobs_total{{kind="{kinds}.write_marker",outcome="finished"}} 1.0' in text
        assert f'superinsight_jobs_total{{kind="{kinds}.fail_for",outcome="failed"}} 1.0' in text
        assert (
            f'superinsight_job_duration_seconds_count{{kind="{kinds}.fail_for",outcome="failed"}} 1.0' in text
        )
        assert 'superinsight_queue_depth{queue="superinsight"} 0.0' in text

    def test_the_scheduler_probes_each_round_and_serves_the_latencies(
        self, redis_url: str, sqlite_url: str, tmp_path: Path
    ) -> None:
        port = free_port()
        env = {"REDIS_URL": redis_url, "DATABASE_URL": sqlite_url, "DATA_DIR": str(tmp_path / "data")}
        with _serving("scheduler", port, env, Path.cwd()):
            wait_until(lambda: "superinsight_probe_latency_seconds_count" in _scrape(port), 60, "a round")
            text = _scrape(port)
        assert 'superinsight_probe_latency_seconds_count{service="database",state="up"} 1.0' in text
        assert 'superinsight_probe_latency_seconds_count{service="cache",state="up"} 1.0' in text
        assert 'service="labeling"' not in text, "no Label Studio configured: nothing probed, nothing counted"
        assert 'superinsight_queue_depth{queue="superinsight"} 0.0' in text
