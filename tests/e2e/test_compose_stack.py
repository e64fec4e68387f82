"""The production-stack test's reading of docker-compose.yml: word for word, or a named failure."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import compose_stack
from tests.e2e.compose_stack import LOCAL_EXTRAS as TEST_EXTRAS

COMPOSE_SECRETS = dict.fromkeys(
    ["POSTGRES_PASSWORD", "NEO4J_PASSWORD", "LABEL_STUDIO_PASSWORD", "LABEL_STUDIO_API_KEY", "SECRET_KEY"],
    "s",
)
LOCAL = {
    "postgres:5432": "postgresql://postgres@127.0.0.1:5/wb",
    "redis:6379": "redis://127.0.0.1:6/0",
    "neo4j:7687": "bolt://127.0.0.1:7",
    "label-studio:8080": "http://127.0.0.1:8",
}


def _changed(change: Callable[[dict[str, Any]], None]) -> Callable[[str], compose_stack.Service]:
    compose = compose_stack.load()
    change(compose["services"])
    return compose_stack.plan(
        compose, COMPOSE_SECRETS, LOCAL, venv_bin=Path("/venv/bin"), home=Path("/home"), extra=TEST_EXTRAS
    )


def test_the_compose_services_are_run_word_for_word_with_their_own_variables() -> None:
    make = _changed(lambda services: None)
    app, worker = make("app"), make("worker")
    assert re.fullmatch(
        r"superinsight migrate && streamlit run serve.py --server.port \d+ --server.address 127.0.0.1",
        app.argv[2],
    )
    assert worker.argv[:3] == ["superinsight", "worker", "--metrics-port"] and worker.argv[3] != "9100"
    assert make("worker").argv[3] != worker.argv[3], "two workers, two metrics ports"
    compose_names = set(compose_stack.load()["services"]["app"]["environment"])
    assert compose_names <= set(app.env) and not compose_names & set(TEST_EXTRAS)
    assert app.env["DATABASE_URL"] == "postgresql://postgres:s@127.0.0.1:5/wb"
    assert app.env["PATH"].startswith("/venv/bin")


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda s: s["worker"]["command"].append("--burst"), "'--burst'"),
        (lambda s: s["app"]["environment"].update(TOKEN="${NEW_SECRET:?set it}"), "NEW_SECRET"),
        (lambda s: s["app"]["environment"].update(CACHE="redis://cache:6379/0"), "cache:6379"),
        (lambda s: s["app"]["environment"].update(HOSTS="redis:6379"), "HOSTS"),
        (lambda s: s["app"]["environment"].update(HOME_DIR="$HOME"), "HOME_DIR"),
        (lambda s: s["scheduler"]["command"].__setitem__(3, "9999"), "9999"),
        (lambda s: s["app"]["environment"].update(SYNC_ALLOW_INTERNAL="false"), "SYNC_ALLOW_INTERNAL"),
    ],
)
def test_a_compose_change_the_test_cannot_run_locally_fails_it_by_name(
    change: Callable[[dict[str, Any]], None], named: str
) -> None:
    with pytest.raises(compose_stack.ComposeDrift, match=re.escape(named)):
        make = _changed(change)
        for name in compose_stack.WORKBENCH_SERVICES:
            make(name)
