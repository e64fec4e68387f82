"""Shows a background job's progress without blocking the page."""

from __future__ import annotations

import streamlit as st

from superinsight.services.jobs import UnknownJobError, job_status
from ui.errors import shown
from ui.feedback import md, said_once
from ui.session import resources


def track(key: str, success_message: str | None) -> None:
    """Poll the job whose id is in `st.session_state[key]` until it ends, then say how it went
    (`success_message` None: the caller shows the job's result, which says it)."""
    said_once(_said(key))
    job_id = st.session_state.get(key)
    if job_id is None:
        return

    @st.fragment(run_every=1.0)
    def _progress() -> None:
        with shown():  # a fragment's own reruns happen outside app.py's guard
            _show_status(key, job_id, success_message)

    _progress()


def _show_status(key: str, job_id: str, success_message: str | None) -> None:
    try:
        status = job_status(resources(), job_id)
    except UnknownJobError:
        st.session_state.pop(key, None)
        st.warning("That job is no longer known (the server restarted). Start it again if needed.")
        return
    if status.state == "failed":
        st.session_state.pop(key, None)
        st.error(f"The job failed: {md(status.error or 'no reason was recorded')}")
    elif status.done:
        st.session_state.pop(key, None)
        if success_message is not None:  # said by the run that shows what it changed
            st.session_state[_said(key)] = success_message
        st.rerun()
    else:
        st.progress(status.progress, text=status.message or status.state.capitalize() + "…")


def _said(key: str) -> str:
    return f"{key}_said"
