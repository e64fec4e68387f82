"""The rule test panel: the sources to try a rule on, its Test button, and the report of a test.

A test reads documents only when Test is pressed. The report says how many matched, how the
rule's pass / warn / fail thresholds judge that, what changed against the saved version, and
why some samples matched. A test that read a sample says so and follows the job counting
every document, showing its figures when they arrive.
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from superinsight.services.context import Actor
from superinsight.services.rules import exact_counts
from superinsight.services.rules import testing as rule_testing
from superinsight.services.rules.drafts import RuleDraft
from superinsight.services.rules.testing import RuleTestReport
from superinsight.vocabulary import RULE_OUTCOME_LABELS
from ui.feedback import ago, md, refusals
from ui.jobs import track
from ui.session import resources

EXACT_REQUEST, EXACT_JOB, EXACT_FOR = "rule_exact_request", "rule_exact_job", "rule_exact_for"


def sources_to_test(source_names: dict[int, str]) -> list[int] | None:
    """The sources picked to test on; None while none is picked (a test then reads them all)."""
    source_ids = {name: source_id for source_id, name in source_names.items()}
    picked = st.multiselect(
        "Test on documents from", list(source_ids), placeholder="all sources", key="rule_test_sources"
    )
    return [source_ids[name] for name in picked] or None


def test_button(
    column: DeltaGenerator,
    actor: Actor,
    draft: RuleDraft | None,
    compare_with: int | None,
    source_ids: list[int] | None,
) -> None:
    """Test the draft when pressed (against the saved rule `compare_with`), the report below the buttons."""
    asked = (draft, compare_with, source_ids)
    if column.button("Test", type="primary", key="rule_test", disabled=draft is None) and draft:
        for key in (EXACT_REQUEST, EXACT_JOB, EXACT_FOR):
            st.session_state.pop(key, None)
        with refusals("Not tested"):
            found = rule_testing.run_test(
                resources(), actor, draft, compare_with=compare_with, source_ids=source_ids
            )
            if found.exact is not None and found.exact_job is not None:
                st.session_state.update(
                    {EXACT_REQUEST: found.exact, EXACT_JOB: found.exact_job, EXACT_FOR: asked}
                )
            report(found)
    if st.session_state.get(EXACT_FOR) == asked:  # the same draft, sources and saved version
        exact_count(actor)


def report(found: RuleTestReport) -> None:
    if found.evaluated is not None:
        read_as = (
            f"a random sample of {found.evaluated:,}"
            if found.sampled
            else f"the newest {found.evaluated:,} (this rule has no SQL form)"
        )
        st.info(
            f"Estimated: the test read {read_as} of the {found.total:,} documents, and about "
            f"{found.implied_matches:,} match. Every document is being counted by a job: its figures "
            "show below when it ends, and the next test of this rule shows them."
        )
    if found.counted_at is not None:
        st.caption(
            f"Counts from the job that counted every document, {ago(found.counted_at)}; no document "
            "has changed since. The samples are read now."
        )
    read = found.evaluated if found.evaluated is not None else found.total
    cols = st.columns(4)
    shown = f"≈ {found.implied_matches:,}" if found.evaluated is not None else f"{found.matched:,}"
    cols[0].metric("Matched", shown, help=f"{found.matched:,} of {read:,} documents read")
    cols[1].metric("Match rate", f"{found.rate:.1%}")
    cols[2].metric(
        "Outcome",
        RULE_OUTCOME_LABELS[found.outcome],
        help="Set pass / warn / fail thresholds to judge the matches"
        if found.outcome is None
        else "From the rule's pass / warn / fail thresholds",
    )
    cols[3].metric("Ran", found.engine, help=f"{found.elapsed_ms} ms")
    if found.gained is not None:
        among = f" (among the {found.evaluated:,} read)" if found.evaluated is not None else ""
        st.caption(
            f"Against the saved version{among}: **+{found.gained:,}** newly matched, "
            f"**-{found.lost:,}** no longer matched."
        )
    for sample in found.samples:
        with st.expander(f"#{sample.document_id} · {md(sample.title)}"):
            st.code("\n".join(sample.reasons), language=None)


def exact_count(actor: Actor) -> None:
    """The job counting what the last test estimated: its progress, then its figures."""
    request = st.session_state.get(EXACT_REQUEST)
    if request is None:
        return
    track(EXACT_JOB, None)  # the figures below say it
    if EXACT_JOB in st.session_state:
        return
    with refusals("Not counted"):
        figures = exact_counts.counted(resources(), actor, request)
        if figures is not None:
            rate = figures.matched / figures.total if figures.total else 0.0
            changes = (
                f"; against the saved version +{figures.gained:,}, -{figures.lost:,}"
                if figures.gained is not None and figures.lost is not None
                else ""
            )
            st.success(
                f"Counted exactly: **{figures.matched:,}** of {figures.total:,} documents match "
                f"({rate:.1%}){changes}. Counted {ago(figures.counted_at)}, for the documents as "
                "they were when the test ran."
            )
