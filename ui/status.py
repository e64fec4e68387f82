"""The service status badge in the sidebar of every page."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import streamlit as st

from superinsight.services.health import ServiceHealth, check_services
from ui.session import resources

ICONS = {"up": "🟢", "degraded": "🟡", "down": "🔴", "not configured": "⚪"}
# A badge that says all is well may be half a minute old; one that says a service is down
# is probed again after a few seconds, so a service that was slow to answer its very first
# probe (Label Studio's first API call after it or the app started) is not shown down for long.
FRESH_SECONDS = {True: 30.0, False: 5.0}


@dataclass
class _Last:
    results: list[ServiceHealth] = field(default_factory=list)
    at: float = float("-inf")
    lock: threading.Lock = field(default_factory=threading.Lock)


@st.cache_resource(show_spinner=False)
def _last() -> _Last:
    """What the last probe round found, shared by every session of this server."""
    return _Last()


def badge_health() -> list[ServiceHealth]:
    last = _last()
    with last.lock:
        healthy = not any(item.failing for item in last.results)
        if time.monotonic() - last.at >= FRESH_SECONDS[healthy]:
            last.results, last.at = check_services(resources()), time.monotonic()
        return last.results


def show_badge() -> None:
    results = badge_health()
    down = [item.name for item in results if item.failing]
    if down:
        st.sidebar.error(f"Down: {', '.join(down)} — see System health")
    else:
        st.sidebar.caption(" ".join(f"{ICONS[item.state]} {item.name}" for item in results))
