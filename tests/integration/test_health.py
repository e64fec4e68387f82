"""Health probes every service, on real servers, and says plainly what is wrong."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from superinsight.resources import build_resources
from superinsight.services.health import check_services
from tests.conftest import make_settings
from tests.servers import free_port


def _states(results: list) -> dict[str, str]:  # type: ignore[type-arg]
    return {item.name: item.state for item in results}


def test_embedded_defaults_are_all_up_but_labeling(sqlite_url: str, tmp_path: Path) -> None:
    results = check_services(build_resources(make_settings(tmp_path, sqlite_url)))
    assert _states(results) == {
        "database": "up",
        "cache": "up",
        "jobs": "up",
        "graph": "up",
        "labeling": "not configured",
    }
    assert all(item.latency_ms is not None for item in results if item.state == "up")


def test_every_real_service_up(
    pg_url: str, redis_url: str, neo4j_uri: str, label_studio: tuple[str, str], tmp_path: Path
) -> None:
    settings = make_settings(
        tmp_path,
        pg_url,
        redis_url=SecretStr(redis_url),
        neo4j_uri=neo4j_uri,
        label_studio_url=label_studio[0],
        label_studio_api_key=SecretStr(label_studio[1]),
    )
    results = {item.name: item for item in check_services(build_resources(settings))}
    assert results["jobs"].state == "degraded"  # no worker process is running in this test
    assert "superinsight worker" in results["jobs"].detail
    assert {name: item.state for name, item in results.items() if name != "jobs"} == dict.fromkeys(
        ("database", "cache", "graph", "labeling"), "up"
    )
    assert (results["database"].backend, results["cache"].backend, results["graph"].backend) == (
        "postgresql",
        "redis",
        "neo4j",
    )
    assert results["database"].latency_ms is not None and results["database"].latency_ms < 1000


def test_a_schema_behind_the_code_is_degraded(empty_pg_url: str, tmp_path: Path) -> None:
    item = {i.name: i for i in check_services(build_resources(make_settings(tmp_path, empty_pg_url)))}
    assert item["database"].state == "degraded"
    assert "superinsight migrate" in item["database"].detail


def test_unreachable_services_are_down_and_the_password_is_never_shown(tmp_path: Path) -> None:
    dead = free_port()
    settings = make_settings(
        tmp_path,
        f"postgresql://app:hunter2secret@127.0.0.1:{dead}/x",
        redis_url=SecretStr(f"redis://:hunter2secret@127.0.0.1:{dead}/0"),
        neo4j_uri=f"bolt://127.0.0.1:{dead}",
        neo4j_password=SecretStr("hunter2secret"),
        label_studio_url=f"http://127.0.0.1:{dead}",
        label_studio_api_key=SecretStr("hunter2secret"),
    )
    results = check_services(build_resources(settings))
    assert _states(results) == dict.fromkeys(("database", "cache", "jobs", "graph", "labeling"), "down")
    for item in results:
        assert "hunter2secret" not in item.detail
        assert item.detail
