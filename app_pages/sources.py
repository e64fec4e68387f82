"""Data sources: add one, test its connection, change it. Saved credentials are never shown again."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from superinsight.services.context import Actor
from superinsight.services.sync import connections
from superinsight.vocabulary import SOURCE_TYPE_LABELS, SYNCED_SOURCE_TYPES
from ui.feedback import header, md, refusals
from ui.session import current_actor, resources

PAGINATION = {
    "none": "One response holds everything",
    "page": "Page numbers (?page=1, 2, …)",
    "offset": "Offsets (?offset=0, 100, …)",
    "next": "A link to the next page in the response",
    "cursor": "A next-page cursor in the response",
}

FLASH = "sources_flash"
NEW = "New source…"


def _where(view: connections.SourceView) -> str:
    config = view.config
    return str(
        config.get("display_url") or config.get("url") or config.get("path") or config.get("table") or ""
    )


def source_list(actor: Actor, listed: list[connections.SourceView]) -> None:
    if not listed:
        st.info(
            "No data sources yet. Add a database, a file, a folder or an HTTP API below; "
            "then create a sync job for it on the Sync page."
            if actor.can("sources.manage")
            else "No data sources yet. Ask an analyst or admin to add one."
        )
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Source": view.name,
                    "Type": SOURCE_TYPE_LABELS.get(view.source_type, view.source_type),
                    "Where": _where(view),
                    "Table / query": view.config.get("table")
                    or ("query" if view.config.get("query") else ""),
                    "Credentials": "saved" if view.has_credentials else "—",
                    "Last test": (view.health_status or "not tested")
                    + (
                        f" ({view.last_health_check[:16].replace('T', ' ')})"
                        if view.last_health_check
                        else ""
                    ),
                }
                for view in listed
            ]
        ),
        hide_index=True,
        width="stretch",
    )


def _credentials_field(editing: connections.SourceView | None, label: str, help_text: str) -> str:
    placeholder = "saved; leave empty to keep" if editing is not None and editing.has_credentials else ""
    return st.text_input(label, type="password", placeholder=placeholder, help=help_text)


def _database_fields(
    editing: connections.SourceView | None, saved: dict[str, Any], config: dict[str, Any]
) -> dict[str, str] | None:
    url = _credentials_field(
        editing,
        "Connection URL",
        "For example postgresql://reader:password@db.example.com/shop. Stored encrypted; never shown again.",
    )
    if saved.get("display_url"):
        st.caption(f"Saved: {md(saved['display_url'])}")
    config["table"] = st.text_input("Table", value=saved.get("table", ""), help="schema.table or table")
    config["query"] = st.text_area(
        "…or a query", value=saved.get("query", ""), help="A SELECT; leave empty when a table is given."
    )
    return {"url": url} if url else None


def _file_fields(actor: Actor, source_type: str, saved: dict[str, Any], config: dict[str, Any]) -> None:
    st.caption(
        "Paths are relative to this workspace's own folder of files "
        f"({md(actor.tenant_id)}/ under the server's FILES\\_ROOT); other workspaces' files are out of reach."
    )
    config["path"] = st.text_input(
        "Folder" if source_type == "folder" else "File", value=saved.get("path", "")
    )
    if source_type == "csv":
        config["delimiter"] = st.text_input("Delimiter", value=saved.get("delimiter", ","), max_chars=1)


def _http_fields(
    editing: connections.SourceView | None, saved: dict[str, Any], config: dict[str, Any]
) -> dict[str, str] | None:
    pagination = saved.get("pagination") or {}
    config["url"] = st.text_input("Endpoint URL", value=saved.get("url", ""))
    config["records_path"] = st.text_input(
        "Where the records are", value=saved.get("records_path", ""), help="A dotted path such as data.items"
    )
    kind = st.selectbox(
        "Pagination",
        list(PAGINATION),
        index=list(PAGINATION).index(pagination.get("type", "none")),
        format_func=PAGINATION.__getitem__,
    )
    left, middle, right = st.columns(3)
    param = left.text_input("Page / offset / cursor parameter", value=pagination.get("param", ""))
    size_param = middle.text_input("Page size parameter", value=pagination.get("size_param", ""))
    size = right.number_input("Page size", 1, 10_000, int(pagination.get("size", 100)))
    path = st.text_input(
        "Next link / cursor is at", value=pagination.get("path", ""), help="For link or cursor pagination"
    )
    config["pagination"] = {
        key: value
        for key, value in {
            "type": kind,
            "param": param,
            "size_param": size_param,
            "size": size,
            "path": path,
        }.items()
        if value
    }
    auth_header = st.text_input("Auth header name", value="Authorization")
    token = _credentials_field(editing, "Auth header value", "For example: Bearer <token>. Stored encrypted.")
    return {auth_header: token} if token else None


def editor(actor: Actor, listed: list[connections.SourceView]) -> None:
    """Add a source or change one; test before or after saving."""
    st.subheader("Add or change a source")
    by_name = {view.name: view for view in listed}
    editing = by_name.get(
        st.selectbox(
            "Add or change",
            # Adding a source is for those who see every source; others may change theirs.
            [*([NEW] if actor.source_ids is None else []), *by_name],
            key="source_choice",
            help="Pick a source to change or test it, or add a new one.",
        )
    )
    if editing is not None and st.button("Test connection", key="test_saved"):
        with refusals("Test failed"):
            st.success(md(connections.test_source(resources(), actor, editing.id)))
    source_type = (
        editing.source_type
        if editing is not None
        else st.selectbox(
            "Type", list(SYNCED_SOURCE_TYPES), format_func=SOURCE_TYPE_LABELS.__getitem__, key="source_type"
        )
    )
    saved: dict[str, Any] = editing.config if editing is not None else {}
    with st.form("source_form"):
        name = st.text_input("Name", value=editing.name if editing else "", max_chars=255)
        config: dict[str, Any] = {}
        secrets: dict[str, str] | None = None
        if source_type == "database":
            secrets = _database_fields(editing, saved, config)
        elif source_type in ("csv", "jsonl", "folder"):
            _file_fields(actor, source_type, saved, config)
        else:
            secrets = _http_fields(editing, saved, config)
        test_clicked = st.form_submit_button("Test connection")
        save_clicked = st.form_submit_button("Save source", type="primary")

    draft = connections.SourceDraft(name, source_type, config, secrets)
    if test_clicked:
        with refusals("Test failed"):
            if editing is not None and secrets is None:
                st.info("Testing with the saved credentials; save first to test changed settings with them.")
                st.success(md(connections.test_source(resources(), actor, editing.id)))
            else:
                st.success(md(connections.test_draft(resources(), actor, draft)))
    if save_clicked:
        with refusals("Not saved"):
            if editing is None:
                connections.create_source(resources(), actor, draft)
            else:
                connections.update_source(resources(), actor, editing.id, draft)
            st.session_state[FLASH] = f"Saved {md(name)}. Create a sync job for it on the Sync page."
            st.rerun()


def show() -> None:
    actor = current_actor()
    header(
        "Data sources",
        "Where documents come from: add a database, file, folder or HTTP API, test it and change it."
        if actor.can("sources.manage")
        else "Where documents come from. Your role reads the list; analysts and admins add and change them.",
    )
    if FLASH in st.session_state:
        st.success(st.session_state.pop(FLASH))
    listed = connections.synced_sources(resources(), actor)
    source_list(actor, listed)
    if actor.can("sources.manage"):
        editor(actor, listed)


show()
