"""The `superinsight` command line, run as a user runs it: a separate process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import THIS_CHECKOUT, free_port

ROOT = Path(__file__).resolve().parents[2]
# The code beside these tests, whatever checkout an editable install of the package points at.


def _cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "superinsight.cli", *args],
        cwd=cwd,
        env={**os.environ, **THIS_CHECKOUT, **env},
        capture_output=True,
        text=True,
        timeout=180,
    )


class TestHealthCommand:
    def test_prints_a_line_per_service_and_exits_zero_when_nothing_is_down(self, tmp_path: Path) -> None:
        assert _cli("migrate", env={}, cwd=tmp_path).returncode == 0
        result = _cli("health", env={}, cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        lines = result.stdout.strip().splitlines()
        assert [line.split()[0] for line in lines] == ["database", "cache", "jobs", "graph", "labeling"]
        assert " ms" in lines[0]

    def test_exits_non_zero_when_a_configured_service_is_down(self, tmp_path: Path) -> None:
        result = _cli(
            "health", env={"REDIS_URL": f"redis://:pw-xyz-123@127.0.0.1:{free_port()}/0"}, cwd=tmp_path
        )
        assert result.returncode == 1
        cache_line = next(line for line in result.stdout.splitlines() if line.startswith("cache"))
        assert "down" in cache_line
        assert "pw-xyz-123" not in result.stdout + result.stderr


# Modules of a second or more to import that the health command never uses with the embedded
# defaults: compose runs it as a health check every few seconds.
NOT_FOR_HEALTH = ("neo4j", "pandas", "plotly", "streamlit", "label_studio_sdk.client", "krippendorff")
# With no Label Studio set, its HTTP client too (a tenth of a second): nothing is there to ping.
NOT_WITH_DEFAULTS = (*NOT_FOR_HEALTH, "httpx")
LOADED = f"""
import sys
from typer.testing import CliRunner
from superinsight.cli import app
result = CliRunner().invoke(app, ["health", "--json"])
assert result.exit_code in (0, 1), result.output
print(" ".join(name for name in {NOT_WITH_DEFAULTS!r} if name in sys.modules))
"""


def test_the_health_command_imports_nothing_heavy_it_does_not_use(tmp_path: Path) -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", LOADED],
        cwd=tmp_path,
        env={**os.environ, **THIS_CHECKOUT},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.split() == []


# What a check of one service must not load or start when the others are configured too:
# compose asks the app's container for `--only database` every ten seconds.
NOT_FOR_THE_DATABASE = ("neo4j", "httpx", "rq", "redis", "superinsight.db.models", "graph-schema", "alembic")
# SQLite's functions (REGEXP and the masking of search snippets) are registered on its connections only.
NOT_FOR_POSTGRESQL = ("superinsight.masking", "superinsight.rules")
ONLY_THE_DATABASE = """
import sys, threading
from typer.testing import CliRunner
from superinsight.cli import app
result = CliRunner().invoke(app, ["health", "--json", "--only", "database"])
assert result.exit_code == 0, result.output
running = {thread.name for thread in threading.enumerate()}
print(" ".join(name for name in UNUSED if name in sys.modules or name in running))
"""


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_a_database_check_leaves_the_other_configured_services_alone(
    store: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """No Neo4j driver, no Label Studio or Redis client, no ORM model, no graph constraints thread,
    no alembic (the revisions are read without it).

    A graph-schema thread that already ended would have imported the driver, so either check catches it.
    """
    nowhere = "127.0.0.1:9"  # nothing listens: touching any of them would show as a load or a thread
    database = {} if store == "sqlite" else {"DATABASE_URL": request.getfixturevalue("empty_pg_url")}
    unused = NOT_FOR_THE_DATABASE + (() if store == "sqlite" else NOT_FOR_POSTGRESQL)
    configured = {
        **database,
        "NEO4J_URI": f"bolt://{nowhere}",
        "NEO4J_PASSWORD": "not-used-here",
        "LABEL_STUDIO_URL": f"http://{nowhere}",
        "LABEL_STUDIO_API_KEY": "not-used-here",
    }
    migrated = _cli("migrate", env=database, cwd=tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    loaded = subprocess.run(
        [sys.executable, "-c", ONLY_THE_DATABASE.replace("UNUSED", repr(unused))],
        cwd=tmp_path,
        env={**os.environ, **THIS_CHECKOUT, **configured},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.split() == []


def test_building_a_service_client_is_not_counted_against_the_deadline(tmp_path: Path) -> None:
    """A fresh process builds the graph's adapter on first use (a second of imports here): before
    the probes' deadline, or a healthy graph would be named down for the time Python took."""
    assert _cli("migrate", env={}, cwd=tmp_path).returncode == 0
    checked = _cli("health", "--json", "--timeout", "0.5", env={}, cwd=tmp_path)
    states = {item["name"]: item["state"] for item in json.loads(checked.stdout)["services"]}
    assert states["graph"] == "up", checked.stdout
    assert checked.returncode == 0


def test_a_graph_address_no_driver_accepts_is_named_down_and_the_rest_still_answer(tmp_path: Path) -> None:
    assert _cli("migrate", env={}, cwd=tmp_path).returncode == 0
    wrong = {"NEO4J_URI": "foo://127.0.0.1:9", "NEO4J_PASSWORD": "not-used-here"}
    checked = _cli("health", "--json", env=wrong, cwd=tmp_path)
    assert checked.returncode == 1 and "Traceback" not in checked.stderr, checked.stderr
    services = {item["name"]: item for item in json.loads(checked.stdout)["services"]}
    assert services["graph"]["state"] == "down"
    assert "URI scheme 'foo' is not supported" in services["graph"]["detail"]
    assert services["database"]["state"] == "up"


LABELING = f"""
import json, sys
from typer.testing import CliRunner
from superinsight.cli import app
result = CliRunner().invoke(app, ["health", "--json", "--only", "labeling"])
loaded = [name for name in {NOT_FOR_HEALTH!r} if name in sys.modules]
print(json.dumps({{"health": json.loads(result.output), "loaded": loaded}}))
"""


def test_the_health_command_checks_label_studio_without_the_sdk_client(
    label_studio: tuple[str, str], tmp_path: Path
) -> None:
    """Configured, Label Studio is pinged over plain HTTP: the SDK's client (2 s to import) stays unloaded."""
    url, token = label_studio
    run = subprocess.run(
        [sys.executable, "-c", LABELING],
        cwd=tmp_path,
        env={**os.environ, **THIS_CHECKOUT, "LABEL_STUDIO_URL": url, "LABEL_STUDIO_API_KEY": token},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    [labeling] = answer["health"]["services"]
    assert (labeling["state"], labeling["facts"]) == ("up", {"token": "valid"})
    assert answer["loaded"] == []


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_migrate_and_seed_demo_from_the_command_line(
    store: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    env = {} if store == "sqlite" else {"DATABASE_URL": request.getfixturevalue("empty_pg_url")}
    migrated = _cli("migrate", env=env, cwd=tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    assert "migrated from empty to" in migrated.stdout
    assert "already at revision" in _cli("migrate", env=env, cwd=tmp_path).stdout
    seeded = _cli("seed-demo", "--documents", "300", env=env, cwd=tmp_path)
    assert seeded.returncode == 0, seeded.stderr
    assert "3 sources, 300 documents added" in seeded.stdout
    again = _cli("seed-demo", "--documents", "300", env=env, cwd=tmp_path)
    assert "0 documents added, 0 updated, 300 unchanged, 0 rules added" in again.stdout


def test_the_worker_explains_that_it_needs_redis(tmp_path: Path) -> None:
    result = _cli("worker", env={}, cwd=tmp_path)
    assert result.returncode == 2
    assert "needs REDIS_URL" in result.stderr


def test_seed_demo_if_empty_leaves_an_existing_workbench_alone(tmp_path: Path) -> None:
    assert "300 documents added" in _cli("seed-demo", "--documents", "300", env={}, cwd=tmp_path).stdout
    result = _cli("seed-demo", "--if-empty", env={}, cwd=tmp_path)
    assert result.returncode == 0
    assert "already has data" in result.stdout


class TestHealthOptions:
    def test_only_checks_the_named_services(self, tmp_path: Path) -> None:
        result = _cli("health", "--only", "cache", "--only", "jobs", env={}, cwd=tmp_path)
        assert [line.split()[0] for line in result.stdout.splitlines()] == ["cache", "jobs"]
        assert result.returncode == 0

    def test_strict_fails_on_a_queue_without_workers(self, redis_url: str, tmp_path: Path) -> None:
        env = {"REDIS_URL": redis_url}
        assert _cli("health", "--only", "jobs", env=env, cwd=tmp_path).returncode == 0
        strict = _cli("health", "--only", "jobs", "--strict", env=env, cwd=tmp_path)
        assert strict.returncode == 1
        assert "degraded" in strict.stdout

    def test_unknown_services_are_refused(self, tmp_path: Path) -> None:
        result = _cli("health", "--only", "kafka", env={}, cwd=tmp_path)
        assert result.returncode == 2
        assert "Unknown service(s): kafka" in result.stderr


def _create_admin(cwd: Path, email: str, password: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "superinsight.cli", "create-admin", "--email", email, "--password-stdin"],
        cwd=cwd,
        env={**os.environ},
        input=f"{password}\n",
        capture_output=True,
        text=True,
        timeout=120,
    )


class TestAccounts:
    def test_create_admin_reads_the_password_from_stdin_and_never_echoes_it(self, tmp_path: Path) -> None:
        result = _create_admin(tmp_path, "Boss@Acme.example", "a sturdy passphrase 42")
        assert result.returncode == 0, result.stderr
        assert "Admin boss@acme.example created in workspace demo" in result.stdout
        assert "sturdy" not in result.stdout + result.stderr

    def test_a_weak_password_is_refused(self, tmp_path: Path) -> None:
        result = _create_admin(tmp_path, "a@b.example", "short")
        assert result.returncode == 2
        assert "at least 12 characters" in result.stderr

    def test_seed_demo_hands_over_accounts_in_a_private_file_once(self, tmp_path: Path) -> None:
        first = _cli("seed-demo", "--documents", "20", env={}, cwd=tmp_path)
        credentials = tmp_path / ".superinsight" / "demo-credentials.txt"
        assert "their passwords are in .superinsight/demo-credentials.txt" in first.stdout
        assert credentials.stat().st_mode & 0o077 == 0
        roles = [line.split()[0] for line in credentials.read_text().splitlines()[1:]]
        assert roles == ["admin", "analyst", "annotator", "viewer"]
        for line in credentials.read_text().splitlines()[1:]:
            assert line.split()[2] not in first.stdout
        again = _cli("seed-demo", "--documents", "20", env={}, cwd=tmp_path)
        assert "Demo accounts created" not in again.stdout
