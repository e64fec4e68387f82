"""The Data sources page for each role, its services stubbed: the list, tests, saving and deleting."""

from __future__ import annotations

from superinsight.services.errors import InvalidInputError
from tests.pages.stubbed import (
    NOW,
    ROLES,
    Stubs,
    by_role,
    open_page,
    starts_with_a_header,
)


def _sources(stubs: Stubs, *, listed: bool = True) -> None:
    from superinsight.services.sync.catalogue import CatalogueRow
    from superinsight.services.sync.connections import SourceView

    connections = "superinsight.services.sync.connections"
    stubs.returns(
        f"{connections}.synced_sources",
        [SourceView(1, "Tickets", "csv", {"path": "tickets.csv"}, False, "active", "ok", None)]
        if listed
        else [],
    )
    stubs.returns(
        "superinsight.services.sync.catalogue.catalogue",
        [
            CatalogueRow(1, "Tickets", "csv", 1200, 1, NOW, "succeeded", "ok", NOW),
            CatalogueRow(2, "Uploads", "upload", 1, 0, None, None, None, None),
        ]
        if listed
        else [],
    )
    stubs.returns(f"{connections}.test_source", "tickets.csv: 50 records")
    stubs.returns(f"{connections}.test_draft", "tickets.csv: 50 records")
    stubs.returns(f"{connections}.create_source", 2)
    stubs.returns("superinsight.services.sync.catalogue.delete_source", 1200)


class TestSources:
    @by_role(*ROLES)
    def test_everyone_reads_the_list_only_managers_add_or_test(self, stubs: Stubs, role: str) -> None:
        _sources(stubs)
        page = open_page(stubs, "sources", role)
        starts_with_a_header(page, "Data sources")
        table = page.at.dataframe[0].value
        assert table["Source"].tolist() == ["Tickets", "Uploads"], "uploads and synced sources alike"
        assert table["Documents"].tolist() == [1200, 1]
        assert table["Last sync"].tolist() == ["succeeded · 30 Nov 2026 12:00", "—"]
        may_manage = role in ("admin", "analyst")
        assert bool({"Test connection", "Save source"} & page.labels()) == may_manage
        assert [b.label for b in page.at.button].count("Test connection") == may_manage, "one Test button"
        assert ("Delete source" in page.labels()) == may_manage

    def test_deleting_says_what_goes_and_needs_the_name(self, stubs: Stubs) -> None:
        _sources(stubs)
        page = open_page(stubs, "sources", "analyst")
        page.at.selectbox(key="delete_choice").select("Tickets")
        page.run()
        assert "removes its 1,200 documents, its 1 sync job and their run history" in page.at.warning[0].value
        delete = next(b for b in page.at.button if b.label == "Delete source")
        assert delete.disabled
        page.at.text_input(key="delete_typed").input("Tickets")
        page.run()
        next(b for b in page.at.button if b.label == "Delete source").click()
        page.run()
        assert "superinsight.services.sync.catalogue.delete_source" in page.calls
        assert page.at.success[0].value == "Deleted Tickets and 1,200 documents."

    def test_a_test_shows_its_answer_and_the_list_is_read_again(self, stubs: Stubs) -> None:
        _sources(stubs)
        page = open_page(stubs, "sources", "analyst")
        page.at.selectbox(key="source_choice").select("Tickets")
        page.run()
        next(b for b in page.at.button if b.label == "Test connection").click()
        page.run()
        assert page.at.success[0].value == "tickets.csv: 50 records"
        tested = page.calls.index("superinsight.services.sync.connections.test_source")
        assert "superinsight.services.sync.catalogue.catalogue" in page.calls[tested:], "listed after it"

    def test_a_saved_source_leaves_an_empty_form(self, stubs: Stubs) -> None:
        _sources(stubs, listed=False)
        page = open_page(stubs, "sources", "analyst")
        page.at.selectbox(key="source_type").select("csv")
        page.run()
        next(t for t in page.at.text_input if t.label == "Name").input("Orders")
        next(b for b in page.at.button if b.label == "Save source").click()
        page.run()
        assert page.at.success[0].value.startswith("Saved Orders.")
        assert next(t for t in page.at.text_input if t.label == "Name").value == ""

    @by_role("analyst", "viewer")
    def test_no_sources_says_who_adds_one(self, stubs: Stubs, role: str) -> None:
        _sources(stubs, listed=False)
        page = open_page(stubs, "sources", role)
        assert ("Add a database" in page.at.info[0].value) == (role == "analyst")
        assert ("Ask an analyst" in page.at.info[0].value) == (role == "viewer")

    def test_a_refused_source_says_why_and_keeps_the_form(self, stubs: Stubs) -> None:
        _sources(stubs, listed=False)
        stubs.raises(
            "superinsight.services.sync.connections.create_source",
            InvalidInputError("the path must be inside the files folder"),
        )
        page = open_page(stubs, "sources", "analyst")
        page.at.selectbox(key="source_type").select("csv")
        page.run()
        next(b for b in page.at.button if b.label == "Save source").click()
        page.run()
        assert page.at.error[0].value == "Not saved: the path must be inside the files folder"
        assert "Save source" in page.labels()


class TestNarrowedUser:
    """Workspace-wide actions (the services refuse them) are not offered to a user limited to some sources."""

    def test_no_new_source_but_their_own_can_be_changed(self, stubs: Stubs) -> None:
        _sources(stubs)
        page = open_page(stubs, "sources", "analyst", narrowed=True)
        assert page.at.selectbox(key="source_choice").options == ["Tickets"]
        assert "Save source" in page.labels()
