"""When a score warns or fails, and which scores crossed a level downwards since the last run.

Pure: the levels come parsed from a source's expectations; scoring turns the alerts into
notifications.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

State = Literal["ok", "warn", "fail"]
_SEVERITY: dict[State, int] = {"ok": 0, "warn": 1, "fail": 2}


@dataclass(frozen=True)
class Levels:
    """Below `warn` a score is a warning, below `fail` a failure (0-100)."""

    warn: float | None = None
    fail: float | None = None


def state(score: float | None, levels: Levels) -> State:
    if score is None:
        return "ok"
    if levels.fail is not None and score < levels.fail:
        return "fail"
    if levels.warn is not None and score < levels.warn:
        return "warn"
    return "ok"


@dataclass(frozen=True)
class Alert:
    scope: str
    state: State
    before: float | None
    now: float


def alerts(
    before: Mapping[str, float | None] | None,
    now: Mapping[str, float | None],
    thresholds: Mapping[str, Levels],
) -> list[Alert]:
    """Scores that crossed a threshold downwards since the previous run (or start below one)."""
    raised = []
    for scope, levels in thresholds.items():
        current = now.get(scope)
        if current is None:
            continue
        previous = before.get(scope) if before else None
        worse = state(current, levels)
        if _SEVERITY[worse] > _SEVERITY[state(previous, levels)]:
            raised.append(Alert(scope, worse, previous, current))
    return raised
