"""Streamlit entry point: page set-up, navigation and the service status badge."""

from __future__ import annotations

import streamlit as st

from ui.session import resources
from ui.status import show_badge

st.set_page_config(page_title="SuperInsight Workbench", page_icon="🔎", layout="wide")

resources()

navigation = st.navigation(
    {
        "Workbench": [
            st.Page("app_pages/overview.py", title="Overview", icon="🏠", default=True),
            st.Page("app_pages/documents.py", title="Documents", icon="📄"),
            st.Page("app_pages/rules.py", title="Business rules", icon="🧭"),
            st.Page("app_pages/insights.py", title="Insights", icon="💡"),
        ],
        "Operations": [
            st.Page("app_pages/health.py", title="System health", icon="🩺"),
        ],
    }
)
st.sidebar.markdown("**SuperInsight Workbench**")
show_badge()
navigation.run()
