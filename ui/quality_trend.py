"""A source's scores over time: a line per dimension and the overall score, the latest score of
each dimension as bars, and what the latest overall score is made of.

Drawn by the Data quality page for the chosen source; it reads nothing itself, the page hands
it the source's scored points. Each dimension keeps one colour and place in both charts.
"""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st
from plotly.graph_objects import Figure

from superinsight.quality.dimensions import DIMENSIONS
from superinsight.services.quality.views import SourceScore
from ui import quality_drivers
from ui.charts import kept_figure, readable_time_axis

COLOURS = dict(zip([*DIMENSIONS, "overall"], px.colors.qualitative.Plotly, strict=False))


def trend_charts(points: list[SourceScore]) -> None:
    """The charts of `points` (oldest first, at least one) and the drivers of the last."""
    st.plotly_chart(_trend_figure(_scores(points)), width="stretch")
    last = points[-1]
    latest = pd.DataFrame(
        [(d, getattr(last, d)) for d in DIMENSIONS if getattr(last, d) is not None],
        columns=["dimension", "score"],
    )
    st.plotly_chart(_latest_figure(latest), width="stretch")
    quality_drivers.table(last)


def _scores(points: list[SourceScore]) -> pd.DataFrame:
    """One row per point and dimension (the overall score as one more) that was measured."""
    return (
        pd.DataFrame([p.__dict__ for p in points])
        .melt(
            id_vars=["computed_at"],
            value_vars=[*DIMENSIONS, "overall"],
            var_name="dimension",
            value_name="score",
        )
        .dropna()
    )


@kept_figure
def _trend_figure(frame: pd.DataFrame) -> Figure:
    figure = px.line(
        frame,
        x="computed_at",
        y="score",
        color="dimension",
        markers=True,
        title="Scores over time",
        labels={"computed_at": "scored at", "score": "score (0-100)", "dimension": ""},
        # Each dimension keeps its colour and place when another starts or stops being measured.
        category_orders={"dimension": [*DIMENSIONS, "overall"]},
        color_discrete_map=COLOURS,
    )
    figure.update_yaxes(range=[0, 100])
    readable_time_axis(figure)
    figure.update_layout(height=340, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return figure


@kept_figure
def _latest_figure(latest: pd.DataFrame) -> Figure:
    bars = px.bar(
        latest,
        x="score",
        y="dimension",
        orientation="h",
        text="score",
        title="Latest score per dimension",
        labels={"score": "score (0-100)", "dimension": ""},
        color="dimension",
        color_discrete_map=COLOURS,
    )
    bars.update_xaxes(range=[0, 100])
    # Every dimension in its fixed place, top to bottom, measured or not.
    bars.update_yaxes(categoryorder="array", categoryarray=list(reversed(DIMENSIONS)))
    bars.update_traces(texttemplate="%{x:.1f}", textposition="inside")
    bars.update_layout(
        height=60 + 34 * len(DIMENSIONS), margin={"l": 10, "r": 10, "t": 40, "b": 10}, showlegend=False
    )
    return bars
