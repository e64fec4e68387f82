"""Documents: search, narrow by facets, page through results, open one, export, upload."""

from __future__ import annotations

from typing import cast

import pandas as pd
import streamlit as st

from superinsight.services.context import Actor
from superinsight.services.documents import export, facets, ranking, search, sources
from superinsight.services.documents import views as document_views
from superinsight.services.documents.facets import Facets
from superinsight.services.documents.search import SearchPage, SearchQuery, Sort
from ui.document_edit import edit_form, history
from ui.document_upload import upload
from ui.feedback import ago, header, highlighted, md, plural, refusals, unmarked
from ui.open_document import HINT, clicked, open_here, opened
from ui.send_to_labeling import send_button
from ui.session import guard, resources

LINEAGE_ICONS = {
    "source": "🔌",
    "sync": "🔄",
    "edited": "✏️",
    "conflict": "⚠️",
    "rule": "🧭",
    "quality": "✅",
    "labeling": "🏷️",
}

PAGE_SIZE = 50
CURSORS = "documents_cursors"


def ask(actor: Actor) -> SearchQuery:
    """The search box and the sidebar's filters, as one query."""
    text = st.text_input(
        "Search", placeholder="words that must all appear, e.g. refund duplicate", key="doc_search"
    )
    sort = st.segmented_control(
        "Sort",
        ["relevance", "newest", "oldest"],
        default="relevance",
        key="doc_sort",
        help="Newest and oldest go by each document's own date (the created column), "
        "which a sync takes from the field its mapping names as the document date.",
    )
    with st.sidebar:
        st.markdown("**Filters**")
        source_ids = {s.name: s.id for s in sources.list_sources(resources(), actor)}
        chosen_sources = st.multiselect("Sources", list(source_ids), key="doc_sources")
        tags = st.text_input("Any of these tags", placeholder="vip, billing", key="doc_tags")
        labels = st.text_input(
            "Any of these labels",
            placeholder="refund, complaint",
            key="doc_labels",
            help="Labels annotators gave in Label Studio, once pulled on the Labeling page",
        )
        field = st.text_input("Metadata field", placeholder="region", key="doc_field")
        value = st.text_input("equals", key="doc_value")
        dates = st.date_input("Created between", value=[], key="doc_dates")
        band = st.selectbox(
            "Quality",
            [None, *search.QUALITY_BANDS],
            format_func=lambda key: "any" if key is None else f"{key}: {search.QUALITY_BANDS[key]}",
            key="doc_band",
        )
    return SearchQuery(
        text=text,
        source_ids=tuple(source_ids[name] for name in chosen_sources),
        tags=tuple(tag.strip() for tag in tags.split(",") if tag.strip()),
        labels=tuple(label.strip() for label in labels.split(",") if label.strip()),
        metadata=((field.strip(), value),) if field.strip() else (),
        created_from=dates[0] if len(dates) > 0 else None,
        created_to=dates[1] if len(dates) > 1 else None,
        quality_band=band,
        sort=cast("Sort", sort or "relevance"),
    )


def counts(counted: Facets) -> None:
    top = st.columns([2, 2, 1])
    top[0].metric("Matching documents", f"≈ {counted.total:,}" if counted.estimated else f"{counted.total:,}")
    when = f"as of {ago(counted.computed_at)}" + (" (cached)" if counted.from_cache else "")
    if counted.estimated:
        top[1].caption(
            f"Estimated {when} from a random sample of {counted.sampled:,} of the "
            f"{counted.reach or 0:,} documents searched; counting every match takes longer."
        )
    else:
        top[1].caption(f"Counts {when}")
    # Either button counts every match: refreshed figures stay exact. Flagged before the
    # rerun the click starts, so that run counts (no run of its own first to set the flag).
    top[2].button(
        "Count exactly" if counted.estimated else "Refresh counts",
        help="Counts every match: about half a second at a million documents.",
        on_click=st.session_state.update,
        kwargs={"doc_exact": True},
    )
    by_source_and_tag(counted)


def by_source_and_tag(counted: Facets) -> None:
    if not (counted.by_source or counted.by_tag):
        return
    left, right = st.columns(2)
    about = " (estimated)" if counted.estimated else ""
    for column, title, counts, label in (
        (left, f"Matching documents by source{about}", counted.by_source, "source"),
        (right, f"Most frequent tags (top {len(counted.by_tag)}){about}", counted.by_tag, "tag"),
    ):
        if counts:
            column.markdown(f"**{title}**")
            column.dataframe(
                pd.DataFrame(counts, columns=[label, "documents"]),
                hide_index=True,
                # Each count written out beside its bar: the bar charts these were showed a figure
                # only on hover, and drawing two cost the browser ~0.3 s of every visit.
                column_config={
                    "documents": st.column_config.ProgressColumn(
                        "documents",
                        min_value=0,
                        max_value=max(1, *(count for _name, count in counts)),
                        format="localized",
                    )
                },
            )


def nothing_found(actor: Actor, query: SearchQuery, first_page: bool) -> None:
    if first_page and query == SearchQuery(sort=query.sort):
        st.info(
            "No documents yet. Load the demo data from the Overview page, upload files below, "
            "or run a sync from a data source."
            if actor.can("documents.edit")
            else "No documents yet. Once an analyst runs a sync or uploads files, they appear here."
        )
    else:
        st.info("Nothing matches. Try fewer words or filters.")


def results(page: SearchPage, cursors: list[str | None], counted: Facets) -> None:
    """The page of hits; clicking a row opens that document below (and names it in the address)."""
    marked = any(hit.snippet != unmarked(hit.snippet) for hit in page.hits)
    st.caption(f"{HINT} Its matched words are highlighted there." if marked else HINT)
    chosen = clicked(
        pd.DataFrame([hit.__dict__ | {"snippet": unmarked(hit.snippet)} for hit in page.hits]),
        [hit.id for hit in page.hits],
        f"doc_table_{len(cursors)}",
        hide_index=True,
        width="stretch",
        column_config={
            "id": st.column_config.NumberColumn("id", format="%d"),
            "title": st.column_config.TextColumn("title", width="medium"),
            "snippet": st.column_config.TextColumn("why it matched", width="medium"),
            "tags": st.column_config.ListColumn("tags"),
            "created_at": st.column_config.DatetimeColumn("created", format="YYYY-MM-DD HH:mm"),
        },
    )
    if chosen is not None:
        open_here(chosen)
    left, middle, right = st.columns([1, 2, 1])
    if left.button("← Previous", disabled=len(cursors) == 1):
        cursors.pop()
        st.rerun()
    about = "about " if counted.estimated else ""
    pages = max(1, -(-counted.total // PAGE_SIZE))
    middle.caption(f"Page {len(cursors):,} of {about}{pages:,} · {about}{plural(counted.total, 'document')}")
    if right.button("Next →", disabled=page.next_cursor is None):
        cursors.append(page.next_cursor)
        st.rerun()


def detail(actor: Actor, page: SearchPage) -> None:
    """The open document (a clicked row, or a link): content, metadata, issues, lineage, annotations."""
    chosen = opened()
    if chosen is None:
        return
    document = None
    with refusals():
        document = document_views.get_document(resources(), actor, chosen)
    if document is None:
        return
    st.markdown(f"**{md(document.title)}**")
    if snippet := next((hit.snippet for hit in page.hits if hit.id == chosen and hit.snippet), None):
        st.markdown(f"Why it matched: {highlighted(snippet)}")
    st.caption(f"{md(document.external_id)} from {md(document.source or 'an upload')}")
    body, meta = st.columns([3, 2])
    body.text_area("Content", document.content, height=180, disabled=True)
    meta.json(document.metadata)
    if document.open_issues:
        st.warning("Open quality issues: " + ", ".join(md(issue) for issue in document.open_issues))
    st.markdown(
        "**Lineage** " + " → ".join(f"{LINEAGE_ICONS[kind]} {md(text)}" for kind, text in document.lineage)
    )
    if st.button("🕸️ Open its lineage graph", key="doc_graph"):
        st.switch_page("pages/graph.py", query_params={"node": f"Document:{document.id}"})
    history(actor, document.id)
    if actor.can("documents.edit"):
        edit_form(actor, document)
    if document.annotations:
        st.dataframe(
            pd.DataFrame(
                [
                    {"by": a.completed_by or "", "labels": ", ".join(a.labels), "at": a.created_at}
                    for a in document.annotations
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        st.caption("No annotations yet: send documents to a Label Studio project to have them labeled.")


def downloads(actor: Actor, query: SearchQuery) -> None:
    """Exports are computed only when a button is pressed."""
    export_csv, export_jsonl = st.columns(2)
    export_csv.download_button(
        "Export results as CSV",
        data=lambda: "".join(export.export(resources(), actor, query, "csv")),
        file_name="documents.csv",
        mime="text/csv",
    )
    export_jsonl.download_button(
        "Export results as JSON Lines",
        data=lambda: "".join(export.export(resources(), actor, query, "jsonl")),
        file_name="documents.jsonl",
        mime="application/x-ndjson",
    )


def show() -> None:
    actor = guard("documents.view")
    header(
        "Documents",
        "Search and filter every document you may see, open one for its lineage, export the results"
        " or upload files.",
    )
    query = ask(actor)
    if st.session_state.get("doc_query") != query:
        st.session_state["doc_query"] = query
        st.session_state[CURSORS] = [None]
    cursors: list[str | None] = st.session_state.setdefault(CURSORS, [None])
    exact = st.session_state.pop("doc_exact", False)  # asked once, whatever this run meets
    with refusals(stop=True):
        page = search.search(resources(), actor, query, cursor=cursors[-1], limit=PAGE_SIZE)
        counted = facets.facets(resources(), actor, query, exact=exact)
    counts(counted)
    if page.ranked_newest_only and counted.total > ranking.RANKED_MATCHES:
        st.caption(
            f"Ranked among the newest {ranking.RANKED_MATCHES:,} matches; sort by newest to page through all "
            f"{'≈ ' if counted.estimated else ''}{counted.total:,}."
        )
    if not page.hits:
        nothing_found(actor, query, len(cursors) == 1)
    else:
        results(page, cursors, counted)
        detail(actor, page)
        downloads(actor, query)
        send_button(actor, {"kind": "search"}, "doc_send_to_labeling")
    if actor.can("documents.edit") and actor.source_ids is None:  # uploads add to the whole workspace
        upload(actor)


show()
