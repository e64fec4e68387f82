"""Business rules: see how each is doing, write or edit one, test it before saving, apply it."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from superinsight.services.context import Actor
from superinsight.services.documents import sources
from superinsight.services.labeling import quality as labeling_quality
from superinsight.services.rules import apply as rule_apply
from superinsight.services.rules import commands as rule_commands
from superinsight.services.rules import views as rule_views
from superinsight.services.rules.drafts import RuleDraft
from superinsight.services.rules.views import RuleSummary, RuleView
from ui.feedback import header, md, plural, refusals
from ui.jobs import track
from ui.open_document import document_table
from ui.rule_editor import draft_form
from ui.rule_list import rule_table
from ui.rule_test_panel import sources_to_test, test_button
from ui.send_to_labeling import send_button
from ui.session import guard, resources

NEW = "+ New rule"
APPLY_JOB = "rule_apply_job"
MATCHES, HISTORY, LABELS = "Matched documents", "Version history", "Against human labels"


def choose(summaries: list[RuleSummary], may_edit: bool) -> RuleView | None:
    """The rule to edit or read about; editors may also start a new one."""
    names = [s.rule.draft.name for s in summaries]
    if not names and not may_edit:
        return None
    if "rule_choice_next" in st.session_state:
        st.session_state["rule_choice"] = st.session_state.pop("rule_choice_next")
    choice = st.selectbox("Rule", [NEW, *names] if may_edit else names, key="rule_choice")
    return next((s.rule for s in summaries if s.rule.draft.name == choice), None)


def actions(
    actor: Actor, selected: RuleView | None, current: RuleDraft | None, source_names: dict[int, str]
) -> None:
    """Test on some sources, save, and for a saved rule apply, enable or disable, delete."""
    test_on = sources_to_test(source_names)
    buttons = st.columns(5)
    test_button(buttons[0], actor, current, selected.id if selected else None, test_on)
    if buttons[1].button("Save", key="rule_save", disabled=current is None) and current:
        with refusals("Nothing was saved"):
            view = (
                rule_commands.update_rule(resources(), actor, selected.id, current)
                if selected
                else rule_commands.create_rule(resources(), actor, current)
            )
            st.session_state["rule_choice_next"] = view.draft.name
            st.toast(f"Saved “{md(view.draft.name)}” as version {view.version}.")
            st.rerun()
    if selected is not None:
        saved_actions(actor, selected, buttons[2:])


def saved_actions(actor: Actor, selected: RuleView, buttons: Sequence[DeltaGenerator]) -> None:
    """Apply, enable or disable, delete a saved rule, and send its matches to Label Studio."""
    whole = actor.source_ids is None
    can_apply = actor.can("rules.apply") and whole and APPLY_JOB not in st.session_state
    if buttons[0].button(
        "Apply to all documents",
        key="rule_apply",
        disabled=not can_apply,
        help=None if whole else "Applying touches every source's documents; your access is limited to some.",
    ):
        with refusals("Not applied"):
            _, st.session_state[APPLY_JOB] = rule_apply.start_apply(resources(), actor, selected.id)
            st.rerun()
    if buttons[1].button("Disable" if selected.is_active else "Enable", key="rule_toggle"):
        with refusals("Nothing changed"):
            rule_commands.set_active(resources(), actor, selected.id, not selected.is_active)
            st.rerun()
    confirm = buttons[2].checkbox("Confirm delete", key="rule_confirm_delete")
    if buttons[2].button("Delete", key="rule_delete", disabled=not confirm):
        with refusals("Not deleted"):
            rule_commands.delete_rule(resources(), actor, selected.id)
            st.session_state["rule_choice_next"] = NEW
            st.rerun()
    send_button(
        actor,
        {"kind": "rule", "rule_id": selected.id},
        "rule_send_to_labeling",
        "Send matches to Label Studio",
    )


def editor(actor: Actor, selected: RuleView | None) -> None:
    prefix = f"rule_{selected.id}_v{selected.version}" if selected else "rule_new"
    source_names = {source.id: source.name for source in sources.list_sources(resources(), actor)}
    current = draft_form(actor, prefix, selected.draft if selected else None, source_names)
    actions(actor, selected, current, source_names)


def matches(actor: Actor, rule: RuleView) -> None:
    found = rule_views.matched_documents(resources(), actor, rule.id)
    st.caption(f"Documents matched by version {rule.version} (newest {len(found)})")
    if found:
        document_table(
            pd.DataFrame([m.__dict__ for m in found]),
            [m.id for m in found],
            f"rule_matches_{rule.id}",
            hide_index=True,
            width="stretch",
        )
    else:
        st.info("None stored yet: Apply to all documents records this version's matches.")


def history(actor: Actor, rule: RuleView) -> None:
    saved = rule_views.versions(resources(), actor, rule.id)
    st.caption(plural(len(saved), "version"))
    st.dataframe(
        pd.DataFrame([{"version": v, "saved": at, "name": d.name} for v, at, d in saved]),
        hide_index=True,
        width="stretch",
    )
    if len(saved) > 1:
        numbers = [v for v, _, _ in saved]
        a, b = st.columns(2)
        old = a.selectbox("Compare version", numbers[1:], key="rule_diff_old")
        new = b.selectbox("with version", numbers, key="rule_diff_new")
        by_number = {v: d for v, _, d in saved}
        st.code(
            "\n".join(rule_views.diff(by_number[old], by_number[new])) or "no difference", language="diff"
        )


def against_labels(actor: Actor, rule: RuleView) -> None:
    """Precision and recall against what annotators labelled, and the documents they disagree on."""
    labels = labeling_quality.label_names_in_use(resources(), actor)
    if not labels:
        st.info("No labels pulled yet: send the rule's matches to Label Studio, then pull the annotations.")
        return
    label = st.selectbox("The label that means the rule should match", labels, key="rule_vs_label")
    score = labeling_quality.rule_against_labels(resources(), actor, rule.id, str(label))
    precision, recall, compared = st.columns(3)
    precision.metric("Precision", "—" if score.precision is None else f"{score.precision:.0%}")
    recall.metric("Recall", "—" if score.recall is None else f"{score.recall:.0%}")
    compared.metric(
        "Labelled documents",
        f"{score.true_positives + score.false_positives + score.false_negatives + score.true_negatives:,}",
    )
    disagreements = [{"document": d, "why": "labelled, not matched"} for d in score.missed] + [
        {"document": d, "why": "matched, not labelled"} for d in score.wrongly_matched
    ]
    if disagreements:
        st.caption("Where the rule and the annotators disagree (open them on the Documents page):")
        st.dataframe(pd.DataFrame(disagreements), hide_index=True, width="stretch")


def details(actor: Actor, rule: RuleView) -> None:
    """What the rule matched, or its versions: read only when asked for."""
    chosen = st.segmented_control("More about this rule", [MATCHES, HISTORY, LABELS], key="rule_more")
    if chosen == MATCHES:
        matches(actor, rule)
    elif chosen == HISTORY:
        history(actor, rule)
    elif chosen == LABELS:
        against_labels(actor, rule)


def show() -> None:
    actor = guard("documents.view")
    may_edit = actor.can("rules.edit")
    header(
        "Business rules",
        "How each rule is doing; write or change one, test it on the documents, then save and apply it."
        if may_edit
        else "How each rule is doing, what it matched and how it changed.",
    )
    summaries = rule_views.list_rules(resources(), actor)
    rule_table(summaries, may_edit)
    track(APPLY_JOB, "Rule applied. See the Insights page for what changed.")
    if not may_edit and summaries:
        st.info(f"Your role ({actor.role}) can read rules but not change, test or apply them.")
    selected = choose(summaries, may_edit)
    if may_edit:
        editor(actor, selected)
    if selected is not None:
        details(actor, selected)


show()
