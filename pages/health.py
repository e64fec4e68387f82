"""Every service behind the workbench: up or not, which version, how fast, what it is doing."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from plotly.graph_objects import Figure, Scatter

from superinsight.services.health.probes import ServiceHealth
from superinsight.services.health.queue import FailedJobRow, retry_job
from superinsight.services.health.report import HealthReport, health_report
from ui.charts import kept_figure, markers_where_sparse, readable_time_axis
from ui.feedback import header, md, refusals
from ui.session import current_actor, guard, resources
from ui.status import ICONS

DASHES = ("solid", "dash", "dot", "dashdot", "longdash")  # the latency chart's lines, in turn


def verdict(results: list[ServiceHealth]) -> None:
    down = [item.name for item in results if item.state == "down"]
    degraded = [item.name for item in results if item.state == "degraded"]
    if down:
        st.error(
            f"{len(down)} service(s) down: {', '.join(down)}. "
            "The list under the table says what failed; Re-check once it is fixed."
        )
    elif degraded:
        st.warning(
            f"Answering, but not ready: {', '.join(degraded)}. The list under the table says what to do."
        )
    else:
        st.success("Every configured service is answering.")


def table(report: HealthReport) -> None:
    rows = [
        {
            "service": f"{ICONS[item.state]} {item.name}",
            "state": item.state,
            "backend": f"{item.backend} (embedded default)" if item.embedded else item.backend,
            "version": item.version,
            "latency (ms)": item.latency_ms,
            **({"address": item.address} if report.shows_addresses else {}),
            "doing / detail": item.detail,
        }
        for item in report.services
    ]
    frame = pd.DataFrame(rows)
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        placeholder="—",  # a service not probed has no latency (not "None")
        column_config={
            "latency (ms)": st.column_config.ProgressColumn(
                "latency (ms)",
                format="%.1f",
                min_value=0,
                max_value=max([1000.0, *frame["latency (ms)"].fillna(0)]),
            ),
            "doing / detail": st.column_config.TextColumn("doing / detail", width="large"),
        },
    )


def needing_attention(report: HealthReport) -> None:
    """What each service that is not up says, whole: the table's last column cuts long text."""
    lines = [
        f"- {ICONS[item.state]} **{item.name}** ({item.state}): {md(item.detail)}"
        for item in report.services
        if item.state != "up" and item.detail
    ]
    if lines:
        st.markdown("\n".join(lines))


def facts(report: HealthReport) -> None:
    """What each service reports about itself, one line per fact."""
    for item in report.services:
        lines = [f"- {md(label)}: {md(value)}" for label, value in item.facts]
        if item.name == "graph":
            waiting = "unknown (the database did not answer)" if report.backlog is None else report.backlog
            lines.append(f"- changes waiting to be projected: {waiting}")
        if lines:
            with st.expander(f"{ICONS[item.state]} {item.name}"):
                st.markdown("\n".join(lines))


def failed_jobs(jobs: list[FailedJobRow] | None) -> None:
    st.subheader("Jobs failed in the last 24 hours")
    if jobs is None:
        st.warning("The job queue did not answer in time, so failed jobs are not listed.")
        return
    if not jobs:
        st.caption("No job of your workspace failed in the last 24 hours.")
        return
    for job in jobs:
        when = f"{job.ended_at:%d %b %H:%M} UTC" if job.ended_at else "unknown time"
        left, right = st.columns([5, 1])
        left.markdown(f"**{md(job.job)}** · {when}  \n{md(job.error) or 'no error text'}")
        if job.may_retry and right.button("Retry", key=f"retry_{job.id}"):
            with refusals("Not retried") as outcome:
                retry_job(resources(), current_actor(), job.id)
            if outcome.ok:
                st.success(f"{md(job.job)} is queued again.")


def latency_chart(report: HealthReport) -> None:
    if not report.history:
        return
    st.plotly_chart(
        _latency_figure(pd.DataFrame([point.__dict__ for point in report.history])), width="stretch"
    )


@kept_figure
def _latency_figure(frame: pd.DataFrame) -> Figure:
    """Built from graph objects, not plotly express: the history changes with every visit, so the
    figure is built on each, and express took ~90 ms where this takes ~12 ms."""
    figure = Figure(
        [
            Scatter(
                x=points["at"],
                y=points["latency_ms"],
                name=service,
                hovertemplate="%{y:.1f} ms",  # named by the service, a fixed word
                # In-process services all answer in 0.0 ms: dashes let a line show through another.
                line={"dash": DASHES[number % len(DASHES)]},
            )
            for number, (service, points) in enumerate(frame.groupby("service", sort=False))
        ]
    )
    figure.update_layout(
        title="Probe latency per check",
        xaxis_title="checked at (UTC)",
        yaxis_title="latency (ms)",
        legend_title="service",
        hovermode="x unified",  # every service's latency at the time pointed at, the hidden ones too
        height=340,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
    )
    markers_where_sparse(figure)
    readable_time_axis(figure)
    figure.update_yaxes(rangemode="tozero")
    return figure


def show() -> None:
    actor = guard()
    header(
        "System health",
        "Each service behind the workbench, probed live when this page opens or when you press Re-check.",
    )
    if st.button("Re-check"):
        st.rerun()
    report = health_report(resources(), actor)
    verdict(report.services)
    table(report)
    needing_attention(report)
    facts(report)
    failed_jobs(report.failed_jobs)
    latency_chart(report)


show()
