"""The sidebar's status badge: how long what it says is trusted."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import ui.status
from superinsight.services.health import ServiceHealth


def _round(state: str) -> list[ServiceHealth]:
    return [
        ServiceHealth("database", "sqlite", "up", 1.0, ""),
        ServiceHealth("labeling", "", state, None, ""),
    ]


@pytest.fixture
def probes(monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], SimpleNamespace]:
    """Probe rounds answer from `answers` (consumed in order); the clock is `clock.now`."""
    answers: list[str] = []
    clock = SimpleNamespace(now=1000.0)
    ui.status._last.clear()
    monkeypatch.setattr(ui.status, "resources", lambda: None)
    monkeypatch.setattr(ui.status, "check_services", lambda _resources: _round(answers.pop(0)))
    monkeypatch.setattr(ui.status, "time", SimpleNamespace(monotonic=lambda: clock.now))
    return answers, clock


def test_a_service_found_down_is_probed_again_within_seconds(
    probes: tuple[list[str], SimpleNamespace],
) -> None:
    answers, clock = probes
    answers.extend(["down", "up"])
    assert [item.state for item in ui.status.badge_health()] == ["up", "down"]
    clock.now += 4.9
    assert ui.status.badge_health()[1].state == "down", "trusted for a few seconds"
    assert answers == ["up"], "no probe round within those seconds"
    clock.now += 0.2
    assert ui.status.badge_health()[1].state == "up"
    assert answers == []


def test_all_up_is_trusted_for_half_a_minute(probes: tuple[list[str], SimpleNamespace]) -> None:
    answers, clock = probes
    answers.extend(["up", "down"])
    ui.status.badge_health()
    clock.now += 29.9
    assert ui.status.badge_health()[1].state == "up"
    assert answers == ["down"]
    clock.now += 0.2
    assert ui.status.badge_health()[1].state == "down"
