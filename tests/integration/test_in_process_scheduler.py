"""The app's own scheduler (embedded defaults: jobs on the app's threads) lives as long as its resources."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from superinsight import bootstrap
from superinsight.bootstrap import start_in_process_scheduler
from superinsight.db import migrate
from superinsight.resources import build_resources
from tests.conftest import make_settings


def _ticking() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "superinsight-scheduler"]


def _none_ticking() -> bool:
    deadline = time.monotonic() + 10
    while _ticking() and time.monotonic() < deadline:
        time.sleep(0.05)
    return not _ticking()


def test_closing_the_resources_stops_their_scheduler_and_new_ones_start_another(tmp_path: Path) -> None:
    bootstrap._stop_scheduler()  # one an earlier test's app started, whose resources were never closed
    assert _none_ticking()
    first = build_resources(make_settings(tmp_path / "a"))
    migrate.upgrade(first.engine)
    stop = start_in_process_scheduler(first)
    assert stop is not None and not stop.is_set()
    assert start_in_process_scheduler(first) is stop, "one per process"
    assert len(_ticking()) == 1
    first.close()
    assert stop.is_set()
    assert _none_ticking(), "the thread ended with the resources it ticked with"

    second = build_resources(make_settings(tmp_path / "b"))
    migrate.upgrade(second.engine)
    try:
        again = start_in_process_scheduler(second)
        assert again is not None and again is not stop and len(_ticking()) == 1
    finally:
        second.close()
    assert again.is_set()
