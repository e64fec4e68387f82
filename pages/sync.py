"""Sync: every job with its last run, one-click runs with live progress, history, logs and conflicts.

The page draws one section at a time (a selector, not tabs), so opening it neither reads
run history nor samples a source unless that section is chosen.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from superinsight.services.context import Actor
from superinsight.services.sync import conflicts as sync_conflicts
from superinsight.services.sync import connections
from superinsight.services.sync import job_views as sync_job_views
from superinsight.services.sync import jobs as sync_jobs
from superinsight.services.sync import runs as sync_runs
from superinsight.services.sync.job_views import JobRow
from ui.errors import shown
from ui.feedback import header, md, plural, refusals, said_once, section
from ui.job_form import job_form
from ui.open_document import document_table
from ui.pick import pick_many
from ui.run_history import log_table, run_table
from ui.session import guard, resources

FLASH = "sync_flash"
PROBLEM = "sync_problem"
WATCHING = "sync_watching"
SECTION = "sync_section"
JOBS, RUNS, EDIT, CONFLICTS = "Jobs", "Runs and logs", "Create or edit a job", "Conflicts"
STATUS_ICONS = {
    "queued": "⏳",
    "running": "🔄",
    "succeeded": "✅",
    "partial": "🟠",
    "failed": "❌",
    "cancelled": "⏹️",
    None: "·",
}


def _counts(counts: dict[str, int]) -> str:
    if not counts:
        return ""
    shown = [f"{counts['read']:,} read", f"{counts['inserted']:,} new", f"{counts['updated']:,} updated"]
    shown += [
        f"{counts[name]:,} {name}" for name in ("unchanged", "skipped", "conflicts", "errors") if counts[name]
    ]
    return " · ".join(shown)


def _open_conflicts() -> None:
    st.session_state[SECTION] = CONFLICTS


def _job_card(actor: Actor, job: JobRow, watching: list[int]) -> None:
    with st.container(border=True):
        left, right = st.columns([5, 1])
        left.markdown(
            f"**{md(job.name)}** · {md(job.source)} · {md(job.mode)}  \n"
            f"{STATUS_ICONS.get(job.last_status, '·')} last run: {job.last_status or 'never'}"
            + (f" — {_counts(job.last_counts)}" if job.last_counts else "")
            + (
                f"  \nnext scheduled: {job.next_scheduled_at:%Y-%m-%d %H:%M} UTC"
                if job.next_scheduled_at
                else ""
            )
            + (f"  \ncursor: {md(job.cursor)}" if job.cursor else "")
            + (" · ⏸ paused" if job.status == "paused" else "")
        )
        if actor.can("sync.run") and right.button(
            "Run now", key=f"run_{job.id}", disabled=job.active_execution_id is not None, type="primary"
        ):
            with refusals("Not started"):
                watching.append(sync_runs.start_run(resources(), actor, job.id))
        if job.active_execution_id is not None and job.active_execution_id not in watching:
            watching.append(job.active_execution_id)


def _poll(actor: Actor, watching: list[int]) -> None:
    finished = []
    for execution_id in list(watching):
        run = sync_runs.get_run(resources(), actor, execution_id)
        if run.status in ("queued", "running"):
            label = "waiting for a worker…" if run.status == "queued" else _counts(run.counts) or "starting…"
            if run.scheduled_for is not None:
                label = f"retry (attempt {run.attempt}) due at {run.scheduled_for:%H:%M:%S} UTC"
            st.progress(run.progress, text=f"Run #{run.id}: {label}")
            if actor.can("sync.run") and st.button(
                "Cancel", key=f"cancel_{run.id}", disabled=run.cancel_requested
            ):
                with refusals("Not cancelled"):
                    sync_runs.cancel_run(resources(), actor, run.id)
        else:
            finished.append(run)
    for run in finished:
        watching.remove(run.id)
        message = f"Run #{run.id} {run.status}: {_counts(run.counts) or 'nothing read'}"
        if run.status == "succeeded":
            st.session_state[FLASH] = message
        else:
            st.session_state[PROBLEM] = f"{message}. {md(run.error_message or '')}"
    if finished:
        st.rerun()


def _progress(actor: Actor, watching: list[int]) -> None:
    """Runs being watched, polled every second until they end; then the page says how they went."""

    @st.fragment(run_every=1.0)
    def poll() -> None:
        with shown():  # a fragment's own reruns happen outside app.py's guard
            _poll(actor, watching)

    poll()


def jobs_section(actor: Actor, jobs: list[JobRow]) -> None:
    if not jobs:
        st.info(
            "No sync jobs yet. Add a source on the Data sources page, then create a job under "
            f"“{EDIT}” above."
            if actor.can("sources.manage")
            else "No sync jobs yet. An analyst or admin creates them; their runs will show here."
        )
    watching: list[int] = st.session_state.setdefault(WATCHING, [])
    for job in jobs:
        _job_card(actor, job, watching)


def runs_section(actor: Actor, jobs: list[JobRow]) -> None:
    if not jobs:
        st.info("Runs appear here once a job exists and has run.")
        return
    names = {job.name: job.id for job in jobs}
    job_id = names[st.selectbox("Job", list(names), key="history_job")]
    history = sync_runs.runs(resources(), actor, job_id)
    if not history:
        st.info(f"This job has not run yet. Press Run now under “{JOBS}”.")
    else:
        run_table(history)
        chosen_run = st.selectbox("Log of run", [run.id for run in history], key="log_run")
        log_table(sync_runs.run_log(resources(), actor, chosen_run))
    if st.toggle("Show the changes made to this job", key="history_changes"):
        changes = sync_runs.job_log(resources(), actor, job_id)
        for line in changes:
            st.caption(f"{line.at:%Y-%m-%d %H:%M} · {md(line.action)}")
        if not changes:
            st.caption("No changes recorded.")


def edit_section(actor: Actor, jobs: list[JobRow]) -> None:
    sources = {view.name: view.id for view in connections.synced_sources(resources(), actor)}
    if not sources:
        st.info("Add a data source on the Data sources page first; then its job is made here.")
        return
    by_name = {job.name: job.id for job in jobs}
    choice = st.selectbox("Job", ["New job…", *by_name], key="edit_job")
    if choice not in by_name:
        job_form(actor, sources, None)
        return
    edited_id = by_name[choice]
    with refusals(stop=True):
        draft = sync_jobs.job_draft(resources(), actor, edited_id)
    job_form(actor, sources, (edited_id, draft))
    paused = next(job.status == "paused" for job in jobs if job.id == edited_id)
    left, right = st.columns(2)
    if left.button("Resume schedule" if paused else "Pause schedule", key="pause_job"):
        with refusals("Nothing changed"):
            sync_jobs.set_paused(resources(), actor, edited_id, not paused)
            st.rerun()
    if right.button("Read from the start next time", key="reset_cursor"):
        with refusals("Nothing changed"):
            sync_jobs.reset_cursor(resources(), actor, edited_id)
            st.session_state[FLASH] = "The next run reads the source from the start."
            st.rerun()


def conflicts_section(actor: Actor) -> None:
    conflicts = sync_conflicts.list_conflicts(resources(), actor)
    if not conflicts:
        st.info("No conflicts wait for you. Jobs whose strategy is 'Ask me' leave them here.")
        return
    st.caption(
        "A document was edited here and its record also changed at the source. "
        "Pick conflicts below, then keep one side for all of them."
    )
    document_table(
        pd.DataFrame(
            [
                {
                    "conflict": row.id,
                    "document": row.external_id,
                    "job": row.job,
                    "workbench title": row.workbench_version.get("title"),
                    "source title": row.source_version.get("title"),
                    "since": row.created_at,
                }
                for row in conflicts
            ]
        ),
        [row.document_id for row in conflicts],
        "conflicts_table",
        hide_index=True,
        width="stretch",
    )
    labels = {
        row.id: f"#{row.id} · {row.external_id} · {row.workbench_version.get('title')}" for row in conflicts
    }
    selected = pick_many(labels, "Conflicts to resolve", "conflicts")
    if len(selected) == 1:
        row = next(item for item in conflicts if item.id == selected[0])
        left, right = st.columns(2)
        left.markdown("**Workbench version**")
        left.json(row.workbench_version)
        right.markdown("**Source version**")
        right.json(row.source_version)
    if not (actor.can("sync.run") and actor.can("documents.edit")):
        st.caption("Your role reads conflicts; an analyst or admin resolves them.")
        return
    left, right = st.columns(2)
    for column, keep, label in (
        (left, "source", "Keep the source version"),
        (right, "workbench", "Keep the workbench version"),
    ):
        if column.button(f"{label} ({len(selected)})", disabled=not selected, key=f"keep_{keep}"):
            with refusals("Nothing resolved"):
                count = sync_conflicts.resolve(resources(), actor, selected, keep)  # type: ignore[arg-type]
                st.session_state[FLASH] = f"Resolved {plural(count, 'conflict')}."
                st.rerun()


def show() -> None:
    actor = guard("documents.view")
    header(
        "Sync",
        "Bring documents in from data sources: run jobs, follow their runs and logs, "
        + ("create and edit jobs, " if actor.can("sources.manage") else "")
        + "settle conflicts.",
    )
    said_once(FLASH)
    pending = sync_conflicts.pending_count(resources(), actor)
    sections = [JOBS, RUNS, *([EDIT] if actor.can("sources.manage") else []), CONFLICTS]
    if pending and st.session_state.get(SECTION) != CONFLICTS:
        left, right = st.columns([4, 1], vertical_alignment="center")
        left.warning(f"{plural(pending, 'conflict')} {'waits' if pending == 1 else 'wait'} for you.")
        right.button("Open conflicts", key="open_conflicts", on_click=_open_conflicts)
    if st.session_state.get(SECTION) not in (None, *sections):
        st.session_state.pop(SECTION)
    chosen = section("Section", sections, key=SECTION)
    if chosen == CONFLICTS:
        conflicts_section(actor)
    else:
        jobs = sync_job_views.list_jobs(resources(), actor)
        {JOBS: jobs_section, RUNS: runs_section, EDIT: edit_section}[chosen](actor, jobs)
    # Runs started here are followed whichever section is open: the page can be left for another.
    watching: list[int] = st.session_state.setdefault(WATCHING, [])
    if watching:
        _progress(actor, watching)
    if PROBLEM in st.session_state:
        st.error(st.session_state.pop(PROBLEM))


show()
