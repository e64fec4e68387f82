"""Streamlit entry point: page set-up, sign-in, navigation by role, the service status badge."""

from __future__ import annotations

from typing import Literal

import streamlit as st

from superinsight.services.insights import notifications
from ui.cookie import hand_over
from ui.errors import shown
from ui.feedback import md
from ui.session import authenticate, enter, resources, sign_out
from ui.status import show_badge


def listed(usable: bool) -> Literal["visible", "hidden"]:
    """A page the role may not use is not listed, but its address still opens it, and the page's
    guard says why (unregistered, Streamlit would open the Overview without a word)."""
    return "visible" if usable else "hidden"


st.set_page_config(page_title="SuperInsight Workbench", page_icon="🔎", layout="wide")
enter()

resources()
actor = authenticate()
if actor is None:
    # Every address shows the sign-in form (not "page not found"), and signing in
    # then opens the page that was asked for.
    addresses = [
        "documents",
        "sources",
        "sync",
        "rules",
        "labeling",
        "insights",
        "quality",
        "graph",
        "health",
        "admin",
    ]
    hand_over()  # a sign-out or a refused cookie: the browser clears it
    st.navigation(
        [st.Page("pages/sign_in.py", title="Sign in", icon="🔐", default=True)]
        + [st.Page("pages/sign_in.py", title="Sign in", url_path=address) for address in addresses],
        position="hidden",
    ).run()
    st.stop()


views = listed(actor.can("documents.view"))
navigation = st.navigation(
    {
        "Workbench": [
            st.Page("pages/overview.py", title="Overview", icon="🏠", default=True),
            st.Page("pages/documents.py", title="Documents", icon="📄", visibility=views),
            st.Page("pages/sources.py", title="Data sources", icon="🔌", visibility=views),
            st.Page("pages/sync.py", title="Sync", icon="🔄", visibility=views),
            st.Page("pages/rules.py", title="Business rules", icon="🧭", visibility=views),
            st.Page(
                "pages/labeling.py",
                title="Labeling",
                icon="🏷️",
                visibility=listed(actor.can("documents.view") and actor.can("labeling.launch")),
            ),
            st.Page("pages/insights.py", title="Insights", icon="💡", visibility=views),
            st.Page("pages/quality.py", title="Data quality", icon="✅", visibility=views),
            st.Page("pages/graph.py", title="Lineage & graph", icon="🕸️", visibility=views),
        ],
        "Operations": [
            st.Page("pages/health.py", title="System health", icon="🩺"),
            st.Page(
                "pages/admin.py",
                title="Admin",
                icon="🛡️",
                visibility=listed(actor.can("users.manage") or actor.can("audit.view")),
            ),
        ],
    }
)
st.sidebar.markdown("**SuperInsight Workbench**")
st.sidebar.caption(f"Signed in to {md(actor.tenant_id)} as {actor.role}")
if actor.can("documents.view"):
    unread = notifications.unread_count(resources(), actor)
    st.sidebar.page_link("pages/insights.py", label=f"Inbox: {unread:,} unread", icon="📬")
if st.sidebar.button("Sign out"):
    sign_out()
    st.rerun()
show_badge()
with st.sidebar:
    hand_over()  # a new sign-in: the browser keeps it in the cookie
with shown():  # an unexpected error on any page: a message and an error id the log holds, no traceback
    navigation.run()
