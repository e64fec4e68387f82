"""Every service behind the workbench: up or not, how fast, and what to do about it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from superinsight.services.health import check_services
from ui.session import resources
from ui.status import ICONS

st.title("System health")
st.caption("Each service is probed live when this page opens or when you press Re-check.")
if st.button("Re-check"):
    st.rerun()

results = check_services(resources())
down = [item for item in results if item.state == "down"]
if down:
    st.error(f"{len(down)} service(s) down: {', '.join(item.name for item in down)}.")
else:
    st.success("Every configured service is answering.")

table = pd.DataFrame(
    [
        {
            "service": f"{ICONS[item.state]} {item.name}",
            "state": item.state,
            "backend": item.backend,
            "latency (ms)": item.latency_ms,
            "detail": item.detail,
        }
        for item in results
    ]
)
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    column_config={
        "latency (ms)": st.column_config.ProgressColumn(
            "latency (ms)",
            format="%.1f",
            min_value=0,
            max_value=max(1000.0, *(table["latency (ms)"].fillna(0))),
        ),
        "detail": st.column_config.TextColumn("detail", width="large"),
    },
)
