"""Sync jobs end to end: a real PostgreSQL source database and real files into the workbench's store."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest
from psycopg.errors import DeadlockDetected
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from superinsight.db.base import aware
from superinsight.db.models import (
    BusinessLogicAnalysisHistory,
    DataSource,
    Document,
    MetadataKeyKind,
    SyncExecution,
    SyncJob,
)
from superinsight.resources import Resources, build_resources
from superinsight.services.context import Actor, role_actor
from superinsight.services.documents import edits as document_edits
from superinsight.services.documents import views as document_views
from superinsight.services.documents.sources import ensure_source
from superinsight.services.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from superinsight.services.quality import views as quality_views
from superinsight.services.rules import commands as rule_commands
from superinsight.services.rules import drafts as rule_drafts
from superinsight.services.rules import views as rule_views
from superinsight.services.sync import conflicts as sync_conflicts
from superinsight.services.sync import connections, job_views
from superinsight.services.sync import follow_ups as sync_follow_ups
from superinsight.services.sync import jobs as sync_jobs
from superinsight.services.sync import runner as sync_runner
from superinsight.services.sync import runs as sync_runs
from superinsight.services.sync import scheduler as sync_scheduler
from tests.conftest import make_settings
from tests.servers import PASSWORD_ROLE

ROOT = Path(__file__).resolve().parents[2]
MAPPING = {"external_id": "id", "title": "title", "content": "body", "metadata.*": ""}
BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def analyst() -> Actor:
    return role_actor("demo", "analyst", user_id=None)


@pytest.fixture
def files(tmp_path: Path) -> Path:
    """The demo workspace's own folder under FILES_ROOT (tmp_path / "files")."""
    root = tmp_path / "files" / "demo"
    root.mkdir(parents=True)
    return root


def _sync_settings(tmp_path: Path, db_url: str, **overrides: Any) -> Any:
    values: dict[str, Any] = {
        "files_root": tmp_path / "files",
        "sync_allow_internal": True,
        "sync_follow_ups": False,
        "sync_heartbeat_timeout_seconds": 5,
    }
    return make_settings(tmp_path, db_url, **(values | overrides))


@pytest.fixture
def res(db_url: str, tmp_path: Path, files: Path) -> Iterator[Resources]:
    built = build_resources(_sync_settings(tmp_path, db_url))
    yield built
    built.close()


class SourceDB:
    """The customer's database: a table of items with an updated_at cursor."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = create_engine(url)
        with self.engine.begin() as connection:
            connection.execute(
                text(
                    "CREATE TABLE items (id integer PRIMARY KEY, title text NOT NULL, body text NOT NULL, "
                    "category text, updated_at timestamptz NOT NULL)"
                )
            )

    def add(self, first: int, last: int, at: datetime = BASE_TIME) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO items SELECT n, 'Item ' || n, 'Body of item ' || n, "
                    "CASE WHEN n % 2 = 0 THEN 'even' ELSE 'odd' END, "
                    "CAST(:at AS timestamptz) + n * interval '1 second' "
                    "FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS n"
                ),
                {"first": first, "last": last, "at": at},
            )

    def change(self, item_id: int, title: str, at: datetime) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                text("UPDATE items SET title = :title, updated_at = :at WHERE id = :id"),
                {"title": title, "at": at, "id": item_id},
            )

    def execute(self, sql: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(text(sql))


@pytest.fixture
def source_db(empty_pg_url: str) -> Iterator[SourceDB]:
    db = SourceDB(empty_pg_url)
    yield db
    db.engine.dispose()


def database_job(
    res: Resources,
    actor: Actor,
    url: str,
    *,
    mode: str = "incremental_dedup",
    strategy: str = "source_wins",
    batch_size: int = 100,
    name: str = "Items",
    max_retries: int = 0,
) -> int:
    source_id = connections.create_source(
        res, actor, connections.SourceDraft(f"{name} DB", "database", {"table": "items"}, {"url": url})
    )
    return sync_jobs.create_job(
        res,
        actor,
        sync_jobs.JobDraft(
            name,
            source_id,
            mode,
            MAPPING,
            [{"type": "trim", "field": "title"}],
            cursor_field="updated_at" if mode.startswith("incremental") else None,
            conflict_resolution=strategy,
            batch_size=batch_size,
            max_retries=max_retries,
        ),
    )


def wait(res: Resources, actor: Actor, execution_id: int, timeout: float = 120) -> sync_runs.RunRow:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = sync_runs.get_run(res, actor, execution_id)
        if run.status not in ("queued", "running"):
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {execution_id} did not end within {timeout} s")


def run_job(res: Resources, actor: Actor, job_id: int) -> sync_runs.RunRow:
    return wait(res, actor, sync_runs.start_run(res, actor, job_id))


def docs(res: Resources, job_id: int | None = None) -> dict[str, Document]:
    with res.uow() as uow:
        query = select(Document)
        if job_id is not None:
            query = query.where(Document.sync_job_id == job_id)
        return {doc.external_id: doc for doc in uow.session.scalars(query)}


def doc_id(res: Resources, external_id: str) -> int:
    return docs(res)[external_id].id


class TestFullThenIncremental:
    def test_first_run_reads_everything_later_runs_only_what_changed(
        self, res: Resources, analyst: Actor, source_db: SourceDB
    ) -> None:
        source_db.add(1, 250)
        job_id = database_job(res, analyst, source_db.url)

        first = run_job(res, analyst, job_id)
        assert first.status == "succeeded", first.error_message
        assert first.counts | {} == {
            "read": 250,
            "inserted": 250,
            "updated": 0,
            "unchanged": 0,
            "skipped": 0,
            "conflicts": 0,
            "errors": 0,
        }
        stored = docs(res)
        assert len(stored) == 250
        assert stored["7"].title == "Item 7" and stored["7"].content == "Body of item 7"
        assert stored["7"].meta["category"] == "odd"

        later = BASE_TIME + timedelta(days=30)
        for item_id in (3, 4, 5):
            source_db.change(item_id, f"  Changed {item_id}  ", later)
        source_db.add(251, 252, later)

        second = run_job(res, analyst, job_id)
        assert second.status == "succeeded", second.error_message
        assert (second.counts["read"], second.counts["inserted"], second.counts["updated"]) == (5, 2, 3)
        stored = docs(res)
        assert len(stored) == 252
        assert stored["4"].title == "Changed 4"
        assert stored["4"].sync_version == 2

    def test_a_run_records_the_kinds_its_metadata_holds(
        self, res: Resources, analyst: Actor, source_db: SourceDB
    ) -> None:
        source_db.add(1, 150)  # two batches: a fresh source's COPY, then the staging table
        source_db.execute("UPDATE items SET category = NULL WHERE id = 120")
        job_id = database_job(res, analyst, source_db.url)
        assert run_job(res, analyst, job_id).status == "succeeded"
        with res.uow() as uow:
            recorded = {
                tuple(row) for row in uow.session.execute(select(MetadataKeyKind.key, MetadataKeyKind.kind))
            }
        assert recorded == {("category", "string"), ("category", "null"), ("updated_at", "string")}

        third = run_job(res, analyst, job_id)
        assert third.counts["read"] == 0

    def test_full_refresh_overwrite_removes_what_the_source_no_longer_has(
        self, res: Resources, analyst: Actor, source_db: SourceDB
    ) -> None:
        source_db.add(1, 20)
        job_id = database_job(res, analyst, source_db.url, mode="full_refresh_overwrite", batch_size=7)
        assert run_job(res, analyst, job_id).counts["inserted"] == 20
        source_db.execute("DELETE FROM items WHERE id IN (2, 3)")
        again = run_job(res, analyst, job_id)
        assert again.status == "succeeded"
        assert (again.counts["read"], again.counts["unchanged"]) == (18, 18)
        assert sorted(docs(res), key=int) == [str(n) for n in range(1, 21) if n not in (2, 3)]

    def test_append_modes_never_change_documents_already_here(
        self, res: Resources, analyst: Actor, source_db: SourceDB
    ) -> None:
        source_db.add(1, 5)
        job_id = database_job(res, analyst, source_db.url, mode="full_refresh_append")
        run_job(res, analyst, job_id)
        source_db.change(1, "Rewritten", BASE_TIME + timedelta(days=1))
        again = run_job(res, analyst, job_id)
        assert (again.counts["inserted"], again.counts["skipped"]) == (0, 5)
        assert docs(res)["1"].title == "Item 1"

    def test_an_analyst_may_run_but_a_viewer_may_not(
        self, res: Resources, analyst: Actor, source_db: SourceDB
    ) -> None:
        source_db.add(1, 2)
        job_id = database_job(res, analyst, source_db.url)
        with pytest.raises(PermissionDeniedError):
            sync_runs.start_run(res, role_actor("demo", "viewer"), job_id)
        with pytest.raises(PermissionDeniedError):
            connections.create_source(
                res, role_actor("demo", "viewer"), connections.SourceDraft("x", "csv", {"path": "a.csv"})
            )


class TestConflicts:
    def _edited_then_changed(
        self, res: Resources, analyst: Actor, source_db: SourceDB, strategy: str, source_change_at: datetime
    ) -> int:
        source_db.add(1, 3)
        job_id = database_job(res, analyst, source_db.url, strategy=strategy)
        run_job(res, analyst, job_id)
        document_edits.edit_document(res, analyst, doc_id(res, "2"), title="Fixed by an analyst")
        source_db.change(2, "Changed at the source", source_change_at)
        return job_id

    def test_source_wins(self, res: Resources, analyst: Actor, source_db: SourceDB) -> None:
        job_id = self._edited_then_changed(
            res, analyst, source_db, "source_wins", BASE_TIME + timedelta(days=1)
        )
        run = run_job(res, analyst, job_id)
        assert (run.counts["conflicts"], run.counts["updated"]) == (1, 1)
        doc = docs(res)["2"]
        assert (doc.title, doc.edited_at) == ("Changed at the source", None)
        (conflict,) = sync_conflicts.list_conflicts(res, analyst, status="auto_resolved")
        assert conflict.workbench_version["title"] == "Fixed by an analyst"
        assert conflict.source_version["title"] == "Changed at the source"

    def test_workbench_wins_and_the_same_source_version_is_not_a_conflict_again(
        self, res: Resources, analyst: Actor, source_db: SourceDB
    ) -> None:
        job_id = self._edited_then_changed(
            res, analyst, source_db, "workbench_wins", BASE_TIME + timedelta(days=1)
        )
        assert run_job(res, analyst, job_id).counts["conflicts"] == 1
        assert docs(res)["2"].title == "Fixed by an analyst"
        sync_jobs.reset_cursor(res, analyst, job_id)
        again = run_job(res, analyst, job_id)
        assert (again.counts["read"], again.counts["conflicts"], again.counts["unchanged"]) == (3, 0, 3)
        assert docs(res)["2"].title == "Fixed by an analyst"

    @pytest.mark.parametrize(
        ("source_change", "kept"),
        [
            (datetime.now(UTC) + timedelta(days=1), "Changed at the source"),
            (BASE_TIME + timedelta(days=1), "Fixed by an analyst"),
        ],
    )
    def test_newest_wins(
        self, res: Resources, analyst: Actor, source_db: SourceDB, source_change: datetime, kept: str
    ) -> None:
        job_id = self._edited_then_changed(res, analyst, source_db, "newest_wins", source_change)
        assert run_job(res, analyst, job_id).counts["conflicts"] == 1
        assert docs(res)["2"].title == kept

    def test_manual_waits_for_a_person_one_by_one_or_in_bulk(
        self, res: Resources, analyst: Actor, source_db: SourceDB
    ) -> None:
        job_id = self._edited_then_changed(res, analyst, source_db, "manual", BASE_TIME + timedelta(days=1))
        document_edits.edit_document(res, analyst, doc_id(res, "3"), content="Rewritten here")
        source_db.change(3, "Three changed at the source", BASE_TIME + timedelta(days=2))
        run = run_job(res, analyst, job_id)
        assert run.counts["conflicts"] == 2
        stored = docs(res)
        assert stored["2"].title == "Fixed by an analyst" and stored["2"].sync_status == "conflict"
        pending = sync_conflicts.list_conflicts(res, analyst)
        assert sync_conflicts.pending_count(res, analyst) == 2

        again = run_job(res, analyst, job_id)
        assert again.counts["read"] == 0
        assert len(sync_conflicts.list_conflicts(res, analyst)) == 2, "no duplicates of a pending conflict"

        by_external = {row.external_id: row.id for row in pending}
        assert sync_conflicts.resolve(res, analyst, [by_external["2"]], "source") == 1
        with pytest.raises(InvalidInputError, match="already resolved"):
            sync_conflicts.resolve(res, analyst, [by_external["2"], by_external["3"]], "workbench")
        assert sync_conflicts.resolve(res, analyst, [by_external["3"]], "workbench") == 1
        stored = docs(res)
        assert (stored["2"].title, stored["2"].edited_at, stored["2"].sync_status) == (
            "Changed at the source",
            None,
            "synced",
        )
        assert (stored["3"].content, stored["3"].sync_status) == ("Rewritten here", "synced")
        assert sync_conflicts.pending_count(res, analyst) == 0

    def test_a_pending_conflict_survives_a_full_overwrite(
        self, res: Resources, analyst: Actor, source_db: SourceDB
    ) -> None:
        source_db.add(1, 3)
        job_id = database_job(res, analyst, source_db.url, mode="full_refresh_overwrite", strategy="manual")
        run_job(res, analyst, job_id)
        document_edits.edit_document(res, analyst, doc_id(res, "2"), title="Mine")
        source_db.change(2, "Theirs", BASE_TIME + timedelta(days=1))
        assert run_job(res, analyst, job_id).counts["conflicts"] == 1
        assert docs(res)["2"].title == "Mine"
        assert sync_conflicts.pending_count(res, analyst) == 1

    def test_an_edit_the_source_did_not_touch_is_kept_without_a_conflict(
        self, res: Resources, analyst: Actor, source_db: SourceDB
    ) -> None:
        source_db.add(1, 3)
        job_id = database_job(res, analyst, source_db.url, mode="full_refresh_overwrite")
        run_job(res, analyst, job_id)
        document_edits.edit_document(res, analyst, doc_id(res, "1"), title="Mine")
        run = run_job(res, analyst, job_id)
        assert (run.counts["conflicts"], run.counts["unchanged"]) == (0, 3)
        assert docs(res)["1"].title == "Mine"


class TestOneRunAtATime:
    def test_a_second_trigger_is_refused_while_the_first_is_active(
        self, res: Resources, analyst: Actor, source_db: SourceDB
    ) -> None:
        source_db.add(1, 3)
        job_id = database_job(res, analyst, source_db.url)
        with res.uow() as uow:
            uow.session.add(SyncExecution(tenant_id="demo", job_id=job_id, status="running"))
            uow.commit()
        with pytest.raises(InvalidInputError, match="already running"):
            sync_runs.start_run(res, analyst, job_id)

    def test_the_database_itself_refuses_two_active_runs(
        self, res: Resources, analyst: Actor, source_db: SourceDB
    ) -> None:
        job_id = database_job(res, analyst, source_db.url)
        with res.uow() as uow:
            uow.session.add(SyncExecution(tenant_id="demo", job_id=job_id, status="queued"))
            uow.session.add(SyncExecution(tenant_id="demo", job_id=job_id, status="running"))
            with pytest.raises(IntegrityError):
                uow.commit()

    def test_triggers_racing_from_many_threads_queue_one_run(
        self, res: Resources, analyst: Actor, source_db: SourceDB
    ) -> None:
        """Racing triggers queue one run between them.

        The race is on queueing: a run handed to the in-process worker at once may finish
        before a slower thread's trigger arrives, and a run after a finished one is rightly
        a second run. So the threads queue, and the winner is handed to a worker afterwards.
        """
        source_db.add(1, 3)
        job_id = database_job(res, analyst, source_db.url)
        started: list[int] = []
        refused: list[str] = []
        barrier = threading.Barrier(6)

        def trigger() -> None:
            barrier.wait()
            try:
                started.append(sync_runs.queue_run(res, analyst, job_id))
            except InvalidInputError as exc:
                refused.append(str(exc))

        threads = [threading.Thread(target=trigger) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(started) == 1, (started, refused)
        assert len(refused) == 5 and all("Items" in reason for reason in refused), refused
        sync_runs.enqueue_run(res, analyst, started[0])
        wait(res, analyst, started[0])


class TestCancel:
    def test_a_queued_run_is_cancelled_before_it_starts(
        self, res: Resources, analyst: Actor, source_db: SourceDB
    ) -> None:
        source_db.add(1, 3)
        job_id = database_job(res, analyst, source_db.url)
        with res.uow() as uow:
            execution = SyncExecution(tenant_id="demo", job_id=job_id, status="queued")
            uow.session.add(execution)
            uow.commit()
            execution_id = execution.id
        sync_runs.cancel_run(res, analyst, execution_id)
        assert sync_runner.run_execution(res, analyst, execution_id) == "not started"
        assert sync_runs.get_run(res, analyst, execution_id).status == "cancelled"
        assert docs(res) == {}

    def test_a_running_run_stops_after_a_batch_keeping_what_it_committed(
        self, res: Resources, analyst: Actor, source_db: SourceDB
    ) -> None:
        source_db.add(1, 5000)
        job_id = database_job(res, analyst, source_db.url, batch_size=10)
        execution_id = sync_runs.start_run(res, analyst, job_id)
        while sync_runs.get_run(res, analyst, execution_id).counts["read"] == 0:
            time.sleep(0.01)
        sync_runs.cancel_run(res, analyst, execution_id)
        run = wait(res, analyst, execution_id)
        assert run.status == "cancelled"
        assert 0 < run.counts["read"] < 5000
        assert len(docs(res)) == run.counts["inserted"] == run.counts["read"]

        rest = run_job(res, analyst, job_id)
        assert rest.counts["read"] == 5000 - run.counts["read"]
        assert len(docs(res)) == 5000


class TestFiles:
    def test_a_malformed_file_is_rejected_with_nothing_written(
        self, res: Resources, analyst: Actor, files: Path
    ) -> None:
        lines = ["id,title,body"] + [f"{n},Title {n},Body {n}" for n in range(1, 2001)]
        lines[1500] = "1500,only two"
        (files / "broken.csv").write_text("\n".join(lines) + "\n")
        draft = connections.SourceDraft("Broken", "csv", {"path": "broken.csv"})
        with pytest.raises(InvalidInputError, match="line 1501 has 2 fields"):
            connections.test_draft(res, analyst, draft)
        source_id = connections.create_source(res, analyst, draft)
        job_id = sync_jobs.create_job(
            res,
            analyst,
            sync_jobs.JobDraft("Broken", source_id, "full_refresh_append", MAPPING, batch_size=100),
        )
        run = run_job(res, analyst, job_id)
        assert run.status == "failed"
        assert "line 1501 has 2 fields" in (run.error_message or "")
        assert docs(res) == {}

    def test_a_mapped_date_field_dates_the_documents_and_a_bad_date_is_a_logged_record_error(
        self, res: Resources, analyst: Actor, files: Path
    ) -> None:
        rows = [("1", "2025-01-31"), ("2", "2025-06-01T08:30:00+02:00"), ("3", "next week"), ("4", "")]
        (files / "dated.csv").write_text(
            "id,title,body,opened\n" + "".join(f"{n},T{n},B,{d}\n" for n, d in rows)
        )
        source_id = connections.create_source(
            res, analyst, connections.SourceDraft("Dated", "csv", {"path": "dated.csv"})
        )
        mapping = MAPPING | {"created_at": "opened"}
        job_id = sync_jobs.create_job(
            res, analyst, sync_jobs.JobDraft("Dated", source_id, "full_refresh_overwrite", mapping)
        )
        run = run_job(res, analyst, job_id)
        assert (run.counts["inserted"], run.counts["errors"]) == (3, 1)
        dates = {external_id: aware(doc.created_at) for external_id, doc in docs(res).items()}
        assert dates["1"] == datetime(2025, 1, 31, tzinfo=UTC)
        assert dates["2"] == datetime(2025, 6, 1, 6, 30, tzinfo=UTC)
        assert dates["4"] > datetime(2026, 1, 1, tzinfo=UTC), "no date at the source: dated when synced"
        assert "3" not in dates

    def test_jsonl_incremental_by_modified_time_resumes_on_the_next_change(
        self, res: Resources, analyst: Actor, files: Path
    ) -> None:
        path = files / "events.jsonl"
        path.write_text(
            "".join(json.dumps({"id": n, "title": f"E{n}", "body": "x"}) + "\n" for n in range(1, 6))
        )
        source_id = connections.create_source(
            res, analyst, connections.SourceDraft("Events", "jsonl", {"path": "events.jsonl"})
        )
        job_id = sync_jobs.create_job(
            res,
            analyst,
            sync_jobs.JobDraft(
                "Events",
                source_id,
                "incremental_dedup",
                MAPPING,
                cursor_field=sync_jobs.MODIFIED_TIME,
                batch_size=2,
            ),
        )
        assert run_job(res, analyst, job_id).counts["inserted"] == 5
        [listed] = [job for job in job_views.list_jobs(res, analyst) if job.id == job_id]
        assert listed.cursor is not None and re.fullmatch(
            r"modified \d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)?, line 5", listed.cursor
        )
        assert run_job(res, analyst, job_id).counts["read"] == 0
        with path.open("a") as handle:
            handle.write(json.dumps({"id": 6, "title": "E6", "body": "x"}) + "\n")
        os.utime(path, (time.time() + 5, time.time() + 5))
        again = run_job(res, analyst, job_id)
        assert (again.counts["read"], again.counts["inserted"], again.counts["unchanged"]) == (6, 1, 5)

    def test_a_folder_of_markdown_files(self, res: Resources, analyst: Actor, files: Path) -> None:
        notes = files / "notes"
        (notes / "sub").mkdir(parents=True)
        (notes / "a.md").write_text("# Alpha\n\nFirst note")
        (notes / "sub" / "b.txt").write_text("Beta\nsecond")
        (notes / "ignored.png").write_bytes(b"\x89PNG")
        source_id = connections.create_source(
            res, analyst, connections.SourceDraft("Notes", "folder", {"path": "notes"})
        )
        job_id = sync_jobs.create_job(
            res,
            analyst,
            sync_jobs.JobDraft(
                "Notes",
                source_id,
                "incremental_dedup",
                {
                    "external_id": "path",
                    "title": "title",
                    "content": "content",
                    "metadata.extension": "extension",
                },
                cursor_field=sync_jobs.MODIFIED_TIME,
            ),
        )
        assert run_job(res, analyst, job_id).counts["inserted"] == 2
        stored = docs(res)
        assert stored["a.md"].title == "Alpha" and stored["sub/b.txt"].meta == {"extension": "txt"}
        (notes / "c.md").write_text("Gamma")
        os.utime(notes / "c.md", (time.time() + 5, time.time() + 5))
        assert run_job(res, analyst, job_id).counts["read"] == 1

    def test_awkward_text_arrives_exactly_and_a_key_repeated_across_batches_is_updated(
        self, res: Resources, analyst: Actor, files: Path
    ) -> None:
        awkward = 'tab\there, new\nline, back\\slash \\N, quote " and ünïcode ✓'
        records = [
            {"id": 1, "title": "first", "body": awkward},
            {"id": 2, "title": "second", "body": "x"},
            {"id": 1, "title": "first, again", "body": awkward + "!"},
            {"id": 3, "title": "third", "body": "y", "note": "a\\u0000b"},
        ]
        (files / "awkward.jsonl").write_text("".join(json.dumps(record) + "\n" for record in records))
        source_id = connections.create_source(
            res, analyst, connections.SourceDraft("Awkward", "jsonl", {"path": "awkward.jsonl"})
        )
        job_id = sync_jobs.create_job(
            res,
            analyst,
            sync_jobs.JobDraft("Awkward", source_id, "full_refresh_overwrite", MAPPING, batch_size=2),
        )
        run = run_job(res, analyst, job_id)
        assert run.status == "succeeded", run.error_message
        assert (run.counts["inserted"], run.counts["updated"]) == (3, 1)
        stored = docs(res)
        assert (stored["1"].title, stored["1"].content) == ("first, again", awkward + "!")
        assert stored["3"].meta == {"note": "a\\u0000b"}

    def test_files_outside_the_files_folder_are_refused(self, res: Resources, analyst: Actor) -> None:
        with pytest.raises(InvalidInputError, match="inside the files folder"):
            connections.create_source(
                res, analyst, connections.SourceDraft("Passwords", "csv", {"path": "../../etc/passwd"})
            )

    def test_bad_records_are_counted_and_logged_and_the_rest_synced(
        self, res: Resources, analyst: Actor, files: Path
    ) -> None:
        (files / "ages.csv").write_text("id,title,age\n1,A,30\n2,B,old\n,C,4\n4,D,5\n")
        source_id = connections.create_source(
            res, analyst, connections.SourceDraft("Ages", "csv", {"path": "ages.csv"})
        )
        job_id = sync_jobs.create_job(
            res,
            analyst,
            sync_jobs.JobDraft(
                "Ages",
                source_id,
                "full_refresh_append",
                {"external_id": "id", "title": "title", "metadata.age": "age"},
                [{"type": "cast", "field": "age", "to": "int"}],
            ),
        )
        run = run_job(res, analyst, job_id)
        assert (run.status, run.counts["inserted"], run.counts["errors"]) == ("succeeded", 2, 2)
        errors = [
            line.details["error"]
            for line in sync_runs.run_log(res, analyst, run.id)
            if line.action == "record.error"
        ]
        assert errors == ["age: cannot cast 'old' to int", "id: the external id is empty"]


class _Pages(BaseHTTPRequestHandler):
    items: ClassVar[list[dict[str, Any]]] = [
        {"id": n, "title": f"Ticket {n}", "body": "text"} for n in range(1, 24)
    ]

    def do_GET(self) -> None:
        if self.headers.get("Authorization") != "Bearer s3cret":
            self.send_response(401)
            self.end_headers()
            return
        query = parse_qs(urlsplit(self.path).query)
        page, size = int(query["page"][0]), int(query["per_page"][0])
        body = json.dumps({"data": {"items": self.items[(page - 1) * size : page * size]}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/tickets"
    server.shutdown()


class TestHttpJson:
    def _source(self, res: Resources, analyst: Actor, api: str, token: str) -> int:
        return connections.create_source(
            res,
            analyst,
            connections.SourceDraft(
                "Tickets",
                "http_json",
                {
                    "url": api,
                    "records_path": "data.items",
                    "pagination": {"type": "page", "size_param": "per_page", "size": 10},
                },
                {"Authorization": f"Bearer {token}"},
            ),
        )

    def test_all_pages_are_read(self, res: Resources, analyst: Actor, api: str) -> None:
        source_id = self._source(res, analyst, api, "s3cret")
        assert connections.test_source(res, analyst, source_id).startswith(
            "reached; first page has 10 records"
        )
        job_id = sync_jobs.create_job(
            res, analyst, sync_jobs.JobDraft("Tickets", source_id, "full_refresh_append", MAPPING)
        )
        assert run_job(res, analyst, job_id).counts["inserted"] == 23

    def test_refused_credentials_are_reported_without_showing_them(
        self, res: Resources, analyst: Actor, api: str
    ) -> None:
        source_id = self._source(res, analyst, api, "wrong")
        with pytest.raises(InvalidInputError, match="refused the credentials") as caught:
            connections.test_source(res, analyst, source_id)
        assert "wrong" not in str(caught.value)
        assert connections.view_source(res, analyst, source_id).health_status == "failing"


READER_PASSWORD = "reader-pw-4b1f9c"


@pytest.fixture
def reader_url(source_db: SourceDB) -> str:
    """The source database as a role that must give its password (tests/servers.py requires it)."""
    source_db.execute(
        f"DO $$ BEGIN CREATE ROLE {PASSWORD_ROLE} LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$"
    )
    source_db.execute(f"ALTER ROLE {PASSWORD_ROLE} PASSWORD '{READER_PASSWORD}'")
    source_db.execute(f"GRANT SELECT ON items TO {PASSWORD_ROLE}")
    url = source_db.engine.url.set(username=PASSWORD_ROLE, password=READER_PASSWORD)
    wrong = create_engine(url.set(password="not-the-password"))
    try:
        wrong.connect().close()
        pytest.skip("this PostgreSQL does not check passwords on loopback")
    except OperationalError:
        pass
    finally:
        wrong.dispose()
    return url.render_as_string(hide_password=False)


class TestCredentials:
    def test_saved_encrypted_never_shown_and_kept_on_edit(
        self, res: Resources, analyst: Actor, source_db: SourceDB, reader_url: str
    ) -> None:
        source_db.add(1, 2)
        source_id = connections.create_source(
            res,
            analyst,
            connections.SourceDraft("Shop", "database", {"table": "items"}, {"url": reader_url}),
        )
        password = READER_PASSWORD
        with res.uow() as uow:
            stored = uow.session.get(DataSource, source_id)
            assert stored is not None
            assert password not in json.dumps(stored.connection_config)
            assert password not in (stored.encrypted_credentials or "")
        view = connections.view_source(res, analyst, source_id)
        assert view.has_credentials and password not in repr(view)
        assert view.config["display_url"].count("***") == 1
        connections.update_source(
            res, analyst, source_id, connections.SourceDraft("Shop renamed", "database", {"table": "items"})
        )
        assert connections.test_source(res, analyst, source_id).startswith("connected; 2 rows")

    def test_test_connection_says_what_failed_without_the_password(
        self, res: Resources, analyst: Actor, source_db: SourceDB, reader_url: str
    ) -> None:
        wrong = reader_url.replace(READER_PASSWORD, "not-the-password")
        cases = {
            wrong: "user name or password was refused",
            source_db.engine.url.set(port=1).render_as_string(hide_password=False): "nothing answers",
            source_db.url: "table does not exist",
        }
        for url, reason in cases.items():
            table = "missing_table" if url == source_db.url else "items"
            draft = connections.SourceDraft("Shop", "database", {"table": table}, {"url": url})
            with pytest.raises(InvalidInputError, match=reason) as caught:
                connections.test_draft(res, analyst, draft)
            assert "not-the-password" not in str(caught.value)

    def test_internal_addresses_need_an_admin_setting(
        self, db_url: str, tmp_path: Path, analyst: Actor
    ) -> None:
        strict = build_resources(_sync_settings(tmp_path, db_url, sync_allow_internal=False))
        try:
            with pytest.raises(InvalidInputError, match="internal address"):
                connections.create_source(
                    strict,
                    analyst,
                    connections.SourceDraft(
                        "Local", "database", {"table": "t"}, {"url": "postgresql://u:p@127.0.0.1/x"}
                    ),
                )
        finally:
            strict.close()


class TestRetriesAndSchedules:
    def test_a_failed_run_is_retried_with_backoff_until_the_limit(
        self, res: Resources, analyst: Actor, source_db: SourceDB
    ) -> None:
        source_db.add(1, 3)
        job_id = database_job(res, analyst, source_db.url, max_retries=1)
        source_db.execute("ALTER TABLE items RENAME TO gone")
        first = run_job(res, analyst, job_id)
        assert first.status == "failed" and "does not exist" in (first.error_message or "")
        retry_run = sync_runs.runs(res, analyst, job_id)[0]
        assert (retry_run.status, retry_run.trigger, retry_run.attempt) == ("queued", "retry", 2)
        assert retry_run.scheduled_for is not None

        assert sync_scheduler.tick(res)["retried"] == 0, "not due yet"
        source_db.execute("ALTER TABLE gone RENAME TO items")
        assert sync_scheduler.tick(res, datetime.now(UTC) + timedelta(hours=1))["retried"] == 1
        assert wait(res, analyst, retry_run.id).status == "succeeded"
        assert len(docs(res)) == 3

    def test_run_now_starts_a_waiting_retry_at_once(
        self, res: Resources, analyst: Actor, source_db: SourceDB
    ) -> None:
        source_db.add(1, 3)
        job_id = database_job(res, analyst, source_db.url, max_retries=3)
        source_db.execute("ALTER TABLE items RENAME TO gone")
        run_job(res, analyst, job_id)
        source_db.execute("ALTER TABLE gone RENAME TO items")
        retry_id = sync_runs.runs(res, analyst, job_id)[0].id
        assert sync_runs.start_run(res, analyst, job_id) == retry_id
        assert wait(res, analyst, retry_id).status == "succeeded"

    def test_a_cron_schedule_starts_runs_when_due(
        self, res: Resources, analyst: Actor, source_db: SourceDB
    ) -> None:
        source_db.add(1, 3)
        job_id = database_job(res, analyst, source_db.url)
        draft = sync_jobs.job_draft(res, analyst, job_id)
        sync_jobs.update_job(
            res, analyst, job_id, draft.__class__(**(draft.__dict__ | {"schedule_cron": "*/5 * * * *"}))
        )
        with res.uow() as uow:
            job = uow.session.get(SyncJob, job_id)
            assert job is not None and job.next_scheduled_at is not None
            due = job.next_scheduled_at
        assert sync_scheduler.tick(res)["scheduled"] == 0
        assert sync_scheduler.tick(res, due + timedelta(seconds=1))["scheduled"] == 1
        (run,) = sync_runs.runs(res, analyst, job_id)
        assert run.trigger == "schedule"
        assert wait(res, analyst, run.id).status == "succeeded"

    def test_a_batch_failed_by_a_deadlock_is_written_again_and_counted_once(
        self, res: Resources, analyst: Actor, source_db: SourceDB, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """PostgreSQL fails one of two deadlocked writers (a rule tagging the same source): the
        batch's transaction is rolled back whole and written again."""
        source_db.add(1, 300)
        job_id = database_job(res, analyst, source_db.url, batch_size=100)
        write_batch, failed = sync_runner.write_batch, []

        def deadlocked_once(session: Any, *args: Any) -> Any:
            counts = write_batch(session, *args)
            if not failed:
                failed.append(counts.inserted)
                raise OperationalError("INSERT INTO documents", {}, DeadlockDetected("deadlock detected"))
            return counts

        monkeypatch.setattr(sync_runner, "write_batch", deadlocked_once)
        run = run_job(res, analyst, job_id)
        assert failed == [100]
        assert run.status == "succeeded"
        assert run.counts["read"] == run.counts["inserted"] == len(docs(res)) == 300


class TestFollowUps:
    def test_a_sync_that_changed_documents_scores_quality_applies_rules_and_projects_lineage(
        self, db_url: str, tmp_path: Path, files: Path, analyst: Actor, source_db: SourceDB
    ) -> None:

        res = build_resources(_sync_settings(tmp_path, db_url, sync_follow_ups=True))
        try:
            source_db.add(1, 10)
            job_id = database_job(res, analyst, source_db.url)
            run_job(res, analyst, job_id)
            rule_id = rule_commands.create_rule(
                res,
                analyst,
                rule_drafts.RuleDraft("Even items", {"==": [{"var": "metadata.category"}, "even"]}),
            ).id
            source_db.change(2, "Two, changed", BASE_TIME + timedelta(days=1))
            run_job(res, analyst, job_id)
            with res.uow() as uow:
                source_id = uow.session.scalar(select(SyncJob.source_id).where(SyncJob.id == job_id))
            assert source_id is not None
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                scored = quality_views.history(res, analyst, source_id)
                matched = rule_views.matched_documents(res, analyst, rule_id)
                if scored and len(matched) == 5:
                    break
                time.sleep(0.1)
            assert scored and len(matched) == 5
            from superinsight.lineage.values import NodeRef

            deadline = time.monotonic() + 30
            while len(res.graph.downstream("demo", NodeRef("DataSource", str(source_id)), 2)) < 11:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        finally:
            res.close()

    def test_only_one_who_may_run_the_sources_syncs_queues_its_follow_ups(
        self, db_url: str, tmp_path: Path, files: Path, analyst: Actor
    ) -> None:
        """They apply every rule as the system actor, so the caller is checked first."""
        res = build_resources(_sync_settings(tmp_path, db_url, sync_follow_ups=True))
        try:
            source_id = ensure_source(res.uow(), analyst, "Files", "folder")
            refused = {
                "a viewer": (role_actor(analyst.tenant_id, "viewer"), PermissionDeniedError),
                "another workspace": (role_actor("globex", "analyst"), NotFoundError),
                "a user of other sources": (
                    dataclasses.replace(analyst, source_ids=frozenset({source_id + 1})),
                    NotFoundError,
                ),
            }
            for who, (actor, error) in refused.items():
                with pytest.raises(error):
                    sync_follow_ups.enqueue_after_sync(res, actor, source_id)
                with res.uow() as uow:
                    runs = uow.session.scalar(select(func.count()).select_from(BusinessLogicAnalysisHistory))
                assert runs == 0, who
        finally:
            res.close()


def _children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (RQ runs each job in a forked work horse with its own session)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.postgres_only
class TestWorkerKilled:
    def test_a_worker_killed_mid_run_loses_nothing_and_the_rerun_resumes(
        self, pg_url: str, redis_url: str, tmp_path: Path, files: Path, analyst: Actor, source_db: SourceDB
    ) -> None:
        settings = _sync_settings(tmp_path, pg_url, redis_url=redis_url)
        res = build_resources(settings)
        source_db.add(1, 20_000)
        job_id = database_job(res, analyst, source_db.url, batch_size=50)
        env = {
            **os.environ,
            "DATABASE_URL": pg_url,
            "REDIS_URL": redis_url,
            "DATA_DIR": str(tmp_path / "data"),
            "FILES_ROOT": str(files),
            "SYNC_ALLOW_INTERNAL": "true",
            "SYNC_FOLLOW_UPS": "false",
        }
        worker = subprocess.Popen(
            [sys.executable, "-m", "superinsight.cli", "worker"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            execution_id = sync_runs.start_run(res, analyst, job_id)
            deadline = time.monotonic() + 60
            while sync_runs.get_run(res, analyst, execution_id).counts["read"] < 500:
                assert time.monotonic() < deadline, "the worker never got going"
                time.sleep(0.02)
        finally:
            for pid in [*_children(worker.pid), worker.pid]:
                os.kill(pid, signal.SIGKILL)
            worker.wait()
        killed = sync_runs.get_run(res, analyst, execution_id)
        assert killed.status == "running" and killed.counts["read"] < 20_000
        with res.uow() as uow:
            committed = uow.session.scalar(select(func.count()).select_from(Document))
            cursor_value = uow.session.scalar(select(SyncJob.cursor_value).where(SyncJob.id == job_id))
        assert committed == killed.counts["read"], "documents and counts commit together"
        assert cursor_value is not None

        assert sync_scheduler.tick(res, datetime.now(UTC) + timedelta(seconds=6))["reaped"] == 1
        reaped = sync_runs.get_run(res, analyst, execution_id)
        assert reaped.status == "partial" and "no heartbeat" in (reaped.error_message or "")

        local = build_resources(_sync_settings(tmp_path, pg_url))
        try:
            rerun = wait(local, analyst, sync_runs.start_run(local, analyst, job_id))
            assert rerun.status == "succeeded", rerun.error_message
            assert rerun.counts["read"] == 20_000 - committed
            assert rerun.counts["inserted"] == 20_000 - committed
            with local.uow() as uow:
                total, distinct = uow.session.execute(
                    select(func.count(), func.count(func.distinct(Document.external_id)))
                ).one()
            assert total == distinct == 20_000
        finally:
            local.close()
            res.close()


class TestDocumentLineage:
    def test_the_detail_shows_where_a_document_came_from_and_its_annotations(
        self, res: Resources, analyst: Actor, source_db: SourceDB
    ) -> None:
        from superinsight.db.models import Annotation, Task

        source_db.add(1, 2)
        job_id = database_job(res, analyst, source_db.url)
        run_job(res, analyst, job_id)
        document_id = doc_id(res, "1")
        document_edits.edit_document(res, analyst, document_id, title="Corrected")
        with res.uow() as uow:
            task = Task(tenant_id="demo", document_id=document_id, project_id=7)
            uow.session.add(task)
            uow.session.flush()
            uow.session.add(
                Annotation(
                    tenant_id="demo",
                    task_id=task.id,
                    document_id=document_id,
                    labelstudio_annotation_id=1,
                    completed_by="ann@example.com",
                    result=[
                        {"value": {"choices": ["Billing"]}},
                        {"value": {"labels": ["Person", "Billing"]}},
                    ],
                )
            )
            uow.commit()
        detail = document_views.get_document(res, analyst, document_id)
        kinds = [kind for kind, _ in detail.lineage]
        assert kinds == ["source", "sync", "edited", "labeling"]
        assert detail.lineage[0] == ("source", "Items DB")
        assert detail.lineage[1][1].startswith("Items (version 1, last synced ")
        assert [(a.completed_by, a.labels) for a in detail.annotations] == [
            ("ann@example.com", ["Billing", "Person"])
        ]
