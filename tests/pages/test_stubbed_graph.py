"""The Lineage & graph page for each role, its services stubbed: search, neighbourhood, lineage, impact."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from superinsight.lineage.values import Edge, Node, NodeRef
from superinsight.rules.validation import FieldCatalog
from superinsight.services.errors import InvalidInputError, NotFoundError
from superinsight.services.graph.queries import Impact, Lineage, Neighbourhood
from tests.pages.stubbed import ROLES, Page, Stubs, by_role, open_page, starts_with_a_header
from ui.graph_view import network

QUERIES = "superinsight.services.graph.queries"
BACKLOG = "superinsight.services.graph.backlog"
SETTINGS = "superinsight.services.graph.settings"
CATALOG = "superinsight.services.rules.drafts.field_catalog"
MANAGE_READS = {f"{SETTINGS}.entity_fields", CATALOG}
SOURCE = Node(NodeRef("DataSource", "1"), {"name": "**Support** <b>desk</b>"})
DOCUMENT = Node(NodeRef("Document", "12"), {"name": "T-12"})
JOB = Node(NodeRef("SyncJob", "3"), {"name": "Nightly"})
RULE = Node(NodeRef("Rule", "4"), {"name": "Refunds"})
ACME = Node(NodeRef("Entity", "customer:acme"), {"name": "acme"})
GLOBEX = Node(NodeRef("Entity", "customer:globex"), {"name": "globex"})
NODES = {node.ref: node for node in (SOURCE, DOCUMENT, JOB, RULE, ACME, GLOBEX)}
SHOWN_SOURCE = r"\*\*Support\*\* \<b\>desk\</b\>"


def _around(_resources: Any, _actor: Any, ref: NodeRef, depth: int) -> Neighbourhood:
    """The centre, the source and the document, one link between those two."""
    nodes = list({ref: NODES[ref], SOURCE.ref: SOURCE, DOCUMENT.ref: DOCUMENT}.values())
    depth_of = {node.ref: 0 if node.ref == ref else 1 for node in nodes}
    return Neighbourhood(NODES[ref], nodes, [Edge(SOURCE.ref, DOCUMENT.ref, "CONTAINS")], depth_of, False)


def _search(_r: Any, _a: Any, text: str, limit: int = 20, kinds: Sequence[str] = ()) -> list[Node]:
    named = [n for n in NODES.values() if text in str(n.properties["name"])]
    return [n for n in named if not kinds or n.ref.label in kinds][:limit]


def _graph(stubs: Stubs, *, pending: int = 0) -> None:
    stubs.returns(f"{BACKLOG}.pending", pending)
    stubs.returns(f"{BACKLOG}.catch_up", pending)
    stubs.returns(f"{QUERIES}.search", _search)
    stubs.returns(f"{QUERIES}.neighbourhood", _around)
    stubs.returns(
        f"{QUERIES}.lineage",
        Lineage(
            DOCUMENT,
            sources=[SOURCE],
            runs=[(JOB, {"run": 5, "version": 2})],
            rules=[(RULE, {"version": 1})],
            entities=[ACME],
        ),
    )
    stubs.returns(f"{QUERIES}.impact", Impact(SOURCE, {"Document": 1200, "Rule": 2}))
    stubs.returns(f"{QUERIES}.co_occurring", [(GLOBEX, 3)])
    stubs.returns(f"{QUERIES}.shortest_path", [ACME, DOCUMENT, GLOBEX])
    stubs.returns(f"{SETTINGS}.entity_fields", ["customer"])
    stubs.returns(CATALOG, FieldCatalog(metadata_keys=frozenset({"customer", "region"})))


def _at(stubs: Stubs, role: str, node: str, **kwargs: Any) -> Page:
    """The page centred on `node` (`Label:key`), as a click on the network or a pick leaves it."""
    return open_page(stubs, "graph", role, {"graph_focus": node}, **kwargs)


def _called(page: Page, *names: str) -> set[str]:
    return {name for name in names if f"{QUERIES}.{name}" in page.calls}


class TestGraph:
    @by_role(*ROLES)
    def test_opens_on_the_search_and_only_source_managers_may_rebuild(self, stubs: Stubs, role: str) -> None:
        _graph(stubs)
        page = open_page(stubs, "graph", role)
        starts_with_a_header(page, "Lineage & graph")
        assert "Search for something above" in page.texts("caption")
        assert not page.at.get("plotly_chart")
        manages = role in ("admin", "analyst")
        assert [e.label for e in page.at.expander] == (["Entities and rebuilding"] if manages else [])
        # st.expander draws its content collapsed too: the two reads are cheap (the catalog is cached).
        assert set(page.calls) == {f"{BACKLOG}.pending"} | (MANAGE_READS if manages else set())

    @by_role(*ROLES)
    def test_a_document_shows_its_neighbourhood_and_lineage_as_text(self, stubs: Stubs, role: str) -> None:
        _graph(stubs)
        page = _at(stubs, role, "Document:12")
        assert _called(page, "neighbourhood", "lineage", "impact", "co_occurring") == {
            "neighbourhood",
            "lineage",
        }
        shown = page.texts("markdown")
        assert "### Document · T-12" in shown
        assert f"- 🔌 from source **{SHOWN_SOURCE}**" in shown
        assert "- 🔄 written by job **Nightly** (run 5, version 2)" in shown
        assert "- 🧭 matched by rule **Refunds** (version 1)" in shown
        assert "- 🏷️ mentions Entity · acme" in shown
        assert "**Support** <b>desk</b>" not in shown
        assert "2 nodes, 1 link. Click a node to re-centre on it." in page.texts("caption")
        assert "Open this document" in page.labels()

    def test_a_source_shows_what_depends_on_it(self, stubs: Stubs) -> None:
        _graph(stubs)
        page = _at(stubs, "viewer", "DataSource:1")
        assert _called(page, "lineage", "impact", "co_occurring") == {"impact"}
        assert f"### Data source · {SHOWN_SOURCE}" in page.texts("markdown")
        assert {m.label: m.value for m in page.at.metric} == {"Document": "1,200", "Business rule": "2"}
        assert [b.key for b in page.at.button if b.label == "Open"] == [
            "graph_open_Document",
            "graph_open_Rule",
        ]

    def test_an_entity_lists_what_it_is_mentioned_with_and_finds_a_path(self, stubs: Stubs) -> None:
        _graph(stubs)
        page = _at(stubs, "annotator", "Entity:customer:acme")
        assert _called(page, "lineage", "impact", "co_occurring", "shortest_path") == {"co_occurring"}
        assert "- Entity · globex: 3 documents" in page.texts("markdown")
        page.at.text_input(key="graph_path_to").input("glob")
        page.run()
        assert "Entity · acme → Document · T-12 → Entity · globex" in page.texts("markdown")
        page.at.text_input(key="graph_path_to").input("nobody")
        page.run()
        assert "No entity by that name." in page.texts("caption")
        assert f"{QUERIES}.shortest_path" not in page.calls
        page.at.text_input(key="graph_path_to").input("acme")
        page.run()
        assert "Entity · acme is this entity itself." in page.texts("caption")
        assert f"{QUERIES}.shortest_path" not in page.calls
        stubs.returns(f"{QUERIES}.search", lambda *_args, **_kw: [ACME, GLOBEX])  # both named alike
        page.at.text_input(key="graph_path_to").input("a")
        page.run()
        assert "Entity · acme → Document · T-12 → Entity · globex" in page.texts("markdown")
        stubs.raises(f"{QUERIES}.shortest_path", InvalidInputError("too big to answer: hubs"))
        page.at.text_input(key="graph_path_to").input("glob")
        page.run()
        assert [e.value for e in page.at.error] == ["No path shown: too big to answer: hubs"]

    def test_an_entity_mentioned_alone_says_so(self, stubs: Stubs) -> None:
        _graph(stubs)
        stubs.returns(f"{QUERIES}.co_occurring", [])
        page = _at(stubs, "viewer", "Entity:customer:acme")
        assert "No other entity shares a document with this one." in page.texts("caption")

    def test_a_pick_among_the_matches_recentres_the_page(self, stubs: Stubs) -> None:
        _graph(stubs)
        page = open_page(stubs, "graph", "viewer")
        page.at.text_input(key="graph_search").input("desk")
        page.run()
        assert f"{QUERIES}.neighbourhood" not in page.calls, "nothing drawn before a pick"
        picks = page.at.selectbox(key="graph_pick")
        assert picks.options == ["Data source · **Support** <b>desk</b>"]
        picks.select_index(0)
        page.run()
        assert f"{QUERIES}.neighbourhood" in page.calls
        assert page.at.query_params["node"] == "DataSource:1"
        assert page.at.get("plotly_chart")
        page.at.text_input(key="graph_search").input("nothing like it")
        page.run()
        assert "Nothing in the graph by that name." in page.texts("caption")
        assert "Pick a match above" not in page.texts("caption"), "there is none to pick"
        assert not page.at.selectbox

    def test_after_a_click_moves_away_the_same_match_can_be_picked_again(self, stubs: Stubs) -> None:
        _graph(stubs)
        page = open_page(stubs, "graph", "viewer")
        page.at.text_input(key="graph_search").input("desk")
        page.run()
        page.at.selectbox(key="graph_pick").select_index(0)
        page.run()
        page.at.session_state["graph_focus"] = "Document:12"  # what a click on the network does
        page.run()
        assert "### Document · T-12" in page.texts("markdown")
        picks = page.at.selectbox(key="graph_pick")
        assert picks.value is None, "the box no longer claims the source is shown"
        picks.select_index(0)
        page.run()
        assert page.at.session_state["graph_focus"] == "DataSource:1"
        assert f"### Data source · {SHOWN_SOURCE}" in page.texts("markdown")

    def test_a_refused_search_says_why_and_not_that_nothing_was_found(self, stubs: Stubs) -> None:
        _graph(stubs)
        stubs.raises(f"{QUERIES}.search", InvalidInputError("the search contains a NUL character"))
        page = open_page(stubs, "graph", "viewer")
        page.at.text_input(key="graph_search").input("a\x00b")
        page.run()
        assert page.at.error[0].value == "Not searched: the search contains a NUL character"
        assert "Nothing in the graph by that name." not in page.texts("caption")
        assert page.at.text_input(key="graph_search").proto.max_chars == 200

    def test_matches_with_one_title_are_told_apart_by_their_key(self, stubs: Stubs) -> None:
        _graph(stubs)
        twins = [Node(NodeRef("Document", key), {"name": "Renewal — Acme"}) for key in ("7", "9")]
        stubs.returns(f"{QUERIES}.search", [*twins, RULE])
        page = open_page(stubs, "graph", "viewer")
        page.at.text_input(key="graph_search").input("e")
        page.run()
        assert page.at.selectbox(key="graph_pick").options == [
            "Document · Renewal — Acme (#7)",
            "Document · Renewal — Acme (#9)",
            "Business rule · Refunds",
        ]
        assert "Pick a match above, or open a document's lineage from the Documents page." in page.texts(
            "caption"
        )

    def test_a_neighbourhood_too_big_at_depth_one_does_not_say_to_lower_the_depth(self, stubs: Stubs) -> None:
        _graph(stubs)
        stubs.returns(f"{QUERIES}.neighbourhood", lambda *args: replace(_around(*args), truncated=True))
        page = _at(stubs, "viewer", "DataSource:1")
        warning = page.at.warning[0].value
        assert warning.startswith("Too big to draw whole") and "Lower the depth" not in warning
        assert warning.endswith("on a node further out (click one)."), "a source has no lists below"
        page.at.slider(key="graph_depth").set_value(2)
        page.run()
        assert "Lower the depth or re-centre" in page.at.warning[0].value
        document = _at(stubs, "viewer", "Document:12").at.warning[0].value
        assert document.endswith("(click one), or read the lineage below.")

    def test_a_refused_query_is_the_pages_message_and_the_rest_still_works(self, stubs: Stubs) -> None:
        _graph(stubs)
        stubs.raises(f"{QUERIES}.neighbourhood", InvalidInputError("Neo4j does **not** answer"))
        page = _at(stubs, "analyst", "Document:12")
        assert page.at.error[0].value == r"Neo4j does \*\*not\*\* answer"
        assert not page.at.get("plotly_chart")
        assert f"- 🔌 from source **{SHOWN_SOURCE}**" in page.texts("markdown"), (
            "the lineage is its own query"
        )
        assert page.at.text_input(key="graph_search")

    def test_names_in_the_network_are_drawn_as_text_and_long_ones_cut(self, stubs: Stubs) -> None:
        _graph(stubs)
        page = _at(stubs, "viewer", "Document:12")
        figure = json.loads(page.at.get("plotly_chart")[0].proto.spec)
        source = next(trace for trace in figure["data"] if trace.get("name") == "Data source")
        assert source["text"] == ["**Support** &lt;b&gt;desk&lt;/b&gt;"], "plotly would draw <b> as bold"
        assert source["hovertext"] == ["Data source · **Support** &lt;b&gt;desk&lt;/b&gt;"]
        long = Node(NodeRef("Document", "7"), {"name": "Renewal terms for <i>Acme</i> Corp"})
        drawn = network(Neighbourhood(long, [long], [], {long.ref: 0}, False)).data[1]
        assert drawn.text == ("Renewal terms for &lt;i&gt;Ac…",), "cut to 24 characters, then escaped"

    def test_more_matches_than_shown_are_said_to_be_more(self, stubs: Stubs) -> None:
        _graph(stubs)
        docs = [Node(NodeRef("Document", str(i)), {"name": f"Renewal {i}"}) for i in range(30)]
        stubs.returns(f"{QUERIES}.search", lambda _r, _a, _text, limit=20, kinds=(): docs[:limit])
        page = open_page(stubs, "graph", "viewer")
        page.at.text_input(key="graph_search").input("Renewal")
        page.run()
        assert len(page.at.selectbox(key="graph_pick").options) == 20
        assert "The first 20 matches: type more of the name to narrow them." in page.texts("caption")

    def test_a_node_not_there_is_said_once_and_nothing_else_is_asked(self, stubs: Stubs) -> None:
        """Not in the graph, or not the viewer's to see (masked): lineage and the rest would only
        say so again; rebuilding is still offered to those who may."""
        _graph(stubs)
        missing = "Document 999 is not in the graph (yet): a sync, a rule applied or a rebuild puts it there"
        stubs.raises(f"{QUERIES}.neighbourhood", NotFoundError(missing))
        page = _at(stubs, "admin", "Document:999")
        assert [e.value for e in page.at.error] == [missing]
        assert not _called(page, "lineage", "impact", "co_occurring")
        assert "Entities and rebuilding" in [e.label for e in page.at.expander]


class TestGraphUpkeep:
    @by_role(*ROLES)
    def test_changes_waiting_are_announced_and_only_source_managers_catch_up(
        self, stubs: Stubs, role: str
    ) -> None:
        _graph(stubs, pending=1200)
        page = open_page(stubs, "graph", role)
        assert page.at.info[0].value.startswith("1,200 change(s) wait to reach the graph")
        manages = role in ("admin", "analyst")
        assert ("Catch up now" in page.labels()) == manages
        if manages:
            page.at.button(key="graph_catch_up").click()
            page.run()
            assert f"{BACKLOG}.catch_up" in page.calls

    def test_a_refused_catch_up_says_why(self, stubs: Stubs) -> None:
        _graph(stubs, pending=3)
        stubs.raises(f"{BACKLOG}.catch_up", InvalidInputError("the graph store does not answer"))
        page = open_page(stubs, "graph", "analyst")
        page.at.button(key="graph_catch_up").click()
        page.run()
        assert page.at.error[0].value == "Still waiting: the graph store does not answer"

    def test_entity_fields_are_saved_for_a_rebuild_and_a_refused_rebuild_says_why(self, stubs: Stubs) -> None:
        _graph(stubs)
        saved: list[Any] = []
        stubs.returns(f"{SETTINGS}.set_entity_fields", lambda _r, _a, fields: saved.append(fields) or "job-1")
        stubs.raises(f"{SETTINGS}.start_rebuild", InvalidInputError("a rebuild is *already* running"))
        page = open_page(stubs, "graph", "admin")
        fields = page.at.multiselect(key="graph_fields")
        assert (fields.options, fields.value) == (["customer", "region"], ["customer"])
        fields.set_value(["customer", "region"])
        page.at.button(key="graph_save_fields").click()
        page.run()
        assert saved == [["customer", "region"]]
        assert page.at.success[0].value == "Saved: the graph is being rebuilt in the background."
        page.at.button(key="graph_rebuild").click()
        page.run()
        assert page.at.error[0].value == r"Not started: a rebuild is \*already\* running"

    def test_a_user_limited_to_some_sources_does_not_rebuild_the_workspace_graph(self, stubs: Stubs) -> None:
        _graph(stubs)
        page = open_page(stubs, "graph", "analyst", narrowed=True)
        assert not page.at.expander
        assert not MANAGE_READS & set(page.calls)
