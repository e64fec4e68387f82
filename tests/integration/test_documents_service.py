"""Batch upserts are idempotent, tenant-scoped and all-or-nothing per batch, on both stores."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from psycopg.errors import DeadlockDetected
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import OperationalError

from superinsight.db.base import aware
from superinsight.db.models import AuditLog, Document
from superinsight.documents.record import DocumentInput
from superinsight.masking import MaskingRule
from superinsight.resources import Resources
from superinsight.services import overview
from superinsight.services.context import role_actor, system_actor
from superinsight.services.documents import masking as masking_rules
from superinsight.services.documents import views as document_views
from superinsight.services.documents import writer as document_writer
from superinsight.services.documents.sources import ensure_source, list_sources
from superinsight.services.documents.staging import WriteCounts
from superinsight.services.errors import InvalidInputError, NotFoundError, PermissionDeniedError

ALICE = role_actor("acme", "analyst")
MALLORY = role_actor("evil", "analyst")


def _docs(n: int, prefix: str = "D", body: str = "text") -> list[DocumentInput]:
    return [DocumentInput(f"{prefix}{i}", f"Title {i}", f"{body} {i}", {"n": i}) for i in range(n)]


def _count(resources: Resources, model: type[Document] | type[AuditLog]) -> int:
    with resources.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def source(resources: Resources) -> int:
    return ensure_source(resources.uow(), ALICE, "Tickets", "csv")


class TestUpsert:
    def test_first_load_inserts_then_reload_changes_nothing(self, resources: Resources, source: int) -> None:
        first = document_writer.upsert_documents(resources, ALICE, source, _docs(25), batch_size=10)
        again = document_writer.upsert_documents(resources, ALICE, source, _docs(25), batch_size=10)
        assert first == WriteCounts(inserted=25)
        assert again == WriteCounts(unchanged=25)
        assert _count(resources, Document) == 25

    def test_a_batch_failed_by_a_deadlock_is_written_again_once(
        self, resources: Resources, source: int, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """PostgreSQL fails one of two deadlocked writers (a rule tagging the same source): the
        batch's transaction, audit row included, is rolled back whole and written again."""
        write_batch, failed = document_writer.write_batch, []

        def deadlocked_once(session: Any, *args: Any) -> WriteCounts:
            counts = write_batch(session, *args)
            if not failed:  # the first batch, a COPY into the empty source
                failed.append(counts)
                raise OperationalError("INSERT INTO documents", {}, DeadlockDetected("deadlock detected"))
            return counts

        monkeypatch.setattr(document_writer, "write_batch", deadlocked_once)
        counts = document_writer.upsert_documents(resources, ALICE, source, _docs(25), batch_size=10)
        assert failed and counts == WriteCounts(inserted=25)
        assert _count(resources, Document) == 25
        with resources.uow() as uow:
            audited = select(func.count()).where(AuditLog.action == "documents.upsert")
            assert uow.session.scalar(audited) == 3, "one per batch written"

    def test_changed_documents_are_updated_in_place(self, resources: Resources, source: int) -> None:
        document_writer.upsert_documents(resources, ALICE, source, _docs(5))
        changed = _docs(3, body="new") + _docs(5)[3:]
        assert document_writer.upsert_documents(resources, ALICE, source, changed) == WriteCounts(
            updated=3, unchanged=2
        )
        with resources.uow() as uow:
            contents = {
                row[0]: row[1] for row in uow.session.execute(select(Document.external_id, Document.content))
            }
        assert contents["D0"] == "new 0"
        assert contents["D4"] == "text 4"

    def test_a_documents_own_date_is_kept_and_an_update_does_not_move_it(
        self, resources: Resources, source: int
    ) -> None:
        dated = datetime(2026, 3, 4, 5, 6, tzinfo=UTC)
        first = [DocumentInput("old", "Old", "a", created_at=dated), DocumentInput("undated", "New", "b")]
        document_writer.upsert_documents(resources, ALICE, source, first)  # into an empty source: COPY
        document_writer.upsert_documents(resources, ALICE, source, [DocumentInput("old", "Old", "changed")])
        with resources.uow() as uow:
            rows = uow.session.execute(select(Document.external_id, Document.created_at))
            dates = {external_id: created for external_id, created in rows}
        assert aware(dates["old"]) == dated
        assert aware(dates["undated"]) > dated, "a record without a date is dated when first written"

    def test_an_import_replaces_a_workbench_edit_and_counts_a_new_version(
        self, resources: Resources, source: int
    ) -> None:
        document_writer.upsert_documents(resources, ALICE, source, _docs(1))
        with resources.uow() as uow:
            uow.session.execute(update(Document).values(edited_at=func.now()))
            uow.commit()
        counts = document_writer.upsert_documents(resources, ALICE, source, _docs(1, body="imported"))
        assert counts == WriteCounts(updated=1)
        with resources.uow() as uow:
            columns = select(Document.content, Document.edited_at, Document.sync_version)
            row = uow.session.execute(columns).one()
        assert tuple(row) == ("imported 0", None, 2)

    def test_a_bad_batch_writes_nothing_of_itself(self, resources: Resources, source: int) -> None:
        bad = [*_docs(3), DocumentInput("D1", "dup", "dup")]
        with pytest.raises(InvalidInputError, match="record 4"):
            document_writer.upsert_documents(resources, ALICE, source, bad)
        assert _count(resources, Document) == 0
        assert _count(resources, AuditLog) == 1  # only the source's creation

    def test_every_committed_batch_has_its_audit_entry(self, resources: Resources, source: int) -> None:
        document_writer.upsert_documents(resources, ALICE, source, _docs(25), batch_size=10)
        with resources.uow() as uow:
            entries = uow.session.scalars(
                select(AuditLog.after).where(AuditLog.action == "documents.upsert").order_by(AuditLog.id)
            ).all()
        assert [entry["inserted"] for entry in entries if entry] == [10, 10, 5]

    def test_another_tenants_source_is_not_found(self, resources: Resources, source: int) -> None:
        with pytest.raises(NotFoundError):
            document_writer.upsert_documents(resources, MALLORY, source, _docs(1))
        assert _count(resources, Document) == 0


class TestListing:
    def test_keyset_pages_cover_everything_once_newest_first(self, resources: Resources, source: int) -> None:
        document_writer.upsert_documents(resources, ALICE, source, _docs(23))
        seen: list[int] = []
        cursor = None
        while page := document_views.list_documents(resources, ALICE, before_id=cursor, limit=5):
            seen.extend(row.id for row in page)
            cursor = page[-1].id
        assert len(seen) == len(set(seen)) == 23
        assert seen == sorted(seen, reverse=True)

    def test_listings_and_counts_never_cross_tenants(self, resources: Resources, source: int) -> None:
        document_writer.upsert_documents(resources, ALICE, source, _docs(4))
        other = ensure_source(resources.uow(), MALLORY, "Tickets", "csv")
        document_writer.upsert_documents(resources, MALLORY, other, _docs(2, prefix="M"))
        assert {row.external_id for row in document_views.list_documents(resources, MALLORY)} == {"M0", "M1"}
        assert overview.summary(resources, ALICE).documents == 4
        assert sum(n for _, _, n in document_views.documents_per_day(resources, MALLORY)) == 2

    def test_documents_per_day_is_what_the_writers_counted_not_a_grouping_of_the_documents(
        self, resources: Resources, source: int
    ) -> None:
        document_writer.upsert_documents(resources, ALICE, source, _docs(4))
        assert sum(n for _, _, n in document_views.documents_per_day(resources, ALICE)) == 4
        with resources.uow() as uow:  # behind every writer's back: nothing counts it
            uow.session.execute(delete(Document).where(Document.external_id == "D0"))
            uow.commit()
        assert sum(n for _, _, n in document_views.documents_per_day(resources, ALICE)) == 4
        document_writer.upsert_documents(resources, ALICE, source, _docs(2, prefix="E"))
        assert sum(n for _, _, n in document_views.documents_per_day(resources, ALICE)) == 6


class TestSources:
    def test_ensure_source_is_idempotent_per_tenant(self, resources: Resources) -> None:
        first = ensure_source(resources.uow(), ALICE, "Tickets", "csv")
        assert ensure_source(resources.uow(), ALICE, " Tickets ", "csv") == first
        assert ensure_source(resources.uow(), MALLORY, "Tickets", "csv") != first

    def test_sources_are_listed_per_tenant(self, resources: Resources) -> None:
        ensure_source(resources.uow(), ALICE, "B", "csv")
        ensure_source(resources.uow(), ALICE, "A", "jsonl")
        ensure_source(resources.uow(), MALLORY, "C", "csv")
        assert [s.name for s in list_sources(resources, ALICE)] == ["A", "B"]

    @pytest.mark.parametrize(("name", "kind"), [("", "csv"), ("x" * 256, "csv"), ("ok", "ftp")])
    def test_bad_sources_are_refused(self, resources: Resources, name: str, kind: str) -> None:
        with pytest.raises(InvalidInputError):
            ensure_source(resources.uow(), ALICE, name, kind)
        assert overview.summary(resources, ALICE).sources == 0


class TestMasking:
    def _setup(self, resources: Resources, source: int) -> None:
        document_writer.upsert_documents(
            resources,
            ALICE,
            source,
            [
                DocumentInput(
                    "D1", "Refund for jane@example.com", "Card 4111111111111111", {"customer": "Jane Roe"}
                )
            ],
        )
        admin = system_actor("acme")
        masking_rules.add_masking_rule(
            resources, admin, "Customers", MaskingRule("metadata.customer", None, "redact")
        )
        masking_rules.add_masking_rule(
            resources,
            admin,
            "Emails",
            MaskingRule(None, r"[\w.+-]+@[\w-]+\.[\w.]+", "hash", frozenset({"annotator"})),
        )

    def test_viewers_get_masked_values_from_every_reading_service(
        self, resources: Resources, source: int
    ) -> None:
        self._setup(resources, source)
        viewer = role_actor("acme", "viewer")
        (row,) = document_views.list_documents(resources, viewer)
        assert "jane@example.com" not in row.title and row.title.startswith("Refund for #")
        detail = document_views.get_document(resources, viewer, row.id)
        assert detail.metadata["customer"] == "[redacted]"
        assert "jane@example.com" not in detail.title

    def test_roles_allowed_to_see_values_get_them(self, resources: Resources, source: int) -> None:
        self._setup(resources, source)
        (row,) = document_views.list_documents(resources, ALICE)
        assert row.title == "Refund for jane@example.com"
        annotator = role_actor("acme", "annotator")
        detail = document_views.get_document(resources, annotator, row.id)
        assert detail.title == "Refund for jane@example.com"
        assert detail.metadata["customer"] == "[redacted]"

    def test_only_admins_add_masking_rules_and_bad_ones_change_nothing(self, resources: Resources) -> None:
        with pytest.raises(PermissionDeniedError):
            masking_rules.add_masking_rule(resources, ALICE, "x", MaskingRule("title", None, "mask"))
        with pytest.raises(InvalidInputError, match="invalid pattern"):
            masking_rules.add_masking_rule(
                resources, system_actor("acme"), "x", MaskingRule(None, "(", "mask")
            )
        assert masking_rules.masking_rules(resources, system_actor("acme")) == []

    def test_documents_of_other_tenants_are_not_found(self, resources: Resources, source: int) -> None:
        self._setup(resources, source)
        (row,) = document_views.list_documents(resources, ALICE)
        with pytest.raises(NotFoundError):
            document_views.get_document(resources, MALLORY, row.id)
