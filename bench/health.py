"""The health page, service and `superinsight health --json`: every service up, then one blackholed.

    .venv/bin/python -m bench.health [--full] [--repeat 5]

Targets (issue 16, the seed's bar): the page and the command answer in under 1 s
with every service up, the database probe in under 100 ms, and still under 1 s
with any one service blackholed (a loopback socket that accepts and never answers).
PostgreSQL and Redis are servers of our own; `--full` also starts Neo4j and Label
Studio (minutes), otherwise the graph is the embedded one and Label Studio is not
connected. Each number is printed with its ratio to a reference measured in the
same run: the database probe against a bare `SELECT 1`, the concurrent check
against the probes one after another, the page against an empty page, the
command against starting Python and importing the CLI.

The page's target is judged on its own time (the page less an empty page): each
AppTest run also scans every installed package for Streamlit components, 0.3-1 s
that a served app spends once at start, not on a page view. The command's floor is
printed too: Python importing the libraries any command of ours must load to reach
the database (Typer, pydantic-settings, SQLAlchemy, psycopg), which on this
machine alone takes about a second.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import streamlit as st
from sqlalchemy import text
from streamlit.logger import set_log_level
from streamlit.testing.v1 import AppTest

from bench.common import elapsed, report, timed
from superinsight.config import get_settings
from superinsight.db import migrate
from superinsight.resources import Resources, get_resources
from superinsight.services.context import role_actor
from superinsight.services.health import check_one, check_services
from superinsight.services.health.probes import CHECKS
from tests.servers import LabelStudioServer, Neo4jServer, PostgresServer, RedisServer
from ui.session import ACTOR, ENTERED

ROOT = Path(__file__).resolve().parents[1]
EMPTY_PAGE = "import streamlit as st\nst.title('empty')\n"
LIBRARIES = "import typer, pydantic_settings, sqlalchemy.orm, psycopg"


@contextmanager
def blackhole() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield listener.getsockname()[1]


def _fresh(env: dict[str, str]) -> Resources:
    """The process's resources for `env`, as the app and the CLI read them."""
    for name in ("DATABASE_URL", "REDIS_URL", "NEO4J_URI", "NEO4J_PASSWORD", "LABEL_STUDIO_URL"):
        os.environ.pop(name, None)
    os.environ.pop("LABEL_STUDIO_API_KEY", None)
    os.environ.update(env)
    get_settings.cache_clear()
    get_resources.cache_clear()
    st.cache_resource.clear()
    st.cache_data.clear()
    return get_resources()


def _page(path: Path) -> float:
    at = AppTest.from_file(str(path), default_timeout=30)
    at.session_state[ACTOR] = role_actor("bench", "admin")
    at.session_state[ENTERED] = True  # as app.py marks a session it ran for
    seconds = elapsed(at.run)
    if at.exception:
        raise RuntimeError(f"{path.name} raised: {at.exception}")
    return seconds


def _pages(repeat: int, empty: Path) -> tuple[float, float]:
    """Median seconds of the health page and of an empty page, each run after one warm-up."""
    health = ROOT / "pages" / "health.py"
    _page(health), _page(empty)
    return (
        statistics.median(_page(health) for _ in range(repeat)),
        statistics.median(_page(empty) for _ in range(repeat)),
    )


def _command(env: dict[str, str], *args: str) -> float:
    run = {**os.environ, **env}
    return elapsed(lambda: subprocess.run([sys.executable, *args], env=run, capture_output=True, timeout=120))


def _own(page: float, empty_page: float) -> str:
    """The page's own time (what a served app spends on a view) and the AppTest total it came from."""
    own = (page - empty_page) * 1000
    return f"{own:8.1f} ms   (AppTest {page * 1000:.0f} ms less an empty page's {empty_page * 1000:.0f})"


def _ratio(value: float, reference: float) -> str:
    """The time, its ratio to the reference, and what it adds to it (the page's or command's own share)."""
    return f"{value * 1000:8.1f} ms   x{value / reference:6.2f}   (+{(value - reference) * 1000:.0f} ms)"


def _all_up(resources: Resources, env: dict[str, str], repeat: int, empty: Path) -> list[tuple[str, str]]:
    with resources.engine.connect() as connection:
        select_one, _ = timed(lambda: connection.execute(text("SELECT 1")).scalar(), repeat)
    probe = [check_one(resources, "database", timeout=5.0).latency_ms or 0.0 for _ in range(repeat + 1)][1:]
    together, _ = timed(lambda: check_services(resources, timeout=5.0), repeat)
    one_by_one, _ = timed(lambda: [check_one(resources, name, timeout=5.0) for name in CHECKS], repeat)
    page, empty_page = _pages(repeat, empty)
    command = statistics.median(_command(env, "-m", "superinsight.cli", "health", "--json") for _ in range(3))
    database_check = ("-m", "superinsight.cli", "health", "--json", "--only", "database")
    database_only = statistics.median(_command(env, *database_check) for _ in range(3))
    start_only = statistics.median(_command(env, "-c", "import superinsight.cli") for _ in range(3))
    libraries = statistics.median(_command(env, "-c", LIBRARIES) for _ in range(3))
    states = ", ".join(f"{item.name} {item.state}" for item in check_services(resources, timeout=5.0))
    return [
        ("states", states),
        ("database probe (target < 100 ms) vs SELECT 1", _ratio(statistics.median(probe) / 1000, select_one)),
        ("health service, concurrent vs one by one", _ratio(together, one_by_one)),
        ("health page's own time (target < 1 s)", _own(page, empty_page)),
        ("health --json (target < 1 s) vs importing the CLI", _ratio(command, start_only)),
        ("health --json vs importing just the libraries", _ratio(command, libraries)),
        ("health --json --only database (compose's app check) vs the same", _ratio(database_only, libraries)),
    ]


def _one_blackholed(
    base: dict[str, str], name: str, port: int, repeat: int, empty: Path
) -> list[tuple[str, str]]:
    address = {
        "database": {"DATABASE_URL": f"postgresql://bench:pw@127.0.0.1:{port}/bench"},
        "cache": {"REDIS_URL": f"redis://127.0.0.1:{port}/0"},
        "graph": {"NEO4J_URI": f"bolt://127.0.0.1:{port}"},
        "labeling": {"LABEL_STUDIO_URL": f"http://127.0.0.1:{port}", "LABEL_STUDIO_API_KEY": "k" * 40},
    }[name]
    env = {**base, **address}
    resources = _fresh(env)
    reference = _fresh(base)
    check, _ = timed(lambda: check_services(resources), repeat)
    up, _ = timed(lambda: check_services(reference), repeat)
    _fresh(env)
    page, empty_page = _pages(repeat, empty)
    command = _command(env, "-m", "superinsight.cli", "health", "--json", "--timeout", "0.5")
    start_only = _command(env, "-c", "import superinsight.cli")
    down = [item.name for item in check_services(resources) if item.state == "down"]
    return [
        (f"{name}: down", ", ".join(down)),
        (f"{name}: health service vs all up", _ratio(check, up)),
        (f"{name}: health page's own time (target < 1 s)", _own(page, empty_page)),
        (f"{name}: health --json vs importing the CLI", _ratio(command, start_only)),
    ]


def _servers(full: bool) -> tuple[dict[str, str], list[Callable[[], None]]]:
    postgres, redis_server = PostgresServer(), RedisServer()
    postgres.start()
    redis_server.start()
    stops = [postgres.stop, redis_server.stop]
    env = {
        "DATABASE_URL": postgres.url_for("postgres"),
        "REDIS_URL": redis_server.url,
        "AUTO_MIGRATE": "false",
    }
    if full:
        neo4j, label_studio = Neo4jServer(), LabelStudioServer()
        neo4j.start_in_background()
        label_studio.start_in_background()
        neo4j.wait(300)
        label_studio.wait(600)
        stops += [neo4j.stop, label_studio.stop]
        env.update(
            NEO4J_URI=neo4j.uri, LABEL_STUDIO_URL=label_studio.url, LABEL_STUDIO_API_KEY=label_studio.token
        )
    return env, stops


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--full", action="store_true", help="also start Neo4j and Label Studio (minutes)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    set_log_level("error")  # AppTest outside a server warns on every run
    env, stops = _servers(args.full)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env["DATA_DIR"] = tmp
            empty = Path(tmp) / "empty_page.py"
            empty.write_text(EMPTY_PAGE)
            resources = _fresh(env)
            migrate.upgrade(resources.engine)
            report("Every service up", _all_up(resources, env, args.repeat, empty))
            for name in ("database", "cache", "graph", "labeling"):
                with blackhole() as port:
                    report(f"{name} blackholed", _one_blackholed(env, name, port, args.repeat, empty))
    finally:
        for stop in stops:
            stop()


if __name__ == "__main__":
    main()
