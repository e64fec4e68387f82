"""docker-compose.yml runs the full stack the way the settings expect it."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.core import TyperGroup

from superinsight.config import Settings

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"
DEV_ENV = COMPOSE.with_name("compose.dev.env")
SECRETS = {
    "POSTGRES_PASSWORD",
    "NEO4J_PASSWORD",
    "LABEL_STUDIO_PASSWORD",
    "LABEL_STUDIO_API_KEY",
    "SECRET_KEY",
}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def test_no_secret_has_a_default_and_a_missing_one_is_named() -> None:
    text = COMPOSE.read_text()
    used = re.findall(r"\$\{([A-Z0-9_]+)([^}]*)\}", text)
    assert {name for name, _ in used} >= SECRETS
    for name, rest in used:
        if name in SECRETS:
            assert rest.startswith(":?") and name in rest, (
                f"{name} must be required, with its name in the message"
            )
    assert not any(f"${{{name}:-" in text for name in SECRETS)


def test_the_development_env_file_supplies_exactly_the_secrets() -> None:
    lines = [line for line in DEV_ENV.read_text().splitlines() if line and not line.startswith("#")]
    values = dict(line.split("=", 1) for line in lines)
    assert set(values) == SECRETS
    assert all(values.values())
    assert re.fullmatch(r"[0-9a-f]{40}", values["LABEL_STUDIO_API_KEY"]), "Label Studio's legacy token format"


def test_runs_every_service_of_the_design(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {
        "postgres",
        "redis",
        "neo4j",
        "label-studio",
        "app",
        "worker",
        "scheduler",
    }


def test_every_service_has_a_health_check(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        assert service.get("healthcheck", {}).get("test"), name


def test_stateful_services_keep_data_in_named_volumes(compose: dict[str, Any]) -> None:
    for name in ("postgres", "redis", "neo4j", "label-studio"):
        volume = compose["services"][name]["volumes"][0].split(":")[0]
        assert volume in compose["volumes"], name


@pytest.mark.parametrize("name", ["app", "worker", "scheduler"])
def test_workbench_waits_for_healthy_dependencies(compose: dict[str, Any], name: str) -> None:
    depends = compose["services"][name]["depends_on"]
    for dependency in ("postgres", "redis", "neo4j", "label-studio"):
        assert depends[dependency]["condition"] == "service_healthy"


def test_the_app_migrates_before_serving(compose: dict[str, Any]) -> None:
    command = " ".join(compose["services"]["app"]["command"])
    assert command.index("superinsight migrate") < command.index("streamlit run")


def test_workbench_environment_names_are_real_settings(compose: dict[str, Any]) -> None:
    environment = compose["services"]["app"]["environment"]
    assert {key.lower() for key in environment} <= set(Settings.model_fields)


def _health_command(service: dict[str, Any]) -> list[str]:
    """The `superinsight health ...` words of a service's health check, in exec or shell form."""
    test = service["healthcheck"]["test"]
    words = test[1:] if test[0] == "CMD" else shlex.split(test[1])
    start = words.index("superinsight")
    end = next((i for i in range(start, len(words)) if words[i] in ("&&", ">", "||", ";")), len(words))
    return words[start + 1 : end]


@pytest.mark.parametrize("name", ["app", "worker", "scheduler"])
def test_workbench_health_checks_run_the_health_command_as_it_parses(
    compose: dict[str, Any], name: str
) -> None:
    from superinsight import cli
    from superinsight.services.health import CHECKS

    words = _health_command(compose["services"][name])
    assert words[:2] == ["health", "--json"]
    command = typer.main.get_command(cli.app)
    assert isinstance(command, TyperGroup)
    options = command.commands["health"].make_context("health", words[1:]).params  # refuses unknown options
    assert options["only"] and set(options["only"]) <= set(CHECKS)
    compose_timeout = float(compose["services"][name]["healthcheck"]["timeout"].removesuffix("s"))
    assert options["timeout"] < compose_timeout / 2  # room for the process to start before compose gives up


@pytest.mark.parametrize("name", ["worker", "scheduler"])
def test_worker_and_scheduler_serve_metrics_on_the_port_they_expose(
    compose: dict[str, Any], name: str
) -> None:
    from superinsight import cli

    service = compose["services"][name]
    assert service["command"][:2] == ["superinsight", name]
    command = typer.main.get_command(cli.app)
    assert isinstance(command, TyperGroup)
    options = command.commands[name].make_context(name, service["command"][2:]).params
    assert options["metrics_port"] and [str(options["metrics_port"])] == service["expose"]
    assert "ports" not in service  # scaled workers would fight over one host port


def test_the_app_and_every_worker_share_one_folder_of_files(compose: dict[str, Any]) -> None:
    """A file sent from the browser is stored by the app and read by whichever worker syncs it."""
    mounts = {name: compose["services"][name].get("volumes", []) for name in ("app", "worker", "scheduler")}
    shared = {mount for mount in mounts["app"] if mount.split(":")[0] in compose["volumes"]}
    assert shared, "the app keeps its files in a named volume"
    assert all(shared <= set(mounted) for mounted in mounts.values()), mounts
