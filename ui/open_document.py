"""Tables whose rows are documents: clicking a row opens that document on the Documents page.

The open document is named in the address (`/documents?document=42`), so it survives
a reload and can be sent as a link; the Documents page reads it with `opened()`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

PARAM = "document"
DOCUMENTS_PAGE = "pages/documents.py"
HINT = "Click a row to open its document."


def clicked(frame: pd.DataFrame, document_ids: Sequence[int | None], key: str, **options: Any) -> int | None:
    """Draw the table; the id of the document whose row was clicked in this run, if any."""
    event = st.dataframe(frame, key=key, on_select="rerun", selection_mode="single-row", **options)
    rows = event.selection.rows if event is not None else []
    return document_ids[rows[0]] if rows and rows[0] < len(document_ids) else None


def document_table(frame: pd.DataFrame, document_ids: Sequence[int | None], key: str, **options: Any) -> None:
    """A table on another page: a click goes to the Documents page with that document open."""
    st.caption(HINT)
    if (chosen := clicked(frame, document_ids, key, **options)) is not None:
        go_to(chosen)


def go_to(document_id: int) -> None:
    """From another page: the Documents page with this document open."""
    st.switch_page(DOCUMENTS_PAGE, query_params={PARAM: str(document_id)})


def opened() -> int | None:
    """The document the address names, if it names one."""
    value = st.query_params.get(PARAM)
    return int(value) if value is not None and value.isdigit() else None


def open_here(document_id: int) -> None:
    """On the Documents page: name the clicked document in the address."""
    st.query_params[PARAM] = str(document_id)
