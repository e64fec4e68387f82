"""The service status badge in the sidebar of every page."""

from __future__ import annotations

import streamlit as st

from superinsight.services.health import ServiceHealth, check_services
from ui.session import resources

ICONS = {"up": "🟢", "degraded": "🟡", "down": "🔴", "not configured": "⚪"}


@st.cache_data(ttl=30, show_spinner=False)
def _cached_health() -> list[ServiceHealth]:
    return check_services(resources())


def show_badge() -> None:
    results = _cached_health()
    down = [item.name for item in results if item.state == "down"]
    if down:
        st.sidebar.error(f"Down: {', '.join(down)} — see System health")
    else:
        st.sidebar.caption(" ".join(f"{ICONS[item.state]} {item.name}" for item in results))
