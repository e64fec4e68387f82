"""Calls to a service that may never answer, waited on for a bounded time.

A blackholed service (it accepts the connection and never answers) holds a
client until its own socket timeout, often tens of seconds. Each call here runs
on a daemon thread of its own and the caller waits at most until its deadline;
a call still running is shared with the next caller asking the same thing, so a
hung service ties up one thread per question, not one per page view.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

T = TypeVar("T")

_running: dict[Hashable, Future[Any]] = {}
_lock = threading.Lock()


class NoAnswerError(TimeoutError):
    """The service did not answer before the deadline (it may still, later)."""


def _run(future: Future[T], call: Callable[[], T]) -> None:
    try:
        future.set_result(call())
    except BaseException as exc:  # noqa: BLE001 - handed to whoever waits on the future
        future.set_exception(exc)


def start(key: Hashable, call: Callable[[], T]) -> Future[T]:
    """Start `call` on its own thread, or join the one already running under `key`."""
    with _lock:
        future = _running.get(key)
        if future is None or future.done():
            future = Future()
            _running[key] = future
            threading.Thread(target=_run, args=(future, call), daemon=True, name=f"health-{key}").start()
    return future


def result(future: Future[T], deadline: float, what: str) -> T:
    """The call's answer, or `NoAnswerError` naming `what` once `deadline` (monotonic) has passed."""
    try:
        return future.result(timeout=max(deadline - time.monotonic(), 0.0))
    except FutureTimeout:
        raise NoAnswerError(f"{what} did not answer in time") from None
