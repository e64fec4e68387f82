"""Browse the newest documents, page by page."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from superinsight.services import documents
from ui.session import current_actor, resources

PAGE_SIZE = 50
CURSORS = "documents_page_cursors"

st.title("Documents")
cursors: list[int | None] = st.session_state.setdefault(CURSORS, [None])
rows = documents.list_documents(resources(), current_actor(), before_id=cursors[-1], limit=PAGE_SIZE)

if not rows and len(cursors) == 1:
    st.info("No documents yet. Load the demo data from the Overview page, or run a sync from a data source.")
    st.stop()

titles = {row.id: row.title for row in rows}
st.dataframe(
    pd.DataFrame([row.__dict__ for row in rows]),
    hide_index=True,
    width="stretch",
    column_config={
        "id": st.column_config.NumberColumn("id", format="%d"),
        "title": st.column_config.TextColumn("title", width="large"),
        "tags": st.column_config.ListColumn("tags"),
        "created_at": st.column_config.DatetimeColumn("created", format="YYYY-MM-DD HH:mm"),
    },
)
left, middle, right = st.columns([1, 2, 1])
if left.button("← Newer", disabled=len(cursors) == 1):
    cursors.pop()
    st.rerun()
middle.caption(f"Page {len(cursors)}")
if right.button("Older →", disabled=len(rows) < PAGE_SIZE):
    cursors.append(rows[-1].id)
    st.rerun()

st.subheader("Document")
chosen = st.selectbox(
    "Open",
    [row.id for row in rows],
    format_func=lambda doc_id: f"#{doc_id} · {titles[doc_id]}",
    key="open_doc",
)
if chosen is not None:
    detail = documents.get_document(resources(), current_actor(), chosen)
    st.markdown(f"**{detail.title}**  \n`{detail.external_id}` from {detail.source or 'an upload'}")
    left, right = st.columns([3, 2])
    left.text_area("Content", detail.content, height=180, disabled=True)
    right.json(detail.metadata)
