"""Document search on both stores: full text, filters, stable keyset pages, masking and cached facets."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text, update

from superinsight.db.base import utcnow
from superinsight.db.models import Document
from superinsight.documents.record import DocumentInput
from superinsight.masking import MaskingRule
from superinsight.resources import Resources, build_resources
from superinsight.services.context import role_actor, system_actor
from superinsight.services.documents import arrivals, facets, ranking, sampling, search
from superinsight.services.documents import masking as masking_rules
from superinsight.services.documents import writer as document_writer
from superinsight.services.documents.search import SearchQuery
from superinsight.services.documents.sources import ensure_source
from superinsight.services.errors import InvalidInputError, PermissionDeniedError
from superinsight.services.rules import apply as rule_apply
from superinsight.services.rules import commands as rule_commands
from superinsight.services.rules.drafts import RuleDraft
from tests.conftest import make_settings

ADMIN = system_actor("acme")
ANALYST = role_actor("acme", "analyst")


@pytest.fixture
def corpus(resources: Resources) -> dict[str, int]:
    tickets = ensure_source(resources.uow(), ADMIN, "Tickets", "csv")
    contracts = ensure_source(resources.uow(), ADMIN, "Contracts", "database")
    now = utcnow()
    docs = [
        DocumentInput(
            f"T{i}",
            f"Ticket {i}: {'refund requested' if i % 3 == 0 else 'login problem'}",
            f"The customer {'asks for refunds of a duplicate charge' if i % 3 == 0 else 'cannot log in'}.",
            {"region": "EMEA" if i % 2 else "NA", "priority": "urgent" if i % 5 == 0 else "normal"},
            ["vip"] if i % 4 == 0 else [],
            now - timedelta(days=i),
        )
        for i in range(30)
    ]
    document_writer.upsert_documents(resources, ADMIN, tickets, docs)
    document_writer.upsert_documents(
        resources,
        ADMIN,
        contracts,
        [
            DocumentInput(f"C{i}", f"Contract {i}", "Renewal terms and refund clause.", {"region": "APAC"})
            for i in range(5)
        ],
    )
    return {"tickets": tickets, "contracts": contracts}


def _all_hits(resources: Resources, query: SearchQuery, limit: int = 4) -> list[search.Hit]:
    hits: list[search.Hit] = []
    cursor = None
    while True:
        page = search.search(resources, ANALYST, query, cursor=cursor, limit=limit)
        hits.extend(page.hits)
        if page.next_cursor is None:
            return hits
        cursor = page.next_cursor


def _all_ids(resources: Resources, query: SearchQuery, limit: int = 4) -> list[int]:
    return [hit.id for hit in _all_hits(resources, query, limit)]


class TestFullText:
    def test_finds_words_with_their_other_forms_and_marks_them(
        self, resources: Resources, corpus: dict
    ) -> None:
        page = search.search(resources, ANALYST, SearchQuery(text="refund"), limit=100)
        assert {hit.external_id for hit in page.hits} == {f"T{i}" for i in range(0, 30, 3)} | {
            f"C{i}" for i in range(5)
        }
        assert any("«" in hit.snippet and "»" in hit.snippet for hit in page.hits)

    def test_every_word_must_appear(self, resources: Resources, corpus: dict) -> None:
        page = search.search(resources, ANALYST, SearchQuery(text="refund duplicate"), limit=100)
        assert {hit.external_id for hit in page.hits} == {f"T{i}" for i in range(0, 30, 3)}

    @pytest.mark.parametrize(
        "text", ['"refund', "refund OR 1=1", "NEAR(refund", "refund*", "-refund", "'; --"]
    )
    def test_operators_and_quotes_are_plain_text(self, resources: Resources, corpus: dict, text: str) -> None:
        search.search(resources, ANALYST, SearchQuery(text=text))

    def test_the_index_follows_edits(self, resources: Resources, corpus: dict) -> None:
        document_writer.upsert_documents(
            resources, ADMIN, corpus["contracts"], [DocumentInput("C0", "Contract 0", "Now about penguins.")]
        )
        found = {
            hit.external_id for hit in search.search(resources, ANALYST, SearchQuery(text="penguins")).hits
        }
        assert found == {"C0"}
        assert "C0" not in {
            hit.external_id
            for hit in search.search(resources, ANALYST, SearchQuery(text="renewal"), limit=50).hits
        }


class TestFilters:
    def test_source_metadata_tags_and_dates_narrow_the_results(
        self, resources: Resources, corpus: dict
    ) -> None:
        def found(query: SearchQuery) -> set[str]:
            return {hit.external_id for hit in search.search(resources, ANALYST, query, limit=200).hits}

        assert len(found(SearchQuery(source_ids=(corpus["contracts"],)))) == 5
        assert found(SearchQuery(metadata=(("region", "APAC"),))) == {f"C{i}" for i in range(5)}
        assert found(SearchQuery(tags=("vip",))) == {f"T{i}" for i in range(0, 30, 4)}
        recent = found(
            SearchQuery(created_from=(utcnow() - timedelta(days=2)).date(), source_ids=(corpus["tickets"],))
        )
        assert recent == {"T0", "T1", "T2"}
        assert found(SearchQuery(text="refund", metadata=(("priority", "urgent"),))) == {"T0", "T15"}

    def test_documents_matched_by_a_rule(self, resources: Resources, corpus: dict) -> None:
        rule = rule_commands.create_rule(
            resources, ADMIN, RuleDraft("Urgent", {"==": [{"var": "metadata.priority"}, "urgent"]})
        )
        rule_apply.apply_rule(resources, ADMIN, rule.id, rule_apply.new_run(resources, ADMIN, rule.id))
        hits = search.search(resources, ANALYST, SearchQuery(rule_id=rule.id), limit=50).hits
        assert {hit.external_id for hit in hits} == {f"T{i}" for i in range(0, 30, 5)}

    def test_labels_annotators_gave(self, resources: Resources, corpus: dict) -> None:
        """`documents.labels` counts the pulled annotations per label; any of the asked ones matches."""
        given = {
            "T1": {"refund": 2},
            "T2": {"refund": 0, "login": 1},
            "T3": {"login": 1},
            "C0": {"refund": 1},
        }
        with resources.uow() as uow:
            for external_id, labels in given.items():
                uow.session.execute(
                    update(Document).where(Document.external_id == external_id).values(labels=labels)
                )
            uow.commit()

        def found(*labels: str) -> set[str]:
            return {
                hit.external_id for hit in search.search(resources, ANALYST, SearchQuery(labels=labels)).hits
            }

        assert found("refund") == {"T1", "C0"}, "a label counted 0 times was taken back"
        assert found("refund", "login") == {"T1", "T2", "T3", "C0"}
        assert found("nobody_gave_this") == set()
        assert facets.facets(resources, ANALYST, SearchQuery(labels=("login",))).total == 2

    @pytest.mark.parametrize(
        ("query", "message"),
        [
            (SearchQuery(text="x" * 501), "longer than 500"),
            (SearchQuery(metadata=(("a b", "x"),)), "letters, digits"),
            (SearchQuery(text="\x00"), "NUL"),
            (SearchQuery(labels=("x' OR 1=1 --",)), "labels of letters, digits and _"),
            (SearchQuery(labels=("a.b",)), "labels of letters, digits and _"),
            (SearchQuery(labels=tuple(f"l{n}" for n in range(101))), "at most 100"),
        ],
    )
    def test_bad_queries_are_refused(self, resources: Resources, query: SearchQuery, message: str) -> None:
        with pytest.raises(InvalidInputError, match=message):
            search.search(resources, ANALYST, query)

    def test_a_tampered_page_link_is_refused(self, resources: Resources, corpus: dict) -> None:
        with pytest.raises(InvalidInputError, match="page link"):
            search.search(resources, ANALYST, SearchQuery(), cursor="bm9wZQ==")


class TestPaging:
    @pytest.mark.parametrize(
        "query",
        [
            SearchQuery(text="refund"),
            SearchQuery(sort="newest"),
            SearchQuery(sort="oldest"),
            SearchQuery(text="ticket", sort="oldest"),
        ],
    )
    def test_pages_have_no_duplicates_or_gaps(
        self, resources: Resources, corpus: dict, query: SearchQuery
    ) -> None:
        paged = _all_ids(resources, query)
        whole = [hit.id for hit in search.search(resources, ANALYST, query, limit=200).hits]
        assert paged == whole
        assert len(set(paged)) == len(paged)

    def test_newest_and_oldest_go_by_each_documents_own_date(
        self, resources: Resources, corpus: dict
    ) -> None:
        # Tickets are dated 0..29 days ago and were written first; contracts carry no date,
        # so they are dated when written (after the tickets) and share that moment.
        newest = [hit.external_id for hit in _all_hits(resources, SearchQuery(sort="newest"))]
        assert newest == [f"C{i}" for i in range(4, -1, -1)] + [f"T{i}" for i in range(30)]
        oldest = [hit.external_id for hit in _all_hits(resources, SearchQuery(sort="oldest"))]
        assert oldest == newest[::-1]

    @pytest.mark.parametrize("sort", ["newest", "oldest"])
    def test_a_page_link_of_another_kind_is_refused(
        self, resources: Resources, corpus: dict, sort: str
    ) -> None:
        ranked = search.search(resources, ANALYST, SearchQuery(text="ticket"), limit=2).next_cursor
        dated = search.search(resources, ANALYST, SearchQuery(sort="newest"), limit=2).next_cursor
        assert ranked is not None and dated is not None
        with pytest.raises(InvalidInputError, match="page link"):
            search.search(resources, ANALYST, SearchQuery(sort=sort), cursor=ranked)  # type: ignore[arg-type]
        with pytest.raises(InvalidInputError, match="page link"):
            search.search(resources, ANALYST, SearchQuery(text="ticket"), cursor=dated)


class TestWhoSeesWhat:
    def test_other_tenants_find_nothing(self, resources: Resources, corpus: dict) -> None:
        assert search.search(resources, role_actor("evil", "analyst"), SearchQuery(text="refund")).hits == []

    def test_masking_applies_to_titles_and_snippets(self, resources: Resources, corpus: dict) -> None:
        masking_rules.add_masking_rule(resources, ADMIN, "charges", MaskingRule(None, "duplicate", "redact"))
        viewer = role_actor("acme", "viewer")
        hits = search.search(resources, viewer, SearchQuery(text="charge")).hits
        assert hits and all("duplicate" not in hit.snippet for hit in hits)
        with pytest.raises(PermissionDeniedError, match="masked for your role"):
            search.search(resources, viewer, SearchQuery(text="duplicate"))
        assert any(
            "duplicate" in hit.snippet
            for hit in search.search(resources, ANALYST, SearchQuery(text="duplicate")).hits
        )


class TestFacets:
    def test_counts_by_source_and_tag(self, resources: Resources, corpus: dict) -> None:
        counted = facets.facets(resources, ANALYST, SearchQuery(text="refund"))
        assert counted.total == 15
        assert dict(counted.by_source) == {"Tickets": 10, "Contracts": 5}
        assert dict(counted.by_tag) == {"vip": 3}

    def test_cached_until_documents_change_and_an_exact_count_recomputes(
        self, resources: Resources, corpus: dict
    ) -> None:
        first = facets.facets(resources, ANALYST, SearchQuery())
        again = facets.facets(resources, ANALYST, SearchQuery())
        assert (first.from_cache, again.from_cache, again.total) == (False, True, 35)
        assert facets.facets(resources, ANALYST, SearchQuery(), exact=True).from_cache is False
        document_writer.upsert_documents(
            resources, ADMIN, corpus["contracts"], [DocumentInput("C99", "New", "x")]
        )
        after = facets.facets(resources, ANALYST, SearchQuery())
        assert (after.from_cache, after.total) == (False, 36)

    @pytest.mark.parametrize(
        "narrowed",
        [
            {},
            {"source": "tickets"},
            {"created_from": 3, "created_to": 10},
            {"source": "contracts", "created_from": 0},
            {"created_to": 40},
        ],
    )
    def test_by_sources_and_dates_the_kept_arrivals_give_the_documents_own_counts(
        self, resources: Resources, corpus: dict, narrowed: dict
    ) -> None:
        today = utcnow().date()
        query = SearchQuery(
            source_ids=(corpus[narrowed["source"]],) if "source" in narrowed else (),
            created_from=today - timedelta(days=narrowed["created_to"]) if "created_to" in narrowed else None,
            created_to=today - timedelta(days=narrowed["created_from"])
            if "created_from" in narrowed
            else None,
        )
        counted = facets.facets(resources, ANALYST, query)
        with resources.uow() as uow:
            grouped = dict(uow.session.execute(facets._source_counts(uow.session, ANALYST, query)).all())
        assert sum(grouped.values()) > 0, "compared on some documents"
        assert dict(counted.by_source) == grouped and counted.total == sum(grouped.values())

    def test_the_counts_by_source_are_read_from_the_arrivals_only_when_nothing_else_narrows(
        self, resources: Resources, corpus: dict
    ) -> None:
        with resources.uow() as uow:  # an arrival no document backs shows which table was read
            arrivals.add(uow.session, "acme", corpus["contracts"], {utcnow().date(): 100})
            uow.commit()
        kept = (
            SearchQuery(),
            SearchQuery(text=" "),
            SearchQuery(source_ids=(corpus["contracts"],), sort="newest"),
        )
        for query in kept:
            assert dict(facets.facets(resources, ANALYST, query).by_source)["Contracts"] == 105
        for query in (
            SearchQuery(text="refund"),
            SearchQuery(tags=("vip",)),
            SearchQuery(metadata=(("region", "APAC"),)),
        ):
            counted = dict(facets.facets(resources, ANALYST, query).by_source).get("Contracts", 0)
            assert counted <= 5, f"{query} counts the documents themselves"


def _postgres_with(pg_url: str, tmp_path: Path, docs: list[DocumentInput]) -> Resources:
    """A workbench on PostgreSQL (where ranking is confined) holding these documents in one source."""
    resources = build_resources(make_settings(tmp_path, pg_url))
    source = ensure_source(resources.uow(), ADMIN, "S", "csv")
    document_writer.upsert_documents(resources, ADMIN, source, docs)
    return resources


@pytest.mark.postgres_only
def test_postgresql_ranks_only_the_newest_matches(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    resources = _postgres_with(
        pg_url,
        tmp_path,
        [DocumentInput(f"D{i}", f"refund {i}", "refund " * (i + 1)) for i in range(8)],
    )
    monkeypatch.setattr(ranking, "RANKED_MATCHES", 3)
    ranked = search.search(resources, ANALYST, SearchQuery(text="refund"), limit=50).hits
    assert [hit.external_id for hit in ranked] == ["D7", "D6", "D5"]
    everything = search.search(resources, ANALYST, SearchQuery(text="refund", sort="newest"), limit=50).hits
    assert len(everything) == 8
    assert facets.facets(resources, ANALYST, SearchQuery(text="refund")).total == 8
    resources.close()


def _analyze(resources: Resources) -> None:
    """Have the planner count the table: a floor is sought only in a table it knows to be large."""
    with resources.uow() as uow:
        uow.session.execute(text("ANALYZE documents"))


def _floor(resources: Resources, word: str) -> int | None:
    _analyze(resources)
    with resources.uow() as uow:
        newest = search.filtered_documents(
            uow.session, ANALYST, SearchQuery(text=word), select(Document.id.label("id"))
        )
        return ranking.newest_matches_floor(uow.session, newest)


def _ids(resources: Resources) -> dict[str, int]:
    with resources.uow() as uow:
        return {name: id_ for name, id_ in uow.session.execute(select(Document.external_id, Document.id))}


def _ranked_above_floors(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Per search from now on, whether it ranked the ids it read above a floor."""
    above_floors: list[bool] = []
    read_above = ranking._newest_above_floor

    def spied(*args: Any) -> Any:
        found = read_above(*args)
        above_floors.append(found is not None)
        return found

    monkeypatch.setattr(ranking, "_newest_above_floor", spied)
    return above_floors


def _alternating(pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Resources:
    """20 documents, "refund" in the even ones, "login" in the odd; older ones say it more often,
    so ranked over every match they would come first. Three matches are ranked, past 10 documents."""
    monkeypatch.setattr(ranking, "RANKED_MATCHES", 3)
    monkeypatch.setattr(ranking, "RANKED_WHOLLY_BELOW", 10)
    return _postgres_with(
        pg_url,
        tmp_path,
        [
            DocumentInput(f"D{i}", f"note {i}", ("refund " if i % 2 == 0 else "login ") * (20 - i))
            for i in range(20)
        ],
    )


@pytest.mark.postgres_only
def test_a_common_word_is_ranked_above_a_floor_the_sample_chose(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    resources = _alternating(pg_url, tmp_path, monkeypatch)
    # 20 documents make a whole-table sample; twice 3 matches above the floor: the 6th newest.
    assert _floor(resources, "refund") == _ids(resources)["D8"]
    above_floors = _ranked_above_floors(monkeypatch)
    ranked = search.search(resources, ANALYST, SearchQuery(text="refund"), limit=50)
    assert above_floors == [True]
    assert [hit.external_id for hit in ranked.hits] == ["D14", "D16", "D18"]
    assert ranked.ranked_newest_only
    resources.close()


@pytest.mark.postgres_only
def test_a_floor_with_too_few_matches_above_it_is_not_used(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    resources = _alternating(pg_url, tmp_path, monkeypatch)
    # A margin of one half picks the 2nd newest match, with only one above it: not used.
    monkeypatch.setattr(ranking, "FLOOR_MARGIN", 0.5)
    assert _floor(resources, "refund") == _ids(resources)["D16"]
    above_floors = _ranked_above_floors(monkeypatch)
    ranked = search.search(resources, ANALYST, SearchQuery(text="refund"), limit=50).hits
    assert above_floors == [False]
    assert [hit.external_id for hit in ranked] == ["D14", "D16", "D18"]
    # Fewer matches than the sample looks for (2 of 6): the word is rare, every match is ranked.
    monkeypatch.setattr(ranking, "FLOOR_MARGIN", 2.0)
    assert _floor(resources, "login") is not None
    document_writer.upsert_documents(
        resources,
        ADMIN,
        ensure_source(resources.uow(), ADMIN, "S", "csv"),
        [DocumentInput("R1", "rare", "quokka"), DocumentInput("R2", "rare", "quokka")],
    )
    assert _floor(resources, "quokka") is None
    resources.close()


@pytest.mark.postgres_only
def test_a_small_table_ranks_every_match(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    resources = _postgres_with(
        pg_url, tmp_path, [DocumentInput(f"D{i}", f"note {i}", "refund") for i in range(20)]
    )
    monkeypatch.setattr(ranking, "RANKED_MATCHES", 3)
    assert _floor(resources, "refund") is None  # 20 documents, far below RANKED_WHOLLY_BELOW
    monkeypatch.setattr(ranking, "RANKED_WHOLLY_BELOW", 10)
    assert _floor(resources, "refund") == _ids(resources)["D14"]
    resources.close()


@pytest.mark.postgres_only
def test_a_partial_sample_s_floor_ranks_what_every_match_ranks(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages drawn at random, with filters and a second page: the same hits as ranking every match."""
    filler = "lorem ipsum dolor " * 40  # about seven documents to a page of the table
    resources = _postgres_with(
        pg_url,
        tmp_path,
        [
            DocumentInput(
                f"D{i}",
                f"note {i}",
                ("refund " * (1 + i % 7) if i % 3 else "login ") + filler,
                tags=["vip"] if i % 2 else [],
            )
            for i in range(600)
        ],
    )
    monkeypatch.setattr(ranking, "RANKED_MATCHES", 40)
    monkeypatch.setattr(sampling, "SAMPLE_ROWS", 200)  # a third of the table's pages
    queries = [SearchQuery(text="refund"), SearchQuery(text="refund", tags=("vip",))]

    def hits(query: SearchQuery) -> list[str]:
        first = search.search(resources, ANALYST, query, limit=15)
        second = search.search(resources, ANALYST, query, limit=15, cursor=first.next_cursor)
        return [hit.external_id for hit in (*first.hits, *second.hits)]

    monkeypatch.setattr(ranking, "RANKED_WHOLLY_BELOW", 10**9)
    every_match = {query: hits(query) for query in queries}
    monkeypatch.setattr(ranking, "RANKED_WHOLLY_BELOW", 10)
    _analyze(resources)
    above_floors = _ranked_above_floors(monkeypatch)
    for _ in range(5):
        assert {query: hits(query) for query in queries} == every_match
    assert any(above_floors), "no search ranked above a floor: nothing was compared"
    assert len(every_match[queries[1]]) == 30
    resources.close()


class TestQualityBands:
    def test_clean_warning_and_error_bands(self, resources: Resources, corpus: dict) -> None:
        from superinsight.db.models import Document, QualityIssue

        with resources.uow() as uow:
            ids = {
                external_id: doc_id
                for external_id, doc_id in uow.session.execute(
                    select(Document.external_id, Document.id).where(Document.source_id == corpus["contracts"])
                )
            }
            for external_id, severity, status in [
                ("C0", "warning", "open"),
                ("C1", "warning", "acknowledged"),
                ("C1", "error", "open"),
                ("C2", "critical", "resolved"),
                ("C3", "info", "resolved"),
            ]:
                uow.session.add(
                    QualityIssue(
                        tenant_id="acme",
                        document_id=ids[external_id],
                        source_id=corpus["contracts"],
                        check_name="c",
                        dimension="validity",
                        severity=severity,
                        status=status,
                    )
                )
            uow.commit()

        def band(name: str) -> set[str]:
            query = SearchQuery(source_ids=(corpus["contracts"],), quality_band=name)  # type: ignore[arg-type]
            return {hit.external_id for hit in search.search(resources, ANALYST, query, limit=100).hits}

        # Resolved issues do not count; C1's open error outweighs its warning.
        assert band("clean") == {"C2", "C3", "C4"}
        assert band("warnings") == {"C0"}
        assert band("errors") == {"C1"}
