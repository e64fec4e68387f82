"""A figure is built once per distinct data and handed to every run that draws the same data."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
from plotly.graph_objects import Figure

from ui.charts import kept_figure


def test_the_same_data_gets_the_built_figure_and_other_data_its_own() -> None:
    built: list[pd.DataFrame] = []

    @kept_figure
    def bars(frame: pd.DataFrame) -> Figure:
        built.append(frame)
        return px.bar(frame, x="source", y="documents")

    first = bars(pd.DataFrame({"source": ["North"], "documents": [3]}))
    again = bars(pd.DataFrame({"source": ["North"], "documents": [3]}))  # equal, not the same frame
    other = bars(pd.DataFrame({"source": ["North"], "documents": [4]}))
    assert again is first and other is not first
    assert len(built) == 2
    assert list(other.data[0].y) == [4], "a figure of other data shows that data"
