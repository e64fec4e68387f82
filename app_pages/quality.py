"""Data quality: a score card per source, how it moves, and what each source is expected to hold."""

from __future__ import annotations

import json

import pandas as pd
import plotly.express as px
import streamlit as st

from superinsight.quality import DIMENSIONS
from superinsight.services import quality, sources
from superinsight.services.errors import ServiceError
from ui.jobs import track
from ui.session import current_actor, resources

SCORING_JOB = "quality_scoring_job"

st.title("Data quality")
actor = current_actor()
if actor.can("quality.triage") and st.button(
    "Score every source now", disabled=SCORING_JOB in st.session_state
):
    st.session_state[SCORING_JOB] = quality.start_scoring(resources(), actor)
    st.rerun()
track(SCORING_JOB, "Scores updated.")

cards = quality.latest(resources(), actor)
if not cards:
    st.info(
        "No scores yet. Set what a source's documents should hold below, then press Score every source now."
    )
else:
    columns = st.columns(min(len(cards), 4))
    for position, (now, before) in enumerate(cards):
        delta = (
            None
            if before is None or now.overall is None or before.overall is None
            else now.overall - before.overall
        )
        columns[position % len(columns)].metric(
            now.source,
            "—" if now.overall is None else f"{now.overall:.1f}",
            delta=None if delta is None else f"{delta:+.1f}",
            help=f"{now.documents:,} documents scored",
        )

choices = {s.name: s.id for s in sources.list_sources(resources(), actor)}
if not choices:
    st.stop()
chosen = st.selectbox("Source", list(choices), key="quality_source")
source_id = choices[chosen]
trend = quality.history(resources(), actor, source_id)
if trend:
    frame = (
        pd.DataFrame([p.__dict__ for p in trend])
        .melt(
            id_vars=["computed_at"],
            value_vars=[*DIMENSIONS, "overall"],
            var_name="dimension",
            value_name="score",
        )
        .dropna()
    )
    figure = px.line(
        frame,
        x="computed_at",
        y="score",
        color="dimension",
        markers=True,
        labels={"computed_at": "", "score": "score (0-100)", "dimension": ""},
    )
    figure.update_yaxes(range=[0, 100])
    figure.update_layout(height=320, margin={"l": 10, "r": 10, "t": 10, "b": 10})
    st.plotly_chart(figure, width="stretch")
    last = trend[-1]
    st.bar_chart(
        pd.DataFrame({"score": {d: getattr(last, d) for d in DIMENSIONS if getattr(last, d) is not None}}),
        horizontal=True,
        height=180,
    )

if actor.can("sources.manage"):
    with st.expander("What this source's documents should hold"):
        st.caption(
            'For example {"required": ["customer"], "types": {"amount": "number"}, '
            '"ranges": {"amount": [0, 1000000]}, "allowed": {"region": ["EMEA", "NA"]}, '
            '"freshness_days": 30}'
        )
        current = json.dumps(quality.expectations(resources(), actor, source_id), indent=2)
        raw = st.text_area("Expectations (JSON)", value=current, key=f"expectations_{source_id}", height=200)
        if st.button("Save expectations"):
            try:
                quality.set_expectations(resources(), actor, source_id, json.loads(raw or "{}"))
            except json.JSONDecodeError as exc:
                st.error(f"Not saved: that is not valid JSON ({exc.msg}, line {exc.lineno}).")
            except ServiceError as exc:
                st.error(f"Not saved: {exc}")
            else:
                st.success("Saved. Score again to see the effect.")
