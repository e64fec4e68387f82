"""Data quality: a score card per source, how it moves, and what each source is expected to hold.

Below the trend one section is drawn at a time (failing documents, checks, weights), so a
section's queries run only when it is chosen.
"""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from superinsight.quality.dimensions import DIMENSIONS
from superinsight.services.context import Actor
from superinsight.services.documents import sources
from superinsight.services.quality import issues as quality_issues
from superinsight.services.quality import scoring as quality_scoring
from superinsight.services.quality import settings as quality_settings
from superinsight.services.quality import views as quality_views
from ui import quality_drivers, quality_trend
from ui.feedback import header, md, plural, refusals, said_once, section
from ui.jobs import track
from ui.open_document import document_table
from ui.pick import pick_many
from ui.session import guard, resources

SCORING_JOB = "quality_scoring_job"
FLASH = "quality_flash"
SUGGESTION = "quality_suggestion"
FAILING, CHECKS, WEIGHTS = "Failing documents", "Expected checks", "Weights"
EXAMPLE = (
    'For example {"required": ["customer"], "types": {"amount": "number"}, '
    '"ranges": {"amount": [0, 1000000]}, "allowed": {"region": ["EMEA", "NA"]}, '
    '"freshness_days": 30, "consistency": [{"field": "start", "not_after": "end"}, '
    '{"when": "signed", "require": "signer"}], '
    '"thresholds": {"overall": {"warn": 90, "fail": 75}}}'
)


def scoring(actor: Actor) -> None:
    # Scoring every source is for those who see every source.
    if (
        actor.can("quality.triage")
        and actor.source_ids is None
        and st.button("Score every source now", disabled=SCORING_JOB in st.session_state)
    ):
        with refusals("Not started"):
            st.session_state[SCORING_JOB] = quality_scoring.start_scoring(resources(), actor)
            st.rerun()
    track(SCORING_JOB, "Scores updated.")


def score_cards(actor: Actor, choices: dict[str, int]) -> None:
    """A tile per source in the order of their names; one not scored yet keeps its place, with "—"."""
    cards = {now.source_id: (now, before) for now, before in quality_views.latest(resources(), actor)}
    if not cards:
        st.info(
            f"No scores yet. Say what a source's documents should hold under “{CHECKS}” below, "
            "then press Score every source now."
            if actor.can("sources.manage")
            else "No scores yet. Scores appear once an analyst scores the sources."
        )
        return
    columns = st.columns(min(len(choices), 4))
    for position, (name, source_id) in enumerate(choices.items()):
        if source_id not in cards:
            columns[position % len(columns)].metric(md(name), "—", help="Not scored yet.")
            continue
        now, before = cards[source_id]
        delta = (
            None
            if before is None or now.overall is None or before.overall is None
            else now.overall - before.overall
        )
        unchanged = delta is not None and round(delta, 1) == 0
        columns[position % len(columns)].metric(
            md(now.source),
            "—" if now.overall is None else f"{now.overall:.1f}",
            delta=None if delta is None else "no change" if unchanged else f"{delta:+.1f}",
            delta_color="off" if unchanged else "normal",
            delta_arrow="off" if unchanged else "auto",
            help=quality_drivers.summary(now),
        )
    st.caption(quality_drivers.arithmetic())


def trend(actor: Actor, source_id: int) -> None:
    points = quality_views.history(resources(), actor, source_id)
    if not points:
        st.caption("This source has not been scored yet.")
        return
    quality_trend.trend_charts(points)


def _triage(actor: Actor, listed: list[quality_issues.IssueRow]) -> None:
    labels = {row.id: f"#{row.id} · {row.title} · {row.check}" for row in listed}
    picked = pick_many(labels, "Issues", "issues")
    left, right = st.columns(2)
    new_status = left.selectbox("Set status to", quality_issues.STATUSES, key="issues_new_status")
    if right.button(f"Apply to {plural(len(picked), 'issue')}", disabled=not picked, key="issues_apply"):
        with refusals("Nothing changed"):
            changed = quality_issues.triage(resources(), actor, picked, status=new_status)
            st.session_state[FLASH] = f"{plural(changed, 'issue')} now {new_status}."
            st.rerun()


def failing(actor: Actor, source_id: int) -> None:
    issue_counts = quality_issues.counts(resources(), actor, source_id)
    open_by_dimension = {
        dimension: issue_counts.get((dimension, "open"), 0) + issue_counts.get((dimension, "acknowledged"), 0)
        for dimension in DIMENSIONS
    }
    if not any(open_by_dimension.values()):
        st.info("No open issues for this source. Scoring files one for each document that fails a check.")
        return
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
        return
    document_table(
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
        [row.document_id for row in listed],
        f"quality_issues_{source_id}_{dimension}_{status}",
        hide_index=True,
        width="stretch",
    )
    if actor.can("quality.triage"):
        _triage(actor, listed)


def suggested(actor: Actor, source_id: int) -> None:
    st.markdown("**Suggest checks from the documents**")
    if st.button("Profile this source", key="quality_profile"):
        with refusals("Not profiled"):
            st.session_state[SUGGESTION] = (
                source_id,
                quality_views.suggest_expectations(resources(), actor, source_id),
            )
    held = st.session_state.get(SUGGESTION)
    if held is None or held[0] != source_id:
        return
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
        with refusals("Not saved"):
            quality_settings.set_expectations(resources(), actor, source_id, suggestion.expectations)
            st.session_state.pop(SUGGESTION, None)
            st.session_state.pop(f"expectations_{source_id}", None)
            st.session_state[FLASH] = "Checks saved. Score again to see the effect."
            st.rerun()


def expectations(actor: Actor, source_id: int) -> None:
    st.markdown("**What this source's documents should hold**")
    st.caption(EXAMPLE)
    current = json.dumps(quality_settings.expectations(resources(), actor, source_id), indent=2)
    raw = st.text_area("Expectations (JSON)", value=current, key=f"expectations_{source_id}", height=200)
    if not st.button("Save expectations"):
        return
    try:
        wanted = json.loads(raw or "{}")
    except json.JSONDecodeError as exc:
        st.error(f"Not saved: that is not valid JSON ({exc.msg}, line {exc.lineno}).")
        return
    with refusals("Not saved"):
        quality_settings.set_expectations(resources(), actor, source_id, wanted)
        st.success("Saved. Score again to see the effect.")


def weights(actor: Actor, source_id: int) -> None:
    st.caption("How much each dimension counts in the overall score.")
    current_weights = quality_settings.weights(resources(), actor, source_id)
    columns = st.columns(len(DIMENSIONS))
    chosen_weights = {
        name: column.number_input(
            name, 0.0, 10.0, current_weights[name], 0.5, key=f"weight_{source_id}_{name}"
        )
        for name, column in zip(DIMENSIONS, columns, strict=True)
    }
    if st.button("Save weights", key="quality_weights"):
        with refusals("Not saved"):
            quality_settings.set_weights(resources(), actor, source_id, chosen_weights)
            st.success("Saved. The next scoring weighs the overall score this way.")


def show() -> None:
    actor = guard("documents.view")
    may_manage = actor.can("sources.manage")
    header(
        "Data quality",
        "A score per source and how it moves, the documents that fail a check"
        + (", and what each source is expected to hold." if may_manage else "."),
    )
    said_once(FLASH)
    scoring(actor)
    choices = {s.name: s.id for s in sources.list_sources(resources(), actor)}
    score_cards(actor, choices)
    if not choices:
        st.caption("Quality is scored per data source; once one exists it can be chosen here.")
        return
    source_id = choices[st.selectbox("Source", list(choices), key="quality_source")]
    trend(actor, source_id)
    chosen = section("Section", [FAILING, *([CHECKS, WEIGHTS] if may_manage else [])], key="quality_section")
    if chosen == CHECKS:
        suggested(actor, source_id)
        expectations(actor, source_id)
    elif chosen == WEIGHTS:
        weights(actor, source_id)
    else:
        failing(actor, source_id)


show()
