"""Data quality: a score card per source, how it moves, and what each source is expected to hold."""

from __future__ import annotations

import json

import pandas as pd
import plotly.express as px
import streamlit as st

from superinsight.quality import DIMENSIONS
from superinsight.services.documents import sources
from superinsight.services.errors import ServiceError
from superinsight.services.quality import issues as quality_issues
from superinsight.services.quality import scoring as quality_scoring
from superinsight.services.quality import settings as quality_settings
from superinsight.services.quality import views as quality_views
from ui.jobs import track
from ui.pick import pick_many
from ui.session import current_actor, resources

SCORING_JOB = "quality_scoring_job"
FLASH = "quality_flash"
SUGGESTION = "quality_suggestion"

st.title("Data quality")
actor = current_actor()
if FLASH in st.session_state:
    st.success(st.session_state.pop(FLASH))
if actor.can("quality.triage") and st.button(
    "Score every source now", disabled=SCORING_JOB in st.session_state
):
    st.session_state[SCORING_JOB] = quality_scoring.start_scoring(resources(), actor)
    st.rerun()
track(SCORING_JOB, "Scores updated.")

cards = quality_views.latest(resources(), actor)
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
trend = quality_views.history(resources(), actor, source_id)
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

st.subheader("Failing documents")
issue_counts = quality_issues.counts(resources(), actor, source_id)
open_by_dimension = {
    dimension: issue_counts.get((dimension, "open"), 0) + issue_counts.get((dimension, "acknowledged"), 0)
    for dimension in DIMENSIONS
}
if not any(open_by_dimension.values()):
    st.info("No open issues for this source. Scoring files one for each document that fails a check.")
else:
    dimension = st.radio(
        "Dimension",
        [d for d in DIMENSIONS if open_by_dimension[d]],
        format_func=lambda d: f"{d} ({open_by_dimension[d]:,})",
        horizontal=True,
        key="quality_dimension",
    )
    status = st.selectbox("Status", quality_issues.STATUSES, key="quality_issue_status")
    listed = quality_issues.issues(resources(), actor, source_id, dimension=dimension, status=status)
    if not listed:
        st.info(f"No {status} {dimension} issues.")
    else:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "issue": row.id,
                        "document": row.title,
                        "check": row.check,
                        "severity": row.severity,
                        "status": row.status,
                        "assignee": row.assignee or "",
                    }
                    for row in listed
                ]
            ),
            hide_index=True,
            width="stretch",
        )
        if actor.can("quality.triage"):
            labels = {row.id: f"#{row.id} · {row.title} · {row.check}" for row in listed}
            picked = pick_many(labels, "Issues", "issues")
            left, right = st.columns(2)
            new_status = left.selectbox("Set status to", quality_issues.STATUSES, key="issues_new_status")
            if right.button(f"Apply to {len(picked)} issue(s)", disabled=not picked, key="issues_apply"):
                try:
                    changed = quality_issues.triage(resources(), actor, picked, status=new_status)
                except ServiceError as exc:
                    st.error(str(exc))
                else:
                    st.session_state[FLASH] = f"{changed} issue(s) now {new_status}."
                    st.rerun()

if actor.can("sources.manage"):
    with st.expander("Suggest checks from the documents"):
        if st.button("Profile this source", key="quality_profile"):
            st.session_state[SUGGESTION] = (
                source_id,
                quality_views.suggest_expectations(resources(), actor, source_id),
            )
        held = st.session_state.get(SUGGESTION)
        if held is not None and held[0] == source_id:
            suggestion = held[1]
            st.caption(f"Profiled the newest {suggestion.documents:,} documents.")
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            "field": f.key,
                            "present": f"{100 * f.present / max(suggestion.documents, 1):.0f}%",
                            "types": ", ".join(f"{k} {v}" for k, v in f.kinds.items()),
                            "values": ", ".join(f.values) if f.values else "many",
                            "range": "" if f.low is None else f"{f.low:g} to {f.high:g}",
                        }
                        for f in suggestion.fields
                    ]
                ),
                hide_index=True,
                width="stretch",
            )
            st.json(suggestion.expectations)
            if st.button("Accept these checks", key="quality_accept", type="primary"):
                try:
                    quality_settings.set_expectations(resources(), actor, source_id, suggestion.expectations)
                except ServiceError as exc:
                    st.error(f"Not saved: {exc}")
                else:
                    st.session_state.pop(SUGGESTION, None)
                    st.session_state.pop(f"expectations_{source_id}", None)
                    st.session_state[FLASH] = "Checks saved. Score again to see the effect."
                    st.rerun()

    with st.expander("How much each dimension counts"):
        current_weights = quality_settings.weights(resources(), actor, source_id)
        columns = st.columns(len(DIMENSIONS))
        chosen_weights = {
            name: column.number_input(
                name, 0.0, 10.0, current_weights[name], 0.5, key=f"weight_{source_id}_{name}"
            )
            for name, column in zip(DIMENSIONS, columns, strict=True)
        }
        if st.button("Save weights", key="quality_weights"):
            try:
                quality_settings.set_weights(resources(), actor, source_id, chosen_weights)
            except ServiceError as exc:
                st.error(f"Not saved: {exc}")
            else:
                st.success("Saved. The next scoring weighs the overall score this way.")

    with st.expander("What this source's documents should hold"):
        st.caption(
            'For example {"required": ["customer"], "types": {"amount": "number"}, '
            '"ranges": {"amount": [0, 1000000]}, "allowed": {"region": ["EMEA", "NA"]}, '
            '"freshness_days": 30, "consistency": [{"field": "start", "not_after": "end"}, '
            '{"when": "signed", "require": "signer"}], '
            '"thresholds": {"overall": {"warn": 90, "fail": 75}}}'
        )
        current = json.dumps(quality_settings.expectations(resources(), actor, source_id), indent=2)
        raw = st.text_area("Expectations (JSON)", value=current, key=f"expectations_{source_id}", height=200)
        if st.button("Save expectations"):
            try:
                quality_settings.set_expectations(resources(), actor, source_id, json.loads(raw or "{}"))
            except json.JSONDecodeError as exc:
                st.error(f"Not saved: that is not valid JSON ({exc.msg}, line {exc.lineno}).")
            except ServiceError as exc:
                st.error(f"Not saved: {exc}")
            else:
                st.success("Saved. Score again to see the effect.")
