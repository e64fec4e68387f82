"""Why a quality score is what it is: each dimension's part in it, said the same way everywhere.

The overall score is 100 less what each dimension costs (see `superinsight.quality.scores.overall`).
A low score whose cause is a mild one (duplicates are info) must say so on the page, or a
reader takes a 90 built from 2.9% unique documents, or a 2.9, at face value.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from superinsight.quality.dimensions import DIMENSION_SEVERITY, DIMENSIONS, SEVERITY_WEIGHTS
from superinsight.services.quality.views import SourceScore

# Why a dimension has no score: the expectations that would give it one were missing at scoring.
UNMEASURED = {
    "completeness": "no required fields",
    "validity": "no type, range or allowed-value checks",
    "uniqueness": "no documents",
    "consistency": "no consistency checks",
    "timeliness": "no freshness_days",
}


def _times(weight: float) -> str:
    return f"x{weight:g}"


def _lost(points: float) -> str:
    return f"-{points:.1f}" if round(points, 1) > 0 else "0"


def arithmetic() -> str:
    """One line on how the overall score is made, with the severity weights it uses."""
    counts = ", ".join(f"{severity} {_times(weight)}" for severity, weight in SEVERITY_WEIGHTS.items())
    severities = ", ".join(f"{dimension} {severity}" for dimension, severity in DIMENSION_SEVERITY.items())
    return (
        "Overall = 100 less what each dimension misses (100 - its score), times its share of the "
        f"weights, times how much its severity counts ({counts}). The dimensions' severities: {severities}."
    )


def summary(score: SourceScore) -> str:
    """A score card's help: what the overall lost, and to what, the costliest first."""
    found = sorted((d for d in score.drivers if round(d.lost, 1) > 0), key=lambda d: -d.lost)
    parts = ", ".join(
        f"{d.dimension} {d.score:.1f} ({d.severity} {_times(d.counts)}) {_lost(d.lost)}" for d in found
    )
    if not score.drivers:
        return f"{score.documents:,} documents scored. No dimension measured yet."
    return f"{score.documents:,} documents scored. Lost to: {parts or 'nothing'}."


def table(score: SourceScore) -> None:
    """Every dimension in its fixed order: its score (a bar), severity and the points it costs, or why not."""
    by_name = {driver.dimension: driver for driver in score.drivers}
    rows = []
    for dimension in DIMENSIONS:
        driver = by_name.get(dimension)
        value = getattr(score, dimension)
        if driver is not None:
            rows.append(
                (
                    dimension,
                    driver.score,
                    f"{driver.severity} {_times(driver.counts)}",
                    f"{driver.share:.0%}",
                    _lost(driver.lost),
                    "",
                )
            )
        else:
            why = "weighs nothing" if value is not None else f"not measured: {UNMEASURED[dimension]}"
            rows.append((dimension, value, "—", "0%", "—", why))
    overall = "—" if score.overall is None else f"{score.overall:.1f}"
    st.markdown(f"**What drives the overall score ({overall})**")
    st.dataframe(
        pd.DataFrame(
            rows, columns=["dimension", "score", "severity counts", "share of weight", "points lost", "note"]
        ),
        hide_index=True,
        width="stretch",
        placeholder="—",  # a dimension not measured: its note says why
        # The latest score of each dimension as a bar in its row, beside what it costs the overall
        # (a chart of its own repeated these figures, and a plotly chart costs the browser ~0.1 s).
        column_config={
            "score": st.column_config.ProgressColumn("score", min_value=0, max_value=100, format="%.1f")
        },
    )
