"""What the rules found: match rates over time, insights to act on, patterns, the inbox."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st
from plotly.graph_objects import Figure

from superinsight.services.context import Actor
from superinsight.services.insights import notifications
from superinsight.services.insights import views as insights
from superinsight.vocabulary import NOTIFICATION_TYPE_LABELS, RULE_OUTCOME_LABELS
from ui.charts import as_text, kept_figure, markers_where_sparse
from ui.feedback import header, md, plural, refusals
from ui.session import guard, resources


def match_rates(actor: Actor) -> None:
    st.subheader("Match rate per rule, run by run")
    points = insights.match_rates(resources(), actor)
    if not points:
        st.info(
            "No rule has been applied yet. Open Business rules, pick a rule and press Apply to all documents."
        )
        return
    frame = pd.DataFrame([p.__dict__ for p in points])
    frame["outcome"] = [RULE_OUTCOME_LABELS.get(p.outcome, str(p.outcome)) for p in points]
    frame["rule"] = as_text(frame["rule"])
    st.plotly_chart(_match_rate_figure(frame), width="stretch")


@kept_figure
def _match_rate_figure(frame: pd.DataFrame) -> Figure:
    figure = px.line(
        frame,
        x="at",
        y="rate",
        color="rule",
        hover_data=["matched", "outcome"],
        labels={"at": "", "rate": "match rate", "rule": ""},
    )
    figure.update_yaxes(tickformat=".0%", rangemode="tozero")
    markers_where_sparse(figure)
    figure.update_layout(height=340, margin={"l": 10, "r": 10, "t": 10, "b": 10})
    return figure


def insight_cards(actor: Actor) -> None:
    st.subheader("Insights")
    cards = insights.insights(resources(), actor)
    if not cards:
        st.caption(
            "Nothing new. Insights appear when a rule's match rate shifts, a rule never matches, "
            "or two rules match the same documents."
        )
        return
    may_acknowledge = actor.can("rules.edit")
    columns = st.columns(2)
    for position, card in enumerate(cards):
        with columns[position % 2].container(border=True):
            st.markdown(f"**{md(card.title)}**")
            st.caption(f"{card.insight_type.replace('_', ' ')} · {card.created_at:%Y-%m-%d %H:%M}")
            st.markdown(md(card.description))
            st.progress(card.impact, text=f"impact {card.impact:.0%}")
            for recommendation in card.recommendations:
                st.markdown(f"- {md(recommendation)}")
            if may_acknowledge and st.button("Acknowledge", key=f"ack_{card.id}"):
                with refusals("Not acknowledged"):
                    insights.acknowledge(resources(), actor, card.id)
                    st.rerun()


def patterns(actor: Actor) -> None:
    found = insights.patterns(resources(), actor)
    if not found:
        return
    st.subheader("Patterns among matches")
    st.dataframe(
        pd.DataFrame([p.__dict__ for p in found]),
        hide_index=True,
        width="stretch",
        column_config={
            "strength": st.column_config.ProgressColumn("support", min_value=0, max_value=1, format="percent")
        },
    )


def inbox(actor: Actor) -> None:
    st.subheader("Notifications")
    listed = notifications.notifications(resources(), actor)
    if not listed:
        st.caption("Your inbox is empty. Rule runs and quality drops that concern you arrive here.")
        return
    unread = sum(n.status == "unread" for n in listed)
    st.caption(
        f"{unread:,} unread of {len(listed):,}. Select rows to mark only those; "
        "with none selected, the buttons act on all."
    )
    table = pd.DataFrame(
        {
            "kind": [NOTIFICATION_TYPE_LABELS.get(n.kind, n.kind.replace("_", " ")) for n in listed],
            "title": [n.title for n in listed],
            "message": [n.message for n in listed],
            "status": [n.status for n in listed],
            "when": [n.created_at for n in listed],
        }
    )
    picked = st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        key="inbox_table",
        on_select="rerun",
        selection_mode="multi-row",
        column_config={"when": st.column_config.DatetimeColumn("when", format="D MMM YYYY, HH:mm")},
    )
    rows = picked.selection.rows if picked is not None else []
    chosen = [listed[row] for row in rows] or listed
    to_read = [n.id for n in chosen if n.status == "unread"]
    mark, dismiss = st.columns(2)
    if mark.button(f"Mark {plural(len(to_read), 'notification')} read", disabled=not to_read):
        with refusals("Nothing changed"):
            notifications.mark_notifications(resources(), actor, to_read, "read")
            st.rerun()
    if dismiss.button(f"Dismiss {plural(len(chosen), 'notification')}"):
        with refusals("Nothing changed"):
            notifications.mark_notifications(resources(), actor, [n.id for n in chosen], "dismissed")
            st.rerun()


def show() -> None:
    actor = guard("documents.view")
    header(
        "Insights",
        "What the business rules found: how match rates move, insights to act on, patterns and your inbox.",
    )
    match_rates(actor)
    insight_cards(actor)
    patterns(actor)
    inbox(actor)


show()
