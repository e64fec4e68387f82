"""The Documents page for each role, its services stubbed: search, export, upload, an open document."""

from __future__ import annotations

import json

from superinsight.services.errors import InvalidInputError
from tests.pages.stubbed import (
    NOW,
    ROLES,
    Stubs,
    by_role,
    open_page,
    starts_with_a_header,
)
from tests.pages.tables import found_documents
from ui.send_to_labeling import NOT_CONNECTED

CLICKED_FIRST_ROW = {"doc_table_1": {"selection": {"rows": [0], "columns": [], "cells": []}}}


def _documents(stubs: Stubs, *, hits: int = 2) -> None:
    from superinsight.services.documents.facets import Facets
    from superinsight.services.documents.search import Hit, SearchPage
    from superinsight.services.documents.sources import SourceRow
    from superinsight.services.documents.views import DocumentDetail

    documents = "superinsight.services.documents"
    stubs.returns(f"{documents}.sources.list_sources", [SourceRow(1, "Support desk", "csv", "active")])
    stubs.returns(
        f"{documents}.search.search",
        SearchPage(
            [
                Hit(n, "Support desk", f"T-{n}", f"Ticket _{n}_", "a «refund»", ["vip"], NOW)
                for n in range(hits)
            ],
            None,
        ),
    )
    stubs.returns(f"{documents}.facets.facets", Facets(hits, [("Support desk", hits)], [], NOW))
    stubs.returns(f"{documents}.edits.edit_history", [])
    stubs.returns(
        f"{documents}.views.get_document",
        DocumentDetail(
            0,
            "Support desk",
            "`T-0`",
            "Ticket *0*",
            "body",
            {"customer": "ACME"},
            [],
            NOW,
            lineage=[("source", "Support desk"), ("rule", "[Refunds](http://x)")],
        ),
    )


class TestDocuments:
    @by_role(*ROLES)
    def test_everyone_searches_and_exports_only_editors_upload_and_edit(
        self, stubs: Stubs, role: str
    ) -> None:
        _documents(stubs)
        page = open_page(stubs, "documents", role, CLICKED_FIRST_ROW)
        starts_with_a_header(page, "Documents")
        assert len(found_documents(page.at)) == 2
        assert {"Export results as CSV", "Export results as JSON Lines"} <= page.labels("download_button")
        may_upload = role in ("admin", "analyst")
        assert any(e.label == "Upload files as documents" for e in page.at.expander) == may_upload
        assert any(e.label == "Edit this document" for e in page.at.expander) == may_upload
        assert "superinsight.services.documents.export.export" not in page.calls, "exported only on a click"
        # No Label Studio configured here: who may send sees the button greyed out, saying why.
        send = [b for b in page.at.button if b.key == "doc_send_to_labeling"]
        assert [(b.disabled, b.help) for b in send] == ([(True, NOT_CONNECTED)] if may_upload else [])

    def test_an_open_document_shows_its_title_and_lineage_as_text(self, stubs: Stubs) -> None:
        _documents(stubs)
        page = open_page(stubs, "documents", "viewer")
        assert "superinsight.services.documents.views.get_document" not in page.calls, "none open yet"
        page = open_page(stubs, "documents", "viewer", CLICKED_FIRST_ROW)
        shown = page.texts("markdown")
        assert r"Ticket \*0\*" in shown and r"\[Refunds\](http\://x)" in shown
        assert r"\`T-0\`" in page.texts("caption")

    @by_role("analyst", "viewer")
    def test_an_empty_workspace_says_where_documents_come_from(self, stubs: Stubs, role: str) -> None:
        _documents(stubs, hits=0)
        page = open_page(stubs, "documents", role)
        assert "No documents yet" in page.at.info[0].value
        assert ("upload files below" in page.at.info[0].value) == (role == "analyst")

    def test_a_refused_search_says_why_and_draws_nothing_else(self, stubs: Stubs) -> None:
        _documents(stubs)
        stubs.raises("superinsight.services.documents.search.search", InvalidInputError("too many words"))
        page = open_page(stubs, "documents", "analyst")
        assert page.at.error[0].value == "too many words"
        assert not page.at.dataframe


class TestNarrowedUser:
    """Workspace-wide actions (the services refuse them) are not offered to a user limited to some sources."""

    def test_no_upload(self, stubs: Stubs) -> None:
        _documents(stubs)
        page = open_page(stubs, "documents", "analyst", narrowed=True)
        assert not [e for e in page.at.expander if e.label == "Upload files as documents"]


class TestFacetCounts:
    def test_counts_by_source_and_tag_are_tables_with_each_figure_written_out(self, stubs: Stubs) -> None:
        from superinsight.services.documents.facets import Facets

        _documents(stubs)
        by_tag = [("vip", 1200), ("<b>urgent</b>", 3)]
        stubs.returns(
            "superinsight.services.documents.facets.facets",
            Facets(1203, [("Support desk", 1203)], by_tag, NOW),
        )
        page = open_page(stubs, "documents", "viewer")
        sources, tags = (table for table in page.at.dataframe if "documents" in table.value.columns)
        assert sources.value.values.tolist() == [["Support desk", 1203]]
        assert tags.value.values.tolist() == [["vip", 1200], ["<b>urgent</b>", 3]], "a tag is text, as typed"
        counts = json.loads(tags.proto.columns)["documents"]["type_config"]
        assert counts == {"type": "progress", "format": "localized", "min_value": 0, "max_value": 1200}, (
            "each count a bar scaled to the largest, with its figure written beside it"
        )
        assert "Most frequent tags (top 2)" in page.texts("markdown")

    def test_an_estimate_says_so_and_counts_exactly_when_asked(self, stubs: Stubs) -> None:
        from superinsight.services.documents.facets import Facets

        _documents(stubs)
        asked: list[bool] = []

        def counted(*args: object, exact: bool = False, **kwargs: object) -> Facets:
            asked.append(exact)
            if exact:
                return Facets(411_873, [("Support desk", 411_873)], [("vip", 2_004)], NOW)
            return Facets(
                412_000, [("Support desk", 412_000)], [("vip", 2_010)], NOW, sampled=19_873, reach=1_000_000
            )

        stubs.returns("superinsight.services.documents.facets.facets", counted)
        page = open_page(stubs, "documents", "viewer")
        assert page.at.metric[0].value == "≈ 412,000"
        assert "random sample of 19,873 of the 1,000,000 documents searched" in page.texts("caption")
        assert "about 8,240 · about 412,000 documents" in page.texts("caption"), "pages are about as many"
        assert "Matching documents by source (estimated)" in page.texts("markdown")
        assert "Count exactly" in page.labels() and "Refresh counts" not in page.labels()

        next(button for button in page.at.button if button.label == "Count exactly").click()
        page.run()
        assert asked == [False, True], "the click asked for every match counted"
        assert page.at.metric[0].value == "411,873" and "Refresh counts" in page.labels()
        assert "(estimated)" not in page.texts("markdown")
        next(button for button in page.at.button if button.label == "Refresh counts").click()
        page.run()
        assert asked == [False, True, True], "refreshed exact figures are counted, not estimated"
        assert page.at.metric[0].value == "411,873"
