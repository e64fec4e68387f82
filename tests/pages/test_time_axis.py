"""Time axes say seconds only when the ticks are seconds apart, and dates once they are days apart."""

from __future__ import annotations

import pytest
from plotly.graph_objects import Figure

from ui.charts import DAY_MS, MINUTE_MS, readable_time_axis

SECOND_MS = 1_000


def _chosen(figure: Figure, dtick_ms: int) -> str:
    """The tick format plotly.js picks for a spacing: the first enabled stop whose range, bounds
    included and an open end unbounded, holds it (`isProperStop` in its axes code)."""
    for stop in figure.layout.xaxis.tickformatstops:
        low, high = stop.dtickrange
        if (low is None or dtick_ms >= low) and (high is None or dtick_ms <= high):
            return str(stop.value)
    raise AssertionError(f"no stop for ticks {dtick_ms} ms apart")


@pytest.mark.parametrize(
    ("dtick_ms", "first_line"),
    [
        (SECOND_MS, "%H:%M:%S"),
        (10 * SECOND_MS, "%H:%M:%S"),
        (30 * SECOND_MS, "%H:%M:%S"),
        (MINUTE_MS, "%H:%M"),
        (5 * MINUTE_MS, "%H:%M"),
        (6 * 60 * MINUTE_MS, "%H:%M"),
        (DAY_MS, "%d %b"),
        (7 * DAY_MS, "%d %b"),
    ],
)
def test_the_tick_format_follows_the_spacing(dtick_ms: int, first_line: str) -> None:
    figure = Figure()
    readable_time_axis(figure)
    assert _chosen(figure, dtick_ms).split("\n")[0] == first_line


def test_hovering_names_the_second() -> None:
    figure = Figure()
    readable_time_axis(figure)
    assert figure.layout.xaxis.hoverformat.endswith("%H:%M:%S")
