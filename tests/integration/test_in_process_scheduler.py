"""The app's own scheduler (embedded defaults: jobs on the app's threads) lives as long as its resources."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import pytest

from superinsight import bootstrap
from superinsight.bootstrap import start_in_process_scheduler
from superinsight.db import migrate
from superinsight.resources import Resources, build_resources
from superinsight.services.sync import scheduler
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


def test_a_round_cut_short_by_closing_the_resources_is_not_reported_as_a_failure(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    """Closing shuts the job executor under a running round ("cannot schedule new futures after
    shutdown"); that is the end of the process, not an error. Any other failure is still logged."""
    resources = build_resources(make_settings(tmp_path))
    stop = threading.Event()
    rounds: list[str] = []

    def fails(_resources: Resources) -> dict[str, int]:
        rounds.append("round")
        if len(rounds) == 2:
            stop.set()  # as `Resources.close` does before it shuts the executor
            raise RuntimeError("cannot schedule new futures after shutdown")
        raise RuntimeError("the database went away")

    monkeypatch.setattr(scheduler, "tick", fails)
    try:
        with caplog.at_level(logging.ERROR, logger=scheduler.__name__):
            scheduler.tick_forever(resources, 0.01, stop)
    finally:
        resources.close()
    assert len(rounds) == 2
    assert [record.exc_info[1].args[0] for record in caplog.records if record.exc_info] == [
        "the database went away"
    ]


NOWHERE_GRAPH = {"neo4j_uri": "bolt://127.0.0.1:9", "neo4j_password": "not-used-here"}  # nothing listens


def test_the_graph_driver_closes_after_the_scheduler_that_may_use_it(tmp_path: Path) -> None:
    """Built on first use, after the scheduler started, its driver still closes last (closers run
    last in, first out), so a round at shutdown never meets a closed driver."""
    bootstrap._stop_scheduler()
    resources = build_resources(make_settings(tmp_path, **NOWHERE_GRAPH))
    migrate.upgrade(resources.engine)
    assert start_in_process_scheduler(resources) is not None
    driver = resources.graph._driver  # type: ignore[attr-defined]
    order = resources.closers
    assert order.index(driver.close) < order.index(bootstrap._stop_scheduler)
    resources.close()
    assert driver._closed and _none_ticking()


def test_a_graph_built_after_closing_is_closed_at_once(tmp_path: Path) -> None:
    """A late graph-constraints thread must not leave a Neo4j driver open that nothing will close."""
    resources = build_resources(make_settings(tmp_path, **NOWHERE_GRAPH))
    resources.close()
    driver = resources.graph._driver  # type: ignore[attr-defined]
    assert driver._closed and resources.closers == []
