"""The rule editor's fields: name, description, severity, action, tags, pass / warn / fail
thresholds and the condition (the builder or JSON Logic), read back as one RuleDraft.

The Business rules page draws it for those who may edit rules, filled once from the saved
rule (or empty for a new one); the test panel and Save take the draft it returns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import streamlit as st

from superinsight.rules.builder import BuilderError, to_json_logic
from superinsight.services.context import Actor
from superinsight.services.rules import drafts as rule_drafts
from superinsight.services.rules.drafts import RuleDraft
from superinsight.vocabulary import RULE_ACTIONS, SEVERITIES
from ui.feedback import md
from ui.rule_form import current_builder, draw_builder, init_state
from ui.session import resources


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


def draft_form(
    actor: Actor, prefix: str, saved: RuleDraft | None, source_names: dict[int, str]
) -> RuleDraft | None:
    """The draft the fields hold now; None (with a warning) while its condition is incomplete."""
    init_state(prefix, saved.body if saved else None)
    chosen = _settings(prefix, saved)
    return _draft_of(chosen, _condition(actor, prefix, source_names))


def _settings(prefix: str, saved: RuleDraft | None) -> Settings:
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


def _condition(actor: Actor, prefix: str, source_names: dict[int, str]) -> dict[str, Any] | None:
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


def _draft_of(chosen: Settings, body: dict[str, Any] | None) -> RuleDraft | None:
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
