"""The Neo4j driver, imported without the data libraries it would load for features we never use.

At import, the driver loads numpy, pandas and pyarrow if they are installed (Streamlit
installs all three) to offer `Result.to_df()` and array-backed vectors. In a process
that has not loaded them yet (the worker, the scheduler, `superinsight health`), that
was over a second of its start here, and `health --json` with Neo4j configured could
not answer within its second. Our graph code passes plain Python values only (ints, floats,
strings, lists and maps of them), which the driver takes the same with or without numpy: in
a process that imported it this way a numpy or pandas value would be refused, so none may
reach a query.

Hiding a module in `sys.modules` hides it from every thread, so it is done only while
the importing thread is the process's only one (as `threading` counts them; no C
extension of ours starts threads that import): a command building its resources at
start. Anywhere else (the app, where a page may be importing pandas) the driver is
imported as it comes.
"""

from __future__ import annotations

import importlib
import sys
import threading
from types import ModuleType

UNUSED = ("numpy", "pandas", "pyarrow")


def import_driver() -> ModuleType:
    """The `neo4j` module; if this is its first import and no other thread runs, without `UNUSED`."""
    if "neo4j" in sys.modules or threading.active_count() > 1:
        return importlib.import_module("neo4j")
    hidden = [name for name in UNUSED if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # Python's sign for "cannot be imported"
    try:
        return importlib.import_module("neo4j")
    finally:
        for name in hidden:
            if sys.modules.get(name, ...) is None:
                del sys.modules[name]
