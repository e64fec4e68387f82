"""Data sources: add one, test its connection, change it. Saved credentials are never shown again."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import pandas as pd
import streamlit as st

from superinsight.services.context import Actor
from superinsight.services.sync import catalogue, connections
from superinsight.vocabulary import SOURCE_TYPE_LABELS, SYNCED_SOURCE_TYPES
from ui.feedback import header, md, plural, refusals, said_once
from ui.session import current_actor, guard, resources

PAGINATION = {
    "none": "One response holds everything",
    "page": "Page numbers (?page=1, 2, …)",
    "offset": "Offsets (?offset=0, 100, …)",
    "next": "A link to the next page in the response",
    "cursor": "A next-page cursor in the response",
}

FLASH = "sources_flash"
ROUND = "sources_form_round"  # bumped by a save: the next form starts empty
NEW = "New source…"


def _where(view: connections.SourceView) -> str:
    config = view.config
    return str(
        config.get("display_url") or config.get("url") or config.get("path") or config.get("table") or ""
    )


def _when(moment: datetime | None) -> str:
    return "" if moment is None else f"{moment:%d %b %Y %H:%M}"


def source_list(actor: Actor, synced: list[connections.SourceView]) -> list[catalogue.CatalogueRow]:
    """Every source of the workspace, whatever made it; returns the rows for the parts below."""
    rows = catalogue.catalogue(resources(), actor)
    if not rows:
        st.info(
            "No data sources yet. Add a database, a file, a folder or an HTTP API below, or upload "
            "files on the Documents page; then create a sync job for a source on the Sync page."
            if actor.can("sources.manage")
            else "No data sources yet. Ask an analyst or admin to add one."
        )
        return rows
    connection = {view.id: view for view in synced}
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Source": row.name,
                    "Type": SOURCE_TYPE_LABELS.get(row.source_type, row.source_type),
                    "Documents": row.documents,
                    "Sync jobs": row.jobs,
                    "Last sync": f"{row.last_sync_status} · {_when(row.last_sync)}"
                    if row.last_sync_status
                    else "—",
                    "Where": _where(connection[row.id]) if row.id in connection else "—",
                    "Credentials": "saved"
                    if row.id in connection and connection[row.id].has_credentials
                    else "—",
                    "Last test": f"{row.health_status} · {_when(row.last_health_check)}"
                    if row.health_status
                    else "not tested",
                }
                for row in rows
            ]
        ),
        hide_index=True,
        width="stretch",
        column_config={"Documents": st.column_config.NumberColumn(format="localized")},
    )
    return rows


def deleter(rows: list[catalogue.CatalogueRow]) -> None:
    """Delete a source, after saying what goes with it and having its name typed back."""
    if not rows:
        return
    with st.expander("Delete a source"):
        by_name = {row.name: row for row in rows}
        doomed = by_name[st.selectbox("Source to delete", list(by_name), key="delete_choice")]
        st.warning(
            f"Deleting {md(doomed.name)} removes its {plural(doomed.documents, 'document')}, "
            f"its {plural(doomed.jobs, 'sync job')} and their run history. Rules and scores "
            "no longer count those documents. This cannot be undone."
        )
        typed = st.text_input("Type the source's name to confirm", key="delete_typed")
        if st.button("Delete source", type="primary", disabled=typed.strip() != doomed.name, key="delete_go"):
            with refusals("Nothing was deleted"):
                removed = catalogue.delete_source(resources(), current_actor(), doomed.id, typed)
                st.session_state[FLASH] = f"Deleted {md(doomed.name)} and {plural(removed, 'document')}."
                st.session_state.pop("delete_typed", None)
                st.rerun()


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


def _file_fields(actor: Actor, source_type: str, saved: dict[str, Any], config: dict[str, Any]) -> Any:
    """The path of a file or folder in the workspace's folder, or (for a file) one sent from here."""
    st.caption(
        "Paths are relative to this workspace's own folder of files "
        f"({md(actor.tenant_id)}/ under the server's FILES\\_ROOT); other workspaces' files are out of reach."
    )
    sent = None
    if source_type in ("csv", "jsonl"):
        sent = st.file_uploader(
            "Send the file from this computer",
            type=["csv"] if source_type == "csv" else ["jsonl", "ndjson"],
            help="Kept in this workspace's folder under sent/; sending a file of the same name replaces it.",
        )
    config["path"] = st.text_input(
        "Folder" if source_type == "folder" else "…or a file already in the folder",
        value=saved.get("path", ""),
        help="Filled in for you when a file is sent.",
    )
    if source_type == "csv":
        config["delimiter"] = st.text_input("Delimiter", value=saved.get("delimiter", ","), max_chars=1)
    return sent


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
    source_type = (
        editing.source_type
        if editing is not None
        else st.selectbox(
            "Type", list(SYNCED_SOURCE_TYPES), format_func=SOURCE_TYPE_LABELS.__getitem__, key="source_type"
        )
    )
    saved: dict[str, Any] = editing.config if editing is not None else {}
    # A saved form starts empty: its widgets get new keys (st.form's clear_on_submit would
    # also empty a form whose save was refused, losing what was typed).
    with st.form(f"source_form_{st.session_state.get(ROUND, 0)}_{editing.id if editing else 'new'}"):
        name = st.text_input("Name", value=editing.name if editing else "", max_chars=255)
        config: dict[str, Any] = {}
        secrets: dict[str, str] | None = None
        sent = None
        if source_type == "database":
            secrets = _database_fields(editing, saved, config)
        elif source_type in ("csv", "jsonl", "folder"):
            sent = _file_fields(actor, source_type, saved, config)
        else:
            secrets = _http_fields(editing, saved, config)
        test_clicked = st.form_submit_button(
            "Test connection", help="With the saved credentials unless new ones are typed above."
        )
        save_clicked = st.form_submit_button("Save source", type="primary")
    if test_clicked:
        _test(actor, editing, connections.SourceDraft(name, source_type, config, secrets), sent)
    if save_clicked:
        with refusals("Not saved"):
            draft = connections.SourceDraft(name, source_type, _with_sent(actor, config, sent), secrets)
            if editing is None:
                connections.create_source(resources(), actor, draft)
            else:
                connections.update_source(resources(), actor, editing.id, draft)
            st.session_state[FLASH] = f"Saved {md(name)}. Create a sync job for it on the Sync page."
            st.session_state[ROUND] = st.session_state.get(ROUND, 0) + 1
            st.rerun()


def _with_sent(actor: Actor, config: dict[str, Any], sent: Any) -> dict[str, Any]:
    """The settings, pointing at the file just sent (stored first) when there is one."""
    if sent is None:
        return config
    return config | {"path": catalogue.store_sent_file(resources(), actor, sent.name, sent.getvalue())}


def _test(
    actor: Actor, editing: connections.SourceView | None, draft: connections.SourceDraft, sent: Any
) -> None:
    """Test the form's settings (or the saved source's, with its saved credentials); the list shows it."""
    with refusals("Test failed"):
        if editing is not None and draft.credentials is None and sent is None:
            answer = connections.test_source(resources(), actor, editing.id)
        else:
            tested = replace(draft, config=_with_sent(actor, draft.config, sent))
            answer = connections.test_draft(resources(), actor, tested)
        st.session_state[FLASH] = md(answer)
        st.rerun()


def show() -> None:
    actor = guard("documents.view")
    header(
        "Data sources",
        "Where documents come from: add a database, file, folder or HTTP API, test it and change it."
        if actor.can("sources.manage")
        else "Where documents come from. Your role reads the list; analysts and admins add and change them.",
    )
    said_once(FLASH)
    synced = connections.synced_sources(resources(), actor)
    rows = source_list(actor, synced)
    if actor.can("sources.manage"):
        editor(actor, synced)
        if actor.source_ids is None:
            deleter(rows)


show()
