"""The documents per tag the database keeps are exact, whatever changes the documents.

After each way a document's tags, source, date or existence changes here (a COPY of a
fresh source, a staged upsert that changes tags, a rule that tags, an edit, a source
deleted by a foreign-key cascade, and each trigger path in plain SQL, deletes included:
an overwrite run's removal is one) the kept counts are compared with a fresh GROUP BY
over the tags' elements, and the Documents page's top tags read from them with the ones
it counts from documents.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, literal, select, text, true, update
from sqlalchemy.orm import Session

from superinsight.db import dialect, migrate
from superinsight.db.engine import build_session_factory
from superinsight.db.models import Document, DocumentTagCount
from superinsight.documents.record import DocumentInput
from superinsight.resources import Resources, build_resources
from superinsight.rules import sqlfuncs
from superinsight.services.context import role_actor, system_actor
from superinsight.services.documents import edits, facet_estimates, facets, tag_counts
from superinsight.services.documents import writer as document_writer
from superinsight.services.documents.search import SearchQuery
from superinsight.services.documents.sources import ensure_source
from superinsight.services.rules import commands as rule_commands
from superinsight.services.rules.drafts import RuleDraft
from superinsight.services.sync import catalogue
from tests.conftest import make_settings
from tests.integration.lock_waits import while_waiting
from tests.integration.test_rules_service import _apply
from tests.integration.triggers import just_before, triggers_and_functions, two_sources

TENANT = "acme"
ADMIN = system_actor(TENANT)
START = datetime(2026, 3, 1, 22, tzinfo=UTC)
Group = tuple[str, int, date, str]


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def kept_counts_match_the_tags(session: Session) -> dict[Group, int]:
    """The kept counts, once shown to equal a fresh GROUP BY over every document's tags that count.

    Refuses an empty answer: a comparison of nothing with nothing would pass whatever
    the triggers do.
    """
    at_utc = (
        func.timezone("UTC", Document.created_at) if dialect.is_postgresql(session) else Document.created_at
    )
    tag = dialect.json_array_texts(session, Document.tags)
    key = (Document.tenant_id, func.coalesce(Document.source_id, 0), func.date(at_utc), tag.c.value)
    grouped = {
        (tenant, source, _as_date(day), value): n
        for tenant, source, day, value, n in session.execute(
            select(*key, func.count())
            .select_from(Document)
            .join(tag, true())
            .where(func.length(tag.c.value) <= facet_estimates.COUNTED_TAG_LENGTH)
            .group_by(*key)
        )
    }
    kept = {
        (row.tenant_id, row.source_id, _as_date(row.day), row.tag): row.documents
        for row in session.scalars(select(DocumentTagCount))
    }
    assert grouped, "nothing to compare: the scenario left no tags"
    assert kept == grouped
    return kept


def exact(resources: Resources) -> dict[Group, int]:
    with resources.uow() as uow:
        return kept_counts_match_the_tags(uow.session)


def _by_tag(kept: dict[Group, int], source: int | None = None) -> dict[str, int]:
    totals: dict[str, int] = {}
    for (_, at, _, tag), n in kept.items():
        if source is None or at == source:
            totals[tag] = totals.get(tag, 0) + n
    return totals


# Each document's number, in the order of their external ids ("North0", "North1", "North10", ...).
_NUMBERS = sorted(range(12), key=str)


def _documents(prefix: str, body: str = "x") -> list[DocumentInput]:
    """Twelve documents over four UTC days (five hours apart, from 22:00 on 1 March), tagged unevenly."""
    return [
        DocumentInput(
            f"{prefix}{n}",
            f"{prefix} {n}",
            body,
            tags=["vip", "billing"][: n % 3] + (["vip"] if n == 5 else []),  # a tag twice counts twice
            created_at=START + timedelta(hours=5 * n),
        )
        for n in range(12)
    ]


@pytest.fixture
def res(db_url: str, tmp_path: Path) -> Iterator[Resources]:
    built = build_resources(make_settings(tmp_path, db_url, sync_follow_ups=False))
    yield built
    built.close()


def _source(resources: Resources, name: str, batch_size: int = 5) -> int:
    source = ensure_source(resources.uow(), ADMIN, name, "csv")
    document_writer.upsert_documents(resources, ADMIN, source, _documents(name), batch_size=batch_size)
    return source


class TestEveryChangeKeepsTheCountsExact:
    def test_a_fresh_source_and_a_staged_upsert_that_changes_tags(self, res: Resources) -> None:
        north = _source(res, "North")
        assert _by_tag(exact(res)) == {"vip": 9, "billing": 4}
        changed = [replace(d, content="new", tags=["urgent"]) for d in _documents("North")[:4]]
        counts = document_writer.upsert_documents(res, ADMIN, north, changed, batch_size=3)
        assert counts.updated == 4
        assert _by_tag(exact(res)) == {"vip": 9 - 2, "billing": 4 - 1, "urgent": 4}

    def test_a_rule_that_tags_and_an_edit(self, res: Resources) -> None:
        _source(res, "North")
        rule = rule_commands.create_rule(
            res, ADMIN, RuleDraft("Late", {"in": ["North 1", {"var": "title"}]}, action="tag")
        )
        _apply(res, rule.id)
        tagged = _by_tag(exact(res))["Late"]
        assert tagged == 3  # North 1, 10 and 11
        with res.uow() as uow:
            first = uow.session.scalars(select(Document.id).order_by(Document.id)).first()
        assert first is not None
        assert edits.edit_document(res, ADMIN, first, tags=["edited", "Late"])
        assert _by_tag(exact(res))["edited"] == 1

    def test_a_writer_counting_its_own_tag_leaves_the_next_statement_to_the_triggers(
        self, res: Resources
    ) -> None:
        north = _source(res, "North")
        lacking = ~sqlfuncs.json_array_has_text(Document.tags, literal("vip"))
        appended = sqlfuncs.json_array_append(Document.tags, literal("vip"))
        with res.uow() as uow:
            statement = update(Document).where(Document.source_id == north, lacking).values(tags=appended)
            assert tag_counts.add_tag(uow.session, TENANT, "vip", statement) == 4  # North0, 3, 6 and 9
            assert _by_tag(kept_counts_match_the_tags(uow.session))["vip"] == 9 + 4
            uow.session.execute(update(Document).where(Document.source_id == north).values(tags=["after"]))
            assert _by_tag(kept_counts_match_the_tags(uow.session)) == {"after": 12}
            uow.commit()

    def test_deleting_a_source_cascades_and_leaves_no_counts_behind(self, res: Resources) -> None:
        north, south = _source(res, "North"), _source(res, "South")
        assert catalogue.delete_source(res, ADMIN, north, "North") == 12
        assert {source for _, source, _, _ in exact(res)} == {south}

    def test_every_trigger_path_in_plain_sql(self, res: Resources) -> None:
        north, south = _source(res, "North"), _source(res, "South")
        with res.uow() as uow:
            if dialect.is_postgresql(uow.session):  # a day is UTC's, whatever the session's zone
                uow.session.execute(text("SET LOCAL TIME ZONE 'Pacific/Kiritimati'"))
            numbered = select(Document.id).where(Document.source_id == north).order_by(Document.external_id)
            ids = dict(zip(_NUMBERS, uow.session.scalars(numbered), strict=True))
            for document_id, change in (
                (ids[1], {"source_id": south}),
                (ids[2], {"source_id": None}),  # counted under source 0
                (ids[4], {"created_at": START - timedelta(days=30)}),
                (ids[5], {"tenant_id": "globex"}),
                (ids[8], {"title": "renamed", "tags": ["vip", "billing"]}),  # the tags it had
                (ids[10], {"tags": []}),
            ):
                uow.session.execute(update(Document).where(Document.id == document_id).values(**change))
                kept_counts_match_the_tags(uow.session)
            uow.session.execute(update(Document).where(Document.source_id == south).values(tags=["bulk"]))
            kept_counts_match_the_tags(uow.session)
            uow.session.execute(delete(Document).where(Document.id.in_([ids[9], ids[10], ids[11]])))
            uow.commit()
        kept = exact(res)
        assert {source for _, source, _, _ in kept} == {north, south, 0}
        assert {tenant for tenant, *_ in kept} == {TENANT, "globex"}

    def test_tags_that_do_not_count_fail_no_write(self, res: Resources) -> None:
        """Tags that are no array, a JSON null in one, and a tag longer than a key may hold.

        No writer stores the first two; a sync may bring the third (the primary key's
        B-tree takes 2,704 bytes at most). Each is written, updated away and deleted.
        """
        north = _source(res, "North")
        long_tag = secrets.token_urlsafe(3000)  # 4,000 characters no compression shrinks under the limit
        with res.uow() as uow:
            first = uow.session.scalars(select(Document).where(Document.source_id == north).limit(1)).one()
            for tags in ({"not": "an array"}, "a scalar"):  # the page's GROUP BY would refuse these
                first.tags = tags
                uow.session.flush()
                kept = {row.tag for row in uow.session.scalars(select(DocumentTagCount))}
                assert kept == {"vip", "billing"}, "the other documents' tags only"
            for tags in ([None, "an", long_tag], ["an", "array"]):
                first.tags = tags
                uow.session.flush()
                kept = _by_tag(kept_counts_match_the_tags(uow.session))
                assert kept["an"] == 1 and long_tag not in kept and None not in kept
            uow.session.execute(
                update(Document).where(Document.id == first.id).values(tags=[long_tag, "an", long_tag])
            )
            uow.session.execute(delete(Document).where(Document.id == first.id))
            kept_counts_match_the_tags(uow.session)
            uow.commit()


@pytest.mark.postgres_only
def test_truncate_takes_every_count(pg_url: str, tmp_path: Path) -> None:
    resources = build_resources(make_settings(tmp_path, pg_url))
    try:
        _source(resources, "North")
        with resources.uow() as uow:
            assert uow.session.scalar(select(func.count()).select_from(DocumentTagCount))
            uow.session.execute(text("TRUNCATE documents CASCADE"))
            uow.commit()
            assert uow.session.scalar(select(func.count()).select_from(DocumentTagCount)) == 0
    finally:
        resources.close()


class TestThePageReadsThem:
    """The top tags read from the kept counts equal the ones counted from the documents."""

    QUERIES = (
        SearchQuery(),
        SearchQuery(sort="newest"),
        SearchQuery(created_from=date(2026, 3, 2)),
        SearchQuery(created_from=date(2026, 3, 2), created_to=date(2026, 3, 3)),
    )

    def test_for_each_narrowing_and_reach(self, res: Resources) -> None:
        north, south = _source(res, "North"), _source(res, "South")
        document_writer.upsert_documents(
            res, ADMIN, south, [replace(d, tags=["south"]) for d in _documents("X")], batch_size=4
        )
        queries = [*self.QUERIES, SearchQuery(source_ids=(south,)), SearchQuery(source_ids=(north, south))]
        scoped = replace(role_actor(TENANT, "analyst"), source_ids=frozenset({north}))
        compared = 0
        for actor in (ADMIN, scoped):
            for query in queries:
                with res.uow() as uow:
                    session = uow.session
                    assert facets._by_sources_and_dates(query)
                    kept = session.execute(facets._kept_tag_counts(actor, query)).all()
                    counted = session.execute(facets._tag_counts(session, actor, query)).all()
                assert [tuple(row) for row in kept] == [tuple(row) for row in counted]
                assert facets.facets(res, actor, query, exact=True).by_tag == [tuple(row) for row in kept]
                compared += bool(kept)
        assert compared >= 9, "most narrowings must have tags to compare"

    def test_they_are_what_the_page_reads(self, res: Resources) -> None:
        """Counts put in the kept rows by hand show on the page for a date narrowing, not for a word."""
        _source(res, "North")
        with res.uow() as uow:
            uow.session.execute(update(DocumentTagCount).values(documents=DocumentTagCount.documents + 1000))
            uow.commit()
        kept = facets.facets(res, ADMIN, SearchQuery(created_from=date(2026, 3, 1)), exact=True)
        assert dict(kept.by_tag)["vip"] > 1000
        counted = facets.facets(res, ADMIN, SearchQuery(text="x"), exact=True)
        assert dict(counted.by_tag)["vip"] == 9

    def test_a_search_word_still_counts_the_documents(self) -> None:
        assert not facets._by_sources_and_dates(SearchQuery(text="refund"))
        assert not facets._by_sources_and_dates(SearchQuery(tags=("vip",)))


def test_the_migration_counts_the_tags_already_there(empty_url: str) -> None:
    engine, before = just_before(empty_url, "0021")
    with build_session_factory(engine)() as session:
        sources = two_sources(session, TENANT)
        session.add_all(
            Document(
                tenant_id=TENANT,
                source_id=None if n % 7 == 0 else sources[n % 2].id,
                external_id=str(n),
                content_hash=str(n),
                tags=[["a"], ["a", "b"], [], ["b", "c", "c"]][n % 4],
                created_at=START + timedelta(hours=5 * n),
            )
            for n in range(40)
        )
        session.commit()
    migrate.upgrade(engine)
    with build_session_factory(engine)() as session:
        kept = kept_counts_match_the_tags(session)
    assert _by_tag(kept) == {"a": 20, "b": 20, "c": 20}
    installed = (3, 0) if engine.dialect.name == "sqlite" else (5, 5)
    assert triggers_and_functions(engine, "document_tag_counts") == installed
    migrate.downgrade(engine, before)
    assert triggers_and_functions(engine, "document_tag_counts") == (0, 0), (
        "a downgrade takes the triggers and functions too"
    )
    engine.dispose()


@pytest.mark.postgres_only
def test_a_transaction_waiting_on_another_to_retag_the_same_documents_counts_after_it(
    pg_url: str, tmp_path: Path
) -> None:
    """The second waits on rows the first retagged; it notes and folds its own once they are free,
    and the counts end as the second left the tags (the scratch table empty)."""
    resources = build_resources(make_settings(tmp_path, pg_url))
    try:
        north = _source(resources, "North")
        retag = update(Document).where(Document.source_id == north)
        with Session(resources.engine) as first, Session(resources.engine) as second:
            first.execute(retag.where(Document.external_id != "North11").values(tags=["first"]))
            while_waiting(resources, first, second, lambda: second.execute(retag.values(tags=["second"])))
        assert _by_tag(exact(resources)) == {"second": 12}
        with resources.uow() as uow:
            assert uow.session.scalar(text("SELECT count(*) FROM document_tag_changes")) == 0
    finally:
        resources.close()
