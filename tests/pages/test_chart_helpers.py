"""What every chart shares: time axes that say seconds only when ticks are seconds apart (milliseconds
under a second) and dates once they are days apart; markers only on lines with few points."""

from __future__ import annotations

import pandas as pd
import pytest
from plotly.graph_objects import Figure, Scatter

from ui.charts import DAY_MS, MARKED_POINTS, MINUTE_MS, SECOND_MS, markers_where_sparse, readable_time_axis


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
        (100, "%H:%M:%S.%L"),
        (SECOND_MS // 2, "%H:%M:%S.%L"),
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


def test_markers_only_on_lines_with_few_points() -> None:
    """A lone point needs its marker to show at all; hundreds of markers hide the line."""
    sizes = {"one": 1, "most": MARKED_POINTS, "dense": MARKED_POINTS + 1, "history": 600}
    figure = Figure([Scatter(x=list(range(n)), y=[0] * n, name=name) for name, n in sizes.items()])
    markers_where_sparse(figure)
    modes = {trace.name: trace.mode for trace in figure.data}
    assert modes == {"one": "lines+markers", "most": "lines+markers", "dense": "lines", "history": "lines"}


AT = pd.Timestamp("2026-12-02 22:45:03", tz="UTC")


@pytest.mark.parametrize(
    ("offsets_s", "shown"),
    [
        ([0], (AT - pd.Timedelta(seconds=30), AT + pd.Timedelta(seconds=30))),
        ([0, 0.004, 10], (AT - pd.Timedelta(seconds=25), AT + pd.Timedelta(seconds=35))),
        ([0, 60], None),  # a minute or more: plotly's own range
        ([0, 3600], None),
    ],
)
def test_times_under_a_minute_apart_are_shown_on_a_minute(
    offsets_s: list[float], shown: tuple[pd.Timestamp, pd.Timestamp] | None
) -> None:
    """A lone check or scores computed in one go: plotly would span them by a millisecond or two
    and label every tick with the same time."""
    times = [AT + pd.Timedelta(seconds=s) for s in offsets_s]
    figure = Figure([Scatter(x=times, y=[1.0] * len(times)), Scatter(x=times[:1], y=[2.0])])
    readable_time_axis(figure)
    span = figure.layout.xaxis.range
    assert (tuple(pd.Timestamp(end) for end in span) if span else None) == shown


def test_a_figure_with_no_points_keeps_plotlys_range() -> None:
    figure = Figure([Scatter(x=[], y=[])])
    readable_time_axis(figure)
    assert figure.layout.xaxis.range is None
