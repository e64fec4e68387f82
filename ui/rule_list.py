"""The rule list: every rule with its settings, how its latest apply went and its matches per run.

Drawn at the top of the Business rules page for every role; it reads nothing itself,
the page hands it the summaries it listed.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from superinsight.services.rules.views import RuleSummary
from superinsight.vocabulary import RULE_OUTCOME_LABELS

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
