"""The edit form in a document's detail: title, content, tags and metadata, for those who may edit.

The form is filled with the document as the service showed it to this user (masked
where masking binds them); the service keeps a value sent back as shown, so a mask is
never stored. Saving runs in the button's callback, before the page draws, so the
detail above shows the saved version at once.
"""

from __future__ import annotations

import json

import streamlit as st

from superinsight.services.context import Actor
from superinsight.services.documents import edits
from superinsight.services.documents.views import DocumentDetail
from superinsight.services.errors import ServiceError
from ui.feedback import md, plural, refusal_text
from ui.session import resources

OUTCOME = "document_edit_outcome"


def _key(name: str, document_id: int) -> str:
    return f"edit_{name}_{document_id}"


def _save(actor: Actor, document_id: int) -> None:
    state = st.session_state
    try:
        metadata = json.loads(state[_key("metadata", document_id)] or "{}")
    except json.JSONDecodeError as exc:
        state[OUTCOME] = ("error", f"Not saved: the metadata is not JSON ({md(exc.msg)}, line {exc.lineno}).")
        return
    if not isinstance(metadata, dict):
        state[OUTCOME] = ("error", 'Not saved: the metadata must be a JSON object, like {"region": "EU"}.')
        return
    try:
        changed = edits.edit_document(
            resources(),
            actor,
            document_id,
            title=state[_key("title", document_id)],
            content=state[_key("content", document_id)],
            metadata=metadata,
            tags=state[_key("tags", document_id)].split(","),
        )
    except ServiceError as exc:
        state[OUTCOME] = ("error", refusal_text(exc, "Not saved"))
        return
    state[OUTCOME] = ("success", "Saved: the next sync of its source keeps or questions this edit.")
    if not changed:
        state[OUTCOME] = ("info", "Nothing changed, so nothing was saved.")


def history(actor: Actor, document_id: int) -> None:
    """Who edited the document in the workbench, newest first (the audit log keeps each version)."""
    versions = edits.edit_history(resources(), actor, document_id)
    if versions:
        st.caption(
            f"Edited {plural(len(versions), 'time')} in the workbench; latest: "
            + ", ".join(
                f"{v.at:%Y-%m-%d %H:%M} UTC by {md(v.by or 'someone')} ({', '.join(v.fields)})"
                for v in versions[:3]
            )
        )


def edit_form(actor: Actor, document: DocumentDetail) -> None:
    """The form, with the last save's outcome above it."""
    with st.expander("Edit this document", expanded=OUTCOME in st.session_state):
        if outcome := st.session_state.pop(OUTCOME, None):
            kind, message = outcome
            {"success": st.success, "info": st.info, "error": st.error}[kind](message)
        with st.form(f"edit_document_{document.id}", border=False):
            st.text_input("Title", document.title, key=_key("title", document.id))
            st.text_area("Content", document.content, height=200, key=_key("content", document.id))
            st.text_input(
                "Tags", ", ".join(document.tags), key=_key("tags", document.id), help="comma separated"
            )
            st.text_area(
                "Metadata (JSON object)",
                json.dumps(document.metadata, indent=2, ensure_ascii=False),
                height=160,
                key=_key("metadata", document.id),
            )
            st.form_submit_button("Save changes", type="primary", on_click=_save, args=(actor, document.id))
        st.caption("Masked values stay as they are stored; the edit is in the audit log with both versions.")
