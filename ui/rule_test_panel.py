"""The rule test panel: the sources to try a rule on, its Test button, and the report of a test.

A test reads documents only when Test is pressed. The report says how many matched, how the
rule's pass / warn / fail thresholds judge that, what changed against the saved version, and
why some samples matched.
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from superinsight.services.context import Actor
from superinsight.services.rules import testing as rule_testing
from superinsight.services.rules.drafts import RuleDraft
from superinsight.services.rules.testing import RuleTestReport
from superinsight.vocabulary import RULE_OUTCOME_LABELS
from ui.feedback import md, refusals
from ui.session import resources


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
    if column.button("Test", type="primary", key="rule_test", disabled=draft is None) and draft:
        with refusals("Not tested"):
            report(
                rule_testing.run_test(
                    resources(), actor, draft, compare_with=compare_with, source_ids=source_ids
                )
            )


def report(found: RuleTestReport) -> None:
    if found.evaluated is not None:
        st.warning(
            f"Estimated: this rule has no SQL form, so the test read the newest {found.evaluated:,} of "
            f"{found.total:,} documents and counts among those. Applying the rule checks every document."
        )
    read = found.evaluated if found.evaluated is not None else found.total
    cols = st.columns(4)
    cols[0].metric("Matched", f"{found.matched:,}", help=f"of {read:,} documents read")
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
        st.caption(
            f"Against the saved version: **+{found.gained:,}** newly matched, "
            f"**-{found.lost:,}** no longer matched."
        )
    for sample in found.samples:
        with st.expander(f"#{sample.document_id} · {md(sample.title)}"):
            st.code("\n".join(sample.reasons), language=None)
