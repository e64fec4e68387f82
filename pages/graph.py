"""Lineage & graph: pick a document, rule, source, job or entity; see its neighbourhood, lineage, impact."""

from __future__ import annotations

from typing import Any

import streamlit as st

from superinsight.lineage.values import NodeRef
from superinsight.services.context import Actor
from superinsight.services.errors import NotFoundError
from superinsight.services.graph import backlog, queries
from superinsight.services.graph import settings as graph_settings
from superinsight.services.rules.drafts import field_catalog
from superinsight.vocabulary import GRAPH_NODE_TYPE_LABELS, plural
from ui.feedback import header, md, refusals
from ui.graph_view import distinct_titles, network, node_name, node_title, ref_of, ref_text
from ui.open_document import go_to
from ui.session import guard, resources

FOCUS = "graph_focus"
ASKED = "graph_asked"
PICKED = "graph_picked"
PICK = "graph_pick"  # the Matches box
SEARCH = "graph_search"
# Where a node type opens in its own page.
PAGES = {
    "Document": "pages/documents.py",
    "Rule": "pages/rules.py",
    "DataSource": "pages/sources.py",
    "SyncJob": "pages/sync.py",
    "QualityIssue": "pages/quality.py",
    "Insight": "pages/insights.py",
    "LabelingProject": "pages/labeling.py",
}


def focus() -> NodeRef | None:
    """The node looked at: a click on the network, a search pick, or the address (`?node=Document:12`)."""
    asked = st.query_params.get("node")
    if asked and asked != st.session_state.get(ASKED):  # a link from another page (the document's lineage)
        st.session_state[ASKED] = st.session_state[FOCUS] = asked
    return ref_of(str(st.session_state.get(FOCUS) or ""))


def recentre(ref: NodeRef) -> None:
    st.session_state[ASKED] = st.session_state[FOCUS] = st.query_params["node"] = ref_text(ref)


def open_button(label: str, node_type: str, key: str) -> None:
    """A button to the page a node type lives on (a link would need the page registered where it is drawn)."""
    if node_type in PAGES and st.button(label, key=key):
        st.switch_page(PAGES[node_type])


def search(actor: Actor) -> bool:
    """The search box and its matches to pick from; whether any were offered."""
    text = st.text_input(
        "Find a document, rule, source, job or entity",
        placeholder="a name or part of it, e.g. acme",
        max_chars=queries.SEARCH_LENGTH,
        key=SEARCH,
    )
    if not text:
        return False
    found = []
    with refusals("Not searched") as outcome:
        found = queries.search(resources(), actor, text, limit=queries.SEARCH_SHOWN + 1)
    if not found:
        if outcome.ok:
            st.caption("Nothing in the graph by that name.")
        return False
    titles = distinct_titles(found[: queries.SEARCH_SHOWN])
    forget_an_old_pick()
    picked = st.selectbox("Matches", list(titles), format_func=titles.__getitem__, index=None, key=PICK)
    if len(found) > queries.SEARCH_SHOWN:
        st.caption(f"The first {queries.SEARCH_SHOWN} matches: type more of the name to narrow them.")
    if picked and picked != st.session_state.get(PICKED):  # a new pick, not the one still shown
        st.session_state[PICKED] = picked
        recentre(NodeRef(*picked.split(":", 1)))
        st.rerun()
    return True


def forget_an_old_pick() -> None:
    """A pick the page has moved away from (a click re-centred it) shows no more as picked, so
    picking it again goes back to it. Done before the box is drawn: Streamlit refuses it after."""
    shown = st.session_state.get(PICK)
    if shown and shown == st.session_state.get(PICKED) and shown != st.session_state.get(FOCUS):
        st.session_state[PICK] = st.session_state[PICKED] = None


def clicked_node(event: Any) -> NodeRef | None:
    """The node a click on the network picked (its point carries the node's address)."""
    points = list(event["selection"]["points"]) if event and "selection" in event else []
    data = points[0].get("customdata") if points else None
    return ref_of(str(data[0] if isinstance(data, list) and data else data or ""))


def neighbourhood(actor: Actor, ref: NodeRef) -> bool:
    """Draws the node's neighbourhood; False if the node is not there for the actor (not in the
    graph, or not theirs to see), when every other question about it would only say so again."""
    depth = st.slider("Depth", 1, queries.MAX_DEPTH, 1, key="graph_depth", help="Hops out from the centre")
    graph = None
    with refusals() as outcome:
        graph = queries.neighbourhood(resources(), actor, ref, depth)
    if graph is None:
        return not isinstance(outcome.refused, NotFoundError)
    center = graph.center
    st.markdown(f"### {md(node_title(center))}")
    if center.ref.label == "Document" and center.ref.key.isdigit():
        if st.button("Open this document", key="graph_open"):
            go_to(int(center.ref.key))
    else:
        noun = GRAPH_NODE_TYPE_LABELS[center.ref.label].lower()
        open_button(f"Open the {noun}s page", center.ref.label, "graph_open")
    if graph.truncated:
        st.warning(
            f"Too big to draw whole: showing the nearest {len(graph.nodes):,} nodes. "
            + ("Lower the depth or re-centre" if depth > 1 else "Re-centre")
            + " on a node further out (click one)"
            + (", or read the lineage below." if center.ref.label == "Document" else ".")
        )
    # A chart of its own per centre and depth: a click made on an earlier centre is not replayed.
    event = st.plotly_chart(
        network(graph), on_select="rerun", selection_mode="points", key=f"graph_chart_{ref_text(ref)}_{depth}"
    )
    clicked = clicked_node(event)
    if clicked is not None and clicked != ref:
        recentre(clicked)
        st.rerun()
    shown = f"{plural(len(graph.nodes), 'node')}, {plural(len(graph.edges), 'link')}"
    st.caption(f"{shown}. Click a node to re-centre on it.")
    return True


def lineage(actor: Actor, document_id: int) -> None:
    found = None
    with refusals():
        found = queries.lineage(resources(), actor, document_id)
    if found is None:
        return
    st.markdown("#### Lineage")
    lines = [f"- 🔌 from source **{md(node_name(s))}**" for s in found.sources]
    lines += [
        f"- 🔄 written by job **{md(node_name(job))}** "
        f"(run {md(props.get('run'))}, version {md(props.get('version'))})"
        for job, props in found.runs
    ]
    lines += [f"- ⚙️ step {md(node_name(step))}" for step in found.steps]
    lines += [
        f"- 🧭 matched by rule **{md(node_name(r))}** (version {md(p.get('version'))})"
        for r, p in found.rules
    ]
    lines += [f"- 💡 insight about that rule: {md(node_name(i))}" for i in found.insights]
    lines += [f"- ✅ issue {md(node_name(i))} ({md(i.properties.get('status'))})" for i in found.issues]
    lines += [f"- 🏷️ mentions {md(node_title(e))}" for e in found.entities]
    lines += [f"- 🖊️ sent for labeling in project **{md(node_name(p))}**" for p in found.projects]
    st.markdown("\n".join(lines) if lines else "Nothing else is known about this document yet.")


def impact(actor: Actor, ref: NodeRef) -> None:
    found = None
    with refusals():
        found = queries.impact(resources(), actor, ref)
    if found is None:
        return
    st.markdown("#### Impact: what depends on it")
    if not found.counts:
        st.caption("Nothing depends on it yet.")
        return
    columns = st.columns(len(found.counts))
    for column, (label, count) in zip(columns, sorted(found.counts.items()), strict=True):
        column.metric(GRAPH_NODE_TYPE_LABELS.get(label, label), f"{count:,}")
        with column:
            open_button("Open", label, f"graph_open_{label}")


def entity(actor: Actor, ref: NodeRef) -> None:
    st.markdown("#### Mentioned together with")
    together = []
    with refusals():
        together = queries.co_occurring(resources(), actor, ref)
    if not together:
        st.caption("No other entity shares a document with this one.")
    for node, count in together:
        st.markdown(f"- {md(node_title(node))}: {plural(count, 'document')}")
    other = st.text_input(
        "Shortest path to another entity",
        placeholder="its name",
        max_chars=queries.SEARCH_LENGTH,
        key="graph_path_to",
    )
    if not other:
        return
    with refusals("No path shown"):
        found = queries.search(resources(), actor, other, limit=2, kinds=["Entity"])
        targets = [node for node in found if node.ref != ref]  # "acme" from Acme Corp means Acme Inc
        if not found:
            st.caption("No entity by that name.")
            return
        if not targets:
            st.caption(f"{md(node_title(found[0]))} is this entity itself.")
            return
        path = queries.shortest_path(resources(), actor, ref, targets[0].ref)
        if path is None:
            st.info(f"No path to {md(node_title(targets[0]))} within {queries.PATH_DEPTH} hops.")
            return
        st.markdown(" → ".join(md(node_title(node)) for node in path))


def manage(actor: Actor) -> None:
    """Entity fields, rebuild and catch-up: for those who manage sources."""
    if not actor.can("sources.manage") or actor.source_ids is not None:
        return
    with st.expander("Entities and rebuilding"):
        marked = graph_settings.entity_fields(resources(), actor)
        keys = sorted(field_catalog(resources(), actor).metadata_keys or set()) or marked
        chosen = st.multiselect(
            "Metadata fields whose values are entities",
            sorted({*keys, *marked}),
            default=marked,
            key="graph_fields",
        )
        if st.button("Save and rebuild the graph", key="graph_save_fields"):
            with refusals("Not saved"):
                graph_settings.set_entity_fields(resources(), actor, chosen)
                st.success("Saved: the graph is being rebuilt in the background.")
        if st.button("Rebuild the graph", key="graph_rebuild"):
            with refusals("Not started"):
                graph_settings.start_rebuild(resources(), actor)
                st.success("The graph is being rebuilt in the background.")


def waiting(actor: Actor) -> None:
    pending = backlog.pending(resources(), actor)
    if not pending:
        return
    st.info(f"{pending:,} change(s) wait to reach the graph; they are projected as soon as it answers.")
    if actor.can("sources.manage") and st.button("Catch up now", key="graph_catch_up"):
        with refusals("Still waiting"):
            backlog.catch_up(resources(), actor)
            st.rerun()


def show() -> None:
    actor = guard("documents.view")
    header(
        "Lineage & graph",
        "Where documents come from and what depends on what: find a node, follow its links, see its lineage.",
    )
    waiting(actor)
    offered = search(actor)
    ref = focus()
    if ref is None and offered:
        st.caption("Pick a match above, or open a document's lineage from the Documents page.")
    elif ref is None and not st.session_state.get(SEARCH):
        st.caption("Search for something above, or open a document's lineage from the Documents page.")
    elif ref is not None and neighbourhood(actor, ref):
        if ref.label == "Document" and ref.key.isdigit():
            lineage(actor, int(ref.key))
        if ref.label in ("DataSource", "SyncJob", "Rule", "LabelingProject"):
            impact(actor, ref)
        if ref.label == "Entity":
            entity(actor, ref)
    manage(actor)


show()
