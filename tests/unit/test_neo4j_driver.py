"""The Neo4j driver loads without numpy, pandas and pyarrow in a command, and as it comes elsewhere.

Each case runs in a fresh Python: whether a module is loaded is a fact of the whole process.
"""

from __future__ import annotations

import json
import subprocess
import sys

LOADED = (
    "import json, sys; print(json.dumps([m for m in ('numpy', 'pandas', 'pyarrow') if m in sys.modules]))"
)


def _run(code: str) -> list[str]:
    command = [sys.executable, "-c", code]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_the_only_thread_imports_the_driver_without_the_data_libraries() -> None:
    code = f"""
from superinsight.adapters.neo4j_driver import import_driver
neo4j = import_driver()
assert neo4j.GraphDatabase.driver
{LOADED}
"""
    assert _run(code) == []


def test_the_data_libraries_still_import_after_it() -> None:
    code = f"""
from superinsight.adapters.neo4j_driver import import_driver
import_driver()
import pandas, pyarrow
assert pandas.DataFrame({{"a": [1]}}).shape == (1, 1)
{LOADED}
"""
    assert _run(code) == ["numpy", "pandas", "pyarrow"]


def test_with_another_thread_running_nothing_is_hidden() -> None:
    """Hiding a module would fail that thread's import of it: the driver is imported as it comes."""
    code = f"""
import threading
stop = threading.Event()
threading.Thread(target=stop.wait, daemon=True).start()
from superinsight.adapters.neo4j_driver import import_driver
import_driver()
stop.set()
{LOADED}
"""
    assert _run(code) == ["numpy", "pandas", "pyarrow"]


def test_the_resources_of_a_command_on_neo4j_load_none_of_them() -> None:
    code = f"""
from superinsight.config import Settings
from superinsight.resources import build_resources
settings = Settings(database_url="sqlite://", neo4j_uri="bolt://127.0.0.1:9", neo4j_password="x")
resources = build_resources(settings)
assert resources.graph.backend == "neo4j"
{LOADED}
"""
    assert _run(code) == []
