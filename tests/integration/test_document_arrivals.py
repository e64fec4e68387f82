"""The documents per day the overview charts are kept exact by every writer; the backfill agrees.

After each kind of write (an upload, a sync's COPY and staged batches, an overwrite run
that removes documents, the demo, an edit, a source's deletion) the table must equal a
GROUP BY over the documents themselves, by tenant, source and UTC day.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from superinsight.db import dialect, migrate
from superinsight.db.base import utcnow
from superinsight.db.engine import build_engine, build_session_factory
from superinsight.db.models import Document, DocumentArrival
from superinsight.documents.record import DocumentInput
from superinsight.resources import Resources, build_resources
from superinsight.services.context import system_actor
from superinsight.services.demo.seed import seed_demo
from superinsight.services.documents import arrivals, edits
from superinsight.services.documents import views as document_views
from superinsight.services.documents import writer as document_writer
from superinsight.services.documents.batch_writer import write_batch
from superinsight.services.documents.sources import ensure_source
from superinsight.services.documents.staging import Target, stage
from superinsight.services.sync import catalogue, connections
from superinsight.services.sync import jobs as sync_jobs
from superinsight.sync.modes import MODES
from tests.conftest import make_settings
from tests.integration.lock_waits import until_someone_waits
from tests.integration.test_sync import run_job

TENANT = "acme"
ADMIN = system_actor(TENANT)
EAST = timezone(timedelta(hours=9))
WEST = timezone(timedelta(hours=-7))
# Either side of midnight UTC, written in offsets that put them on other days locally.
EDGES = [
    datetime(2026, 3, 1, 23, 30, tzinfo=WEST),  # 2026-03-02 06:30 UTC
    datetime(2026, 3, 2, 8, 59, tzinfo=EAST),  # 2026-03-01 23:59 UTC
    datetime(2026, 3, 2, 0, 0, tzinfo=UTC),
    datetime(2026, 3, 2, 23, 59, 59, 999999, tzinfo=UTC),
]
# 23 moments over six days, at different hours of the day.
SPREAD = [datetime(2026, 2, 20, 12, tzinfo=UTC) + timedelta(days=n % 5, hours=n) for n in range(23)]

Counts = dict[tuple[str, int, date], int]


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def recorded(session: Session) -> Counts:
    rows = session.execute(
        select(
            DocumentArrival.tenant_id,
            DocumentArrival.source_id,
            DocumentArrival.day,
            DocumentArrival.documents,
        )
    )
    return {(tenant, source, _as_date(day)): count for tenant, source, day, count in rows}


def grouped(session: Session) -> Counts:
    """A fresh GROUP BY over the documents, by the UTC day of their own date."""
    at_utc = (
        func.timezone("UTC", Document.created_at) if dialect.is_postgresql(session) else Document.created_at
    )
    source, day = func.coalesce(Document.source_id, arrivals.NO_SOURCE), func.date(at_utc)
    rows = session.execute(
        select(Document.tenant_id, source, day, func.count()).group_by(Document.tenant_id, source, day)
    )
    return {(tenant, source_id, _as_date(on)): count for tenant, source_id, on, count in rows}


def assert_exact(resources: Resources, at_least: int = 1) -> Counts:
    """The writers' counts are a GROUP BY over the documents, with at least `at_least` (source, day) rows."""
    with resources.uow() as uow:
        kept, fresh = recorded(uow.session), grouped(uow.session)
    assert len(fresh) >= at_least, f"only {len(fresh)} (source, day) groups: too few to prove anything"
    assert kept == fresh
    return kept


def _dated(prefix: str, moments: list[datetime], body: str = "x") -> list[DocumentInput]:
    return [DocumentInput(f"{prefix}{n}", f"T{n}", body, created_at=at) for n, at in enumerate(moments)]


@pytest.fixture
def res(db_url: str, tmp_path: Path) -> Iterator[Resources]:
    files = tmp_path / "files"
    (files / TENANT).mkdir(parents=True)
    built = build_resources(make_settings(tmp_path, db_url, files_root=files, sync_follow_ups=False))
    yield built
    built.close()


class TestTheWritersKeepTheCounts:
    def test_uploads_count_what_they_insert_and_not_what_they_update(self, res: Resources) -> None:
        source = ensure_source(res.uow(), ADMIN, "Tickets", "csv")
        # A fresh source (COPY straight into documents on PostgreSQL), in batches of 5.
        document_writer.upsert_documents(res, ADMIN, source, _dated("a", SPREAD + EDGES), batch_size=5)
        first = assert_exact(res, at_least=6)
        # Through the staging table: 10 changed (their dates are kept), 4 unchanged, 3 new.
        again = _dated("a", SPREAD[:10], body="changed") + _dated("a", SPREAD)[10:14] + _dated("b", EDGES[:3])
        counts = document_writer.upsert_documents(res, ADMIN, source, again, batch_size=4)
        assert (counts.inserted, counts.updated, counts.unchanged) == (3, 10, 4)
        after = assert_exact(res, at_least=6)
        assert sum(after.values()) == sum(first.values()) + 3 == 30

    def test_the_chart_files_a_document_under_its_utc_day(self, res: Resources) -> None:
        source = ensure_source(res.uow(), ADMIN, "Tickets", "csv")
        document_writer.upsert_documents(res, ADMIN, source, _dated("e", EDGES))
        assert document_views.documents_per_day(res, ADMIN) == [
            (date(2026, 3, 1), "Tickets", 1),
            (date(2026, 3, 2), "Tickets", 3),
        ]
        assert_exact(res, at_least=2)

    def test_a_sync_counts_its_batches_and_an_overwrite_run_takes_off_what_it_removed(
        self, res: Resources
    ) -> None:
        csv = res.settings.effective_files_root / TENANT / "dated.csv"

        def write(rows: dict[str, tuple[str, str]]) -> None:
            lines = [f"{key},T{key},{body},{opened}" for key, (body, opened) in rows.items()]
            csv.write_text("id,title,body,opened\n" + "\n".join(lines) + "\n")

        rows = {str(n): ("B", at.isoformat()) for n, at in enumerate(SPREAD)}
        write(rows)
        source_id = connections.create_source(
            res, ADMIN, connections.SourceDraft("Dated", "csv", {"path": "dated.csv"})
        )
        mapping = {"external_id": "id", "title": "title", "content": "body", "created_at": "opened"}
        job_id = sync_jobs.create_job(
            res,
            ADMIN,
            sync_jobs.JobDraft("Dated", source_id, "full_refresh_overwrite", mapping, batch_size=4),
        )
        assert run_job(res, ADMIN, job_id).counts["inserted"] == 23
        assert sum(assert_exact(res, at_least=5).values()) == 23
        # Every record of one day goes, one of another day changes, and one undated record is new.
        gone = SPREAD[0].date()
        rows = {key: row for key, row in rows.items() if SPREAD[int(key)].date() != gone}
        changed = next(iter(rows))
        rows[changed] = ("changed", rows[changed][1])
        rows["new"] = ("B", "")
        write(rows)
        run = run_job(res, ADMIN, job_id)
        assert run.status == "succeeded", run.error_message
        assert (run.counts["inserted"], run.counts["updated"]) == (1, 1)
        after = assert_exact(res, at_least=5)
        assert sum(after.values()) == len(rows) < 23
        assert (TENANT, source_id, gone) not in after, "a day left with no documents has no row"

    def test_the_demo_and_an_edit(self, res: Resources) -> None:
        seed_demo(res, ADMIN, documents=30)
        before = assert_exact(res, at_least=10)
        with res.uow() as uow:
            document_id = uow.session.scalars(select(Document.id).limit(1)).one()
        assert edits.edit_document(res, ADMIN, document_id, title="Edited", metadata={"x": 1})
        assert assert_exact(res, at_least=10) == before

    def test_deleting_a_source_takes_its_counts_with_it(self, res: Resources) -> None:
        north = ensure_source(res.uow(), ADMIN, "North", "csv")
        south = ensure_source(res.uow(), ADMIN, "South", "csv")
        document_writer.upsert_documents(res, ADMIN, north, _dated("n", SPREAD))
        document_writer.upsert_documents(res, ADMIN, south, _dated("s", EDGES))
        assert {source for _, source, _ in assert_exact(res, at_least=7)} == {north, south}
        assert catalogue.delete_source(res, ADMIN, north, "North") == len(SPREAD)
        assert {source for _, source, _ in assert_exact(res, at_least=2)} == {south}

    def test_tenants_are_counted_apart(self, res: Resources) -> None:
        other = system_actor("globex")
        for actor in (ADMIN, other):
            source = ensure_source(res.uow(), actor, "Tickets", "csv")
            document_writer.upsert_documents(res, actor, source, _dated("t", EDGES))
        assert {tenant for tenant, _, _ in assert_exact(res, at_least=4)} == {TENANT, "globex"}
        assert sum(n for _, _, n in document_views.documents_per_day(res, other)) == len(EDGES)


@pytest.mark.postgres_only
def test_a_batch_that_waited_on_another_counts_only_what_it_inserted(pg_url: str, tmp_path: Path) -> None:
    """Two batches of one source at once: the second finds the first's new rows only when it writes.

    It looked before they were committed, so a count made then would take them for its own;
    what its upsert returns says it updated them.
    """
    resources = build_resources(make_settings(tmp_path, pg_url))
    try:
        source = ensure_source(resources.uow(), ADMIN, "Busy", "csv")
        document_writer.upsert_documents(resources, ADMIN, source, _dated("old", EDGES))
        target = Target(TENANT, source, None, None, MODES["incremental_dedup"], None, utcnow())
        first = [stage(doc) for doc in _dated("r", SPREAD[:12])]
        second = [stage(doc) for doc in _dated("r", SPREAD, body="second")]
        failures: list[BaseException] = []

        def write_second() -> None:
            try:
                with resources.uow() as uow:
                    write_batch(uow.session, target, second)
                    uow.commit()
            except BaseException as exc:  # reported below
                failures.append(exc)

        with resources.uow() as uow:
            write_batch(uow.session, target, first)
            racer = threading.Thread(target=write_second)
            racer.start()
            until_someone_waits(resources, "the second batch")
            uow.commit()
        racer.join()
        assert failures == []
        assert sum(assert_exact(resources, at_least=6).values()) == len(EDGES) + len(SPREAD)
    finally:
        resources.close()


def _far_east_sessions(url: str) -> None:
    """PostgreSQL sessions at UTC+14 from now on: a day that followed the session's zone would move."""
    engine = build_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            name = connection.scalar(text("SELECT current_database()"))
            connection.execute(text(f"ALTER DATABASE \"{name}\" SET timezone TO 'Pacific/Kiritimati'"))
    engine.dispose()


class TestTheBackfill:
    def test_the_backfill_counts_what_the_writers_counted(self, empty_url: str, tmp_path: Path) -> None:
        _far_east_sessions(empty_url)
        resources = build_resources(make_settings(tmp_path, empty_url))
        try:
            migrate.upgrade(resources.engine)
            north = ensure_source(resources.uow(), ADMIN, "North", "csv")
            south = ensure_source(resources.uow(), ADMIN, "South", "csv")
            document_writer.upsert_documents(resources, ADMIN, north, _dated("n", SPREAD), batch_size=7)
            document_writer.upsert_documents(resources, ADMIN, south, _dated("s", EDGES))
            document_writer.upsert_documents(resources, ADMIN, south, _dated("s", SPREAD[:6]))
            by_writers = assert_exact(resources, at_least=8)
            migrate.downgrade(resources.engine, "0017")
            migrate.upgrade(resources.engine)
            with resources.uow() as uow:
                assert recorded(uow.session) == by_writers
        finally:
            resources.close()

    def test_documents_already_there_are_counted_sourceless_ones_as_uploads(
        self, empty_url: str, tmp_path: Path
    ) -> None:
        _far_east_sessions(empty_url)
        engine = build_engine(empty_url)
        migrate.upgrade(engine, "0017")
        with build_session_factory(engine)() as session:
            for n, at in enumerate([*EDGES, *SPREAD[:5]]):
                tenant = TENANT if n % 3 else "globex"
                session.add(
                    Document(
                        tenant_id=tenant,
                        source_id=None,
                        external_id=f"d{n}",
                        content_hash="h",
                        created_at=at.astimezone(UTC),  # as the writers store it
                    )
                )
            session.commit()
        migrate.upgrade(engine)
        engine.dispose()
        resources = build_resources(make_settings(tmp_path, empty_url))
        try:
            assert {source for _, source, _ in assert_exact(resources, at_least=6)} == {arrivals.NO_SOURCE}
            chart = document_views.documents_per_day(resources, ADMIN)
            assert {name for _, name, _ in chart} == {"uploads"}
            assert sum(n for _, _, n in chart) == 6
        finally:
            resources.close()
