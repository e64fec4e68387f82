"""Business rules: see how each is doing, write or edit one, test it before saving, apply it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from superinsight.rules.builder import BuilderError, to_json_logic
from superinsight.services.context import Actor
from superinsight.services.documents import sources
from superinsight.services.labeling import quality as labeling_quality
from superinsight.services.rules import apply as rule_apply
from superinsight.services.rules import commands as rule_commands
from superinsight.services.rules import drafts as rule_drafts
from superinsight.services.rules import testing as rule_testing
from superinsight.services.rules import views as rule_views
from superinsight.services.rules.drafts import RuleDraft
from superinsight.services.rules.testing import RuleTestReport
from superinsight.services.rules.views import RuleSummary, RuleView
from superinsight.vocabulary import RULE_ACTIONS, RULE_OUTCOME_LABELS, SEVERITIES
from ui.feedback import header, md, plural, refusals
from ui.jobs import track
from ui.open_document import document_table
from ui.rule_form import current_builder, draw_builder, init_state
from ui.send_to_labeling import send_button
from ui.session import current_actor, resources

NEW = "+ New rule"
APPLY_JOB = "rule_apply_job"
MATCHES, HISTORY, LABELS = "Matched documents", "Version history", "Against human labels"
NOT_APPLIED = "not applied yet"


def last_run(summary: RuleSummary) -> dict[str, str]:
    """The latest apply as text a reader can take in: never None, and 'not applied yet' until one ran."""
    if summary.last_applied is None or summary.last_matched is None:
        return {"matched": "—", "match rate": "—", "outcome": "—", "last applied": NOT_APPLIED}
    return {
        "matched": f"{summary.last_matched:,}",
        "match rate": "—" if summary.last_rate is None else f"{summary.last_rate:.1%}",
        "outcome": RULE_OUTCOME_LABELS.get(summary.last_outcome, str(summary.last_outcome)),
        "last applied": f"{summary.last_applied:%Y-%m-%d %H:%M}",
    }


def rule_table(summaries: list[RuleSummary], may_edit: bool) -> None:
    if not summaries:
        st.info(
            "No rules yet. Write your first one below: pick a field, an operator and a value, then Test it."
            if may_edit
            else "No rules yet. Analysts and admins write them; their matches will show here."
        )
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "active": s.rule.is_active,
                    "name": s.rule.draft.name,
                    "severity": s.rule.draft.severity,
                    "action": s.rule.draft.action,
                    "version": s.rule.version,
                    **last_run(s),
                    "trend": s.match_history,
                }
                for s in summaries
            ]
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "active": st.column_config.CheckboxColumn("active"),
            "trend": st.column_config.LineChartColumn("matches per run"),
        },
    )


def choose(summaries: list[RuleSummary], may_edit: bool) -> RuleView | None:
    """The rule to edit or read about; editors may also start a new one."""
    names = [s.rule.draft.name for s in summaries]
    if not names and not may_edit:
        return None
    if "rule_choice_next" in st.session_state:
        st.session_state["rule_choice"] = st.session_state.pop("rule_choice_next")
    choice = st.selectbox("Rule", [NEW, *names] if may_edit else names, key="rule_choice")
    return next((s.rule for s in summaries if s.rule.draft.name == choice), None)


@dataclass
class Settings:
    name: str
    description: str
    severity: str
    action: str
    tags: str
    mostly_pct: float | None
    warn_after: float | None
    error_after: float | None


def settings(prefix: str, saved: RuleDraft | None) -> Settings:
    left, right = st.columns([2, 1])
    name = left.text_input("Name", value=saved.name if saved else "", key=f"{prefix}_name")
    description = left.text_area(
        "Description", value=saved.description if saved else "", key=f"{prefix}_desc", height=68
    )
    severity = right.selectbox(
        "Severity",
        SEVERITIES,
        index=SEVERITIES.index(saved.severity if saved else "warning"),
        key=f"{prefix}_severity",
    )
    action = right.selectbox(
        "When it matches",
        RULE_ACTIONS,
        index=RULE_ACTIONS.index(saved.action if saved else "flag"),
        key=f"{prefix}_action",
        help="flag: record the matches · tag: also add the rule's name to their tags · "
        "quality_issue: open an issue per matching document · notify: tell the owner how many matched",
    )
    tags = right.text_input(
        "Tags (comma separated)", value=", ".join(saved.tags) if saved else "", key=f"{prefix}_tags"
    )
    with st.expander("Pass / warn / fail thresholds"):
        t1, t2, t3 = st.columns(3)
        mostly_pct = t1.number_input(
            "Pass while at least this % do not match (mostly)",
            min_value=0.0,
            max_value=100.0,
            step=1.0,
            value=None if not saved or saved.mostly is None else saved.mostly * 100,
            key=f"{prefix}_mostly",
        )
        warn_after = t2.number_input(
            "Warn above this many matches",
            min_value=0,
            step=1,
            value=saved.warn_after if saved else None,
            key=f"{prefix}_warn",
        )
        error_after = t3.number_input(
            "Fail above this many matches",
            min_value=0,
            step=1,
            value=saved.error_after if saved else None,
            key=f"{prefix}_error",
        )
    return Settings(name, description, severity, action, tags, mostly_pct, warn_after, error_after)


def condition(actor: Actor, prefix: str, source_names: dict[int, str]) -> dict[str, Any] | None:
    """The condition from the builder or the JSON editor; None (with a warning) while it is incomplete."""
    st.subheader("Condition")
    catalog_fields = rule_drafts.field_catalog(resources(), actor)
    fields = [name for name in catalog_fields.names() if name != "metadata"]
    body: dict[str, Any] | None = None
    problem: str | None = None
    if st.toggle("Edit as JSON Logic", key=f"{prefix}_json_mode"):
        raw = st.text_area("JSON Logic", key=f"{prefix}_json", height=200)
        try:
            parsed = json.loads(raw)
            body = parsed if isinstance(parsed, dict) else None
            problem = None if body is not None else "the JSON must be one object"
        except json.JSONDecodeError as exc:
            problem = f"that is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
    else:
        draw_builder(prefix, fields, source_names)
        try:
            body = to_json_logic(current_builder(prefix))
        except BuilderError as exc:
            problem = str(exc)
        with st.expander("JSON Logic of this condition"):
            st.code(json.dumps(body, indent=2) if body is not None else "—", language="json")
    if problem:
        st.warning(md(problem))
    return body


def draft_of(chosen: Settings, body: dict[str, Any] | None) -> RuleDraft | None:
    if body is None:
        return None
    return RuleDraft(
        name=chosen.name,
        body=body,
        description=chosen.description,
        severity=chosen.severity,
        action=chosen.action,
        tags=tuple(tag.strip() for tag in chosen.tags.split(",") if tag.strip()),
        mostly=None if chosen.mostly_pct is None else chosen.mostly_pct / 100,
        warn_after=None if chosen.warn_after is None else int(chosen.warn_after),
        error_after=None if chosen.error_after is None else int(chosen.error_after),
    )


def show_report(report: RuleTestReport) -> None:
    cols = st.columns(4)
    cols[0].metric("Matched", f"{report.matched:,}", help=f"of {report.total:,} documents")
    cols[1].metric("Match rate", f"{report.rate:.1%}")
    cols[2].metric(
        "Outcome",
        RULE_OUTCOME_LABELS[report.outcome],
        help="Set pass / warn / fail thresholds to judge the matches"
        if report.outcome is None
        else "From the rule's pass / warn / fail thresholds",
    )
    cols[3].metric("Ran", report.engine, help=f"{report.elapsed_ms} ms")
    if report.gained is not None:
        st.caption(
            f"Against the saved version: **+{report.gained:,}** newly matched, "
            f"**-{report.lost:,}** no longer matched."
        )
    for sample in report.samples:
        with st.expander(f"#{sample.document_id} · {md(sample.title)}"):
            st.code("\n".join(sample.reasons), language=None)


def actions(
    actor: Actor, selected: RuleView | None, current: RuleDraft | None, source_names: dict[int, str]
) -> None:
    """Test on some sources, save, and for a saved rule apply, enable or disable, delete."""
    source_ids = {name: source_id for source_id, name in source_names.items()}
    test_sources = st.multiselect(
        "Test on documents from", list(source_ids), placeholder="all sources", key="rule_test_sources"
    )
    buttons = st.columns(5)
    if buttons[0].button("Test", type="primary", key="rule_test", disabled=current is None) and current:
        with refusals("Not tested"):
            show_report(
                rule_testing.run_test(
                    resources(),
                    actor,
                    current,
                    compare_with=selected.id if selected else None,
                    source_ids=[source_ids[name] for name in test_sources] or None,
                )
            )
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
    if selected is None:
        return
    whole = actor.source_ids is None
    can_apply = actor.can("rules.apply") and whole and APPLY_JOB not in st.session_state
    if buttons[2].button(
        "Apply to all documents",
        key="rule_apply",
        disabled=not can_apply,
        help=None if whole else "Applying touches every source's documents; your access is limited to some.",
    ):
        with refusals("Not applied"):
            _, st.session_state[APPLY_JOB] = rule_apply.start_apply(resources(), actor, selected.id)
            st.rerun()
    if buttons[3].button("Disable" if selected.is_active else "Enable", key="rule_toggle"):
        with refusals("Nothing changed"):
            rule_commands.set_active(resources(), actor, selected.id, not selected.is_active)
            st.rerun()
    confirm = buttons[4].checkbox("Confirm delete", key="rule_confirm_delete")
    if buttons[4].button("Delete", key="rule_delete", disabled=not confirm):
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
    saved = selected.draft if selected else None
    init_state(prefix, saved.body if saved else None)
    chosen = settings(prefix, saved)
    source_names = {source.id: source.name for source in sources.list_sources(resources(), actor)}
    body = condition(actor, prefix, source_names)
    actions(actor, selected, draft_of(chosen, body), source_names)


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
    actor = current_actor()
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
