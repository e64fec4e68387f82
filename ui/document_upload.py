"""Uploading files as documents: pick a CSV, JSON Lines, text or markdown file, name a CSV's
id, title and content columns, see what is ready and what is rejected, then import.

Drawn collapsed at the foot of the Documents page for those who may edit every source's
documents; nothing is read until a file is chosen, nothing imported until Import is pressed.
"""

from __future__ import annotations

import json
import zlib

import pandas as pd
import streamlit as st

from superinsight.documents.columns import suggested
from superinsight.services.context import Actor
from superinsight.services.documents import uploads
from ui.feedback import plural, refusals
from ui.session import resources


def upload(actor: Actor) -> None:
    with st.expander("Upload files as documents"):
        file = st.file_uploader(
            "CSV, JSON Lines, text or markdown",
            type=["csv", "jsonl", "ndjson", "txt", "md"],
            key="doc_upload",
        )
        if file is None:
            return
        columns = {}
        if file.name.lower().endswith(".csv"):
            with refusals("That file cannot be read", stop=True):
                header_row = uploads.csv_columns(file.name, file.getvalue())
            guess = suggested(header_row)
            # Keyed by the header too: a keyed box keeps its choice while it is still an option,
            # so another file's guesses would be ignored.
            of_file = zlib.crc32("\x1f".join(header_row).encode())
            a, b, c = st.columns(3)
            columns = {
                f"{part}_column": box.selectbox(
                    f"{part.capitalize()} column",
                    header_row,
                    header_row.index(pick),
                    key=f"up_{part}_{of_file}",
                )
                for box, part, pick in (
                    (a, "id", guess.id),
                    (b, "title", guess.title),
                    (c, "content", guess.content),
                )
            }
        with refusals("Nothing was imported", stop=True):
            parsed = uploads.parse(file.name, file.getvalue(), **columns)
        ready, rejected = plural(len(parsed.documents), "document"), plural(len(parsed.rejected), "row")
        st.caption(f"{ready} ready, {rejected} rejected.")
        st.dataframe(
            pd.DataFrame(
                [
                    {"id": d.external_id, "title": d.title, "metadata": json.dumps(d.metadata)}
                    for d in parsed.documents[:20]
                ]
            ),
            hide_index=True,
            width="stretch",
        )
        if parsed.rejected:
            st.warning("Rejected rows (they will not be imported):")
            st.dataframe(pd.DataFrame([r.__dict__ for r in parsed.rejected]), hide_index=True)
        if st.button("Import", type="primary", disabled=not parsed.documents, key="up_import"):
            with refusals("Nothing was imported"):
                done = uploads.import_documents(resources(), actor, parsed)
                st.success(
                    f"Imported: {done.inserted:,} new, {done.updated:,} updated, "
                    f"{done.unchanged:,} unchanged."
                )
