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

DAY_MS = 86_400_000  # plotly measures a date axis's tick spacing in milliseconds


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


def as_text(names: pd.Series) -> pd.Series:
    """The column's values as plotly shows them literally."""
    return names.map(lambda name: html.escape(str(name), quote=False))


def readable_time_axis(figure: Figure, *, seconds: bool = False) -> None:
    """Ticks that say the time, with the date beneath only where it changes, or days once the ticks
    are a day apart. Plotly shows a tick format's second line only on the first tick and where it
    differs from the tick before, so the finer unit goes first: "%d %b\n%H:%M" would repeat one
    date on every tick and show the times once."""
    fine = "%H:%M:%S" if seconds else "%H:%M"
    figure.update_xaxes(
        tickformatstops=[
            {"dtickrange": [None, DAY_MS], "value": f"{fine}\n%d %b %Y"},
            {"dtickrange": [DAY_MS, None], "value": "%d %b\n%Y"},
        ],
        hoverformat=f"%d %b %Y {fine}",
    )
