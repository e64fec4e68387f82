"""Every connection of the embedded store has the functions the workbench's SQL calls.

They were once registered by a listener that the rule modules added when first imported:
a process whose first connection opened before that (the app signs in before any rule
runs) kept a pooled connection without them, and applying a rule with a number or
metadata condition failed with "no such function: rule_json_number".
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FIRST_CONNECTION = """
import sys
from superinsight.db.engine import build_engine
engine = build_engine(sys.argv[1])
with engine.connect() as connection:
    print(connection.exec_driver_sql(
        "SELECT rule_json_number(json('2.5')), rule_text_number('7'), 'abc' REGEXP 'b',"
        " matches_unhidden('a', 'b', '[]', 'b')"
    ).one())
"""


def test_the_first_connection_of_a_fresh_process_has_every_function(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    done = subprocess.run(
        [sys.executable, "-c", FIRST_CONNECTION, url], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "(2.5, 7.0, 1, 1)"
