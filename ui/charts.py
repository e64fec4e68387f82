"""What every chart shares: names a person typed made safe for plotly, time axes a person reads.

Plotly draws legend entries, hover text and tick labels as a small HTML dialect
(`<a href>`, `<b>`, `<br>`, `<span style>`), so a rule or source named with tags
would become a link or styled text. Escaping `&`, `<` and `>` makes plotly show the
characters themselves.
"""

from __future__ import annotations

import html

import pandas as pd
import streamlit as st
from plotly.graph_objects import Figure

SECOND_MS = 1_000  # plotly measures a date axis's tick spacing in milliseconds
MINUTE_MS = 60 * SECOND_MS
DAY_MS = 1_440 * MINUTE_MS


def _every_row(frame: pd.DataFrame) -> tuple[tuple[str, ...], bytes]:
    """A frame's key from all of it: Streamlit's own hash reads a sample of a frame past 50,000 rows."""
    return tuple(map(str, frame.columns)), pd.util.hash_pandas_object(frame).to_numpy().tobytes()


kept_figure = st.cache_resource(max_entries=64, show_spinner=False, hash_funcs={pd.DataFrame: _every_row})
"""Decorates a function that builds a figure from its data: one build per distinct data, shared.

Plotly express validates every property it sets: building a page's figure took 100-300 ms
of each rerun (the Data quality page's two, a third of its run), although the data had
not changed. Each process keeps a figure per distinct argument, keyed by every row and
column of it, so no one is shown a figure of data they did not pass; callers must not
change the figure they get back.
"""


def literal(name: object) -> str:
    """A value as plotly shows it literally."""
    return html.escape(str(name), quote=False)


def as_text(names: pd.Series) -> pd.Series:
    """The column's values as plotly shows them literally."""
    return names.map(literal)


MARKED_POINTS = 40


def markers_where_sparse(figure: Figure, most: int = MARKED_POINTS) -> None:
    """A marker on every point of a line with few of them (a lone point is otherwise invisible),
    none on a dense one: there they hide the line, and Chromium took ~0.1 s to draw 300 of them."""
    figure.for_each_trace(
        lambda trace: trace.update(mode="lines+markers" if len(trace.x) <= most else "lines")
    )


def readable_time_axis(figure: Figure) -> None:
    """Ticks that say the time, with the date beneath only where it changes; seconds only once the
    ticks are under a minute apart (scores seconds apart otherwise read "01:39" on every tick), and
    milliseconds under a second apart (scores computed in one go, as in a test run), days
    once they are a day apart. Plotly shows a tick format's second line only on the first tick and
    where it differs from the tick before, so the finer unit goes first: "%d %b\n%H:%M" would repeat
    one date on every tick and show the times once. The first stop whose range holds the ticks'
    spacing wins, so the coarser stops come first and own their lower bound."""
    figure.update_xaxes(
        tickformatstops=[
            {"dtickrange": [DAY_MS, None], "value": "%d %b\n%Y"},
            {"dtickrange": [MINUTE_MS, DAY_MS], "value": "%H:%M\n%d %b %Y"},
            {"dtickrange": [SECOND_MS, MINUTE_MS], "value": "%H:%M:%S\n%d %b %Y"},
            {"dtickrange": [None, SECOND_MS], "value": "%H:%M:%S.%L\n%d %b %Y"},
        ],
        hoverformat="%d %b %Y %H:%M:%S",
    )
    _at_least_a_minute(figure)


def _at_least_a_minute(figure: Figure) -> None:
    """Times under a minute apart (one check, scores computed in one go) are shown on a minute
    around them: left to itself plotly spans a lone point by a millisecond or two and labels
    every tick with the same time."""
    times = [pd.Timestamp(x) for trace in figure.data for x in (trace.x if trace.x is not None else ())]
    span = pd.Timedelta(milliseconds=MINUTE_MS)
    if not times or max(times) - min(times) >= span:
        return
    middle = min(times) + (max(times) - min(times)) / 2
    figure.update_xaxes(range=[middle - span / 2, middle + span / 2])
