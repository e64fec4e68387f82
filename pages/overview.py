"""Landing page: what needs a person today, what is in the workbench, and how it is growing."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st
from plotly.graph_objects import Figure

from superinsight.services import attention, overview
from superinsight.services.context import Actor
from superinsight.services.demo import seed as demo
from superinsight.services.documents import views as document_views
from ui.charts import as_text, kept_figure
from ui.feedback import header, plural, refusals
from ui.jobs import track
from ui.session import guard, resources

DEMO_JOB = "demo_seed_job"


def empty_workspace(actor: Actor) -> None:
    """Nothing here yet: say how documents get in, and offer the demo to those who may load it."""
    if DEMO_JOB in st.session_state:
        return
    # Loading the demo touches the whole workspace: not offered to someone limited to some sources.
    may_load = actor.can("workspace.manage") and actor.source_ids is None
    st.info(
        "Your workbench is empty. Load the demo workspace to look around, or connect a data "
        "source and run a sync to bring in your own documents."
        if may_load
        else "Your workbench is empty. Ask an admin to load the demo workspace or an analyst to "
        "connect a data source and run a sync."
    )
    if may_load and st.button("Load demo data", type="primary"):
        with refusals("The demo was not loaded"):
            st.session_state[DEMO_JOB] = demo.start_seed(resources(), actor)
            st.rerun()


# Each figure, and the page that explains it.
EXPLAINED_BY = {
    "Documents": ("pages/documents.py", "Browse the documents"),
    "Data sources": ("pages/sources.py", "See the sources"),
    "Active rules": ("pages/rules.py", "See the rules"),
    "Open quality issues": ("pages/quality.py", "See the issues"),
}


def figures(summary: overview.Summary) -> None:
    """The workspace's figures, each with a link to the page that explains it."""
    values = [
        f"{summary.documents:,}",
        f"{summary.sources:,}",
        f"{summary.active_rules:,}",
        f"{summary.open_issues:,}",
    ]
    for column, (label, (page, link)), value in zip(st.columns(4), EXPLAINED_BY.items(), values, strict=True):
        column.metric(label, value)
        if column.button(f"{link} →", key=f"overview_to_{page}", type="tertiary"):
            st.switch_page(page)


# Each kind of item that can wait on someone: the page where they act on it, its icon, and
# what a line says (the noun for one, for several, and what is wrong with them).
NEEDS = {
    "sync_runs": (
        "pages/sync.py",
        "🔄",
        "sync job",
        "sync jobs",
        "whose latest run failed or stopped part way",
    ),
    "conflicts": (
        "pages/sync.py",
        "⚖️",
        "sync conflict",
        "sync conflicts",
        "waiting for you to choose a version",
    ),
    "quality": ("pages/quality.py", "✅", "source", "sources", "scoring below a quality threshold"),
    "insights": ("pages/insights.py", "💡", "new insight", "new insights", "not acknowledged yet"),
    "labeling": ("pages/labeling.py", "🏷️", "labeling project", "labeling projects", "never pulled back"),
}


def needs_attention(actor: Actor) -> None:
    """What waits on this person today, each line a count and a link to where they act on it."""
    st.subheader("Needs your attention")
    with refusals():
        today = attention.attention(resources(), actor)
        if not today.may_act:
            st.caption("Your role reads the workbench; nothing here waits on you.")
        elif not today.items:
            st.success("Nothing needs your attention today.")
        for item in today.items:
            page, icon, noun, nouns, what = NEEDS[item.kind]
            # Only counts and fixed words: no text anyone typed goes into the link's markdown.
            st.page_link(page, label=f"{plural(item.count, noun, nouns)} {what}", icon=icon)


def arrivals(actor: Actor) -> None:
    st.subheader("Documents per day")
    st.caption("By each document's own date (a sync's mapped date field, else the day it arrived).")
    per_day = pd.DataFrame(
        document_views.documents_per_day(resources(), actor), columns=["day", "source", "documents"]
    )
    if per_day.empty:
        st.caption("No documents have arrived yet.")
        return
    st.plotly_chart(_arrivals_figure(per_day), width="stretch")


@kept_figure
def _arrivals_figure(per_day: pd.DataFrame) -> Figure:
    figure = px.area(
        per_day.assign(source=as_text(per_day["source"])),
        x="day",
        y="documents",
        color="source",
        labels={"day": "", "documents": "documents"},
    )
    figure.update_layout(height=320, margin={"l": 10, "r": 10, "t": 10, "b": 10}, legend_title_text="")
    return figure


def show() -> None:
    actor = guard()
    header(
        "Overview",
        "What needs you today, what this workspace holds and how it is growing; "
        "the pages on the left go deeper.",
    )
    with refusals(stop=True):
        summary = overview.summary(resources(), actor)
    track(DEMO_JOB, "Demo data loaded.")  # draws nothing unless a load is running or has just ended
    if summary.empty:
        empty_workspace(actor)
        return
    needs_attention(actor)
    figures(summary)
    arrivals(actor)


show()
