"""Every service behind the workbench: up or not, how fast, and what to do about it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from superinsight.services.health import ServiceHealth, check_services
from ui.feedback import header
from ui.session import resources
from ui.status import ICONS


def verdict(results: list[ServiceHealth]) -> None:
    down = [item for item in results if item.state == "down"]
    if down:
        st.error(
            f"{len(down)} service(s) down: {', '.join(item.name for item in down)}. "
            "The detail column says what failed; Re-check once it is fixed."
        )
    else:
        st.success("Every configured service is answering.")


def table(results: list[ServiceHealth]) -> None:
    frame = pd.DataFrame(
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
        frame,
        hide_index=True,
        width="stretch",
        column_config={
            "latency (ms)": st.column_config.ProgressColumn(
                "latency (ms)",
                format="%.1f",
                min_value=0,
                max_value=max([1000.0, *frame["latency (ms)"].fillna(0)]),
            ),
            "detail": st.column_config.TextColumn("detail", width="large"),
        },
    )


def show() -> None:
    header(
        "System health",
        "Each service behind the workbench, probed live when this page opens or when you press Re-check.",
    )
    if st.button("Re-check"):
        st.rerun()
    results = check_services(resources())
    verdict(results)
    table(results)


show()
