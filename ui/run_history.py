"""A sync job's runs drawn: their durations as bars coloured by how each ended, the runs as a
table with what each read and wrote, and one run's log.

The Sync page's "Runs and logs" section reads the runs and the chosen log and hands them here.
"""

from __future__ import annotations

import json

import pandas as pd
import plotly.express as px
import streamlit as st
from plotly.graph_objects import Figure

from superinsight.services.sync.log import LogLine
from superinsight.services.sync.runs import RunRow
from ui.charts import kept_figure


def run_table(history: list[RunRow]) -> None:
    """The durations chart (runs that took a measured time), then every run as a row."""
    frame = pd.DataFrame(
        [
            {
                "run": run.id,
                "status": run.status,
                "trigger": run.trigger,
                "attempt": run.attempt,
                "started": run.started_at,
                "seconds": None if run.duration_ms is None else run.duration_ms / 1000,
                **run.counts,
                "error": run.error_message or "",
            }
            for run in history
        ]
    )
    _duration_chart(frame)
    st.dataframe(frame, hide_index=True, width="stretch")


def log_table(lines: list[LogLine]) -> None:
    st.dataframe(
        pd.DataFrame(
            [
                {"at": line.at, "event": line.action, "details": json.dumps(line.details, default=str)}
                for line in lines
            ]
        ),
        hide_index=True,
        width="stretch",
    )


def _duration_chart(frame: pd.DataFrame) -> None:
    timed = frame.dropna(subset=["seconds"])
    if not timed.empty:
        st.plotly_chart(_durations_figure(timed), width="stretch")


@kept_figure
def _durations_figure(timed: pd.DataFrame) -> Figure:
    figure = px.bar(
        timed.sort_values("run"),
        x="run",
        y="seconds",
        color="status",
        hover_data=["read", "inserted", "updated", "errors"],
        labels={"run": "run #", "seconds": "duration (s)"},
        title="How long each run took",
        color_discrete_map={
            "succeeded": "#2e7d32",
            "partial": "#ef6c00",
            "failed": "#c62828",
            "cancelled": "#757575",
        },
    )
    figure.update_xaxes(type="category")
    figure.update_layout(height=280, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return figure
