"""A source's scores over time: a line per dimension and the overall score, then the latest score
of each dimension and what the latest overall score is made of (`quality_drivers`).

Drawn by the Data quality page for the chosen source; it reads nothing itself, the page hands
it the source's scored points. Each dimension keeps one colour and place on the chart.
"""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st
from plotly.graph_objects import Figure

from superinsight.quality.dimensions import DIMENSIONS
from superinsight.services.quality.views import SourceScore
from ui import quality_drivers
from ui.charts import kept_figure, markers_where_sparse, readable_time_axis

COLOURS = dict(zip([*DIMENSIONS, "overall"], px.colors.qualitative.Plotly, strict=False))


def trend_charts(points: list[SourceScore]) -> None:
    """The charts of `points` (oldest first, at least one) and the drivers of the last."""
    st.plotly_chart(_trend_figure(_scores(points)), width="stretch")
    quality_drivers.table(points[-1])


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
        title="Scores over time",
        labels={"computed_at": "scored at", "score": "score (0-100)", "dimension": ""},
        # Each dimension keeps its colour and place when another starts or stops being measured.
        category_orders={"dimension": [*DIMENSIONS, "overall"]},
        color_discrete_map=COLOURS,
    )
    figure.update_yaxes(range=[0, 100])
    markers_where_sparse(figure)
    readable_time_axis(figure)
    figure.update_layout(height=340, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return figure
