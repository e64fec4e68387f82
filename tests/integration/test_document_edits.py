"""The workbench edit: what an analyst changes is stored, audited and listed; masks never go back in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from superinsight.db.models import AuditLog, Document
from superinsight.documents.record import MAX_TITLE, DocumentInput
from superinsight.masking import MaskingRule
from superinsight.resources import Resources
from superinsight.services.context import Actor, role_actor, system_actor
from superinsight.services.documents import edits, views
from superinsight.services.documents import masking as masking_rules
from superinsight.services.documents import writer as document_writer
from superinsight.services.documents.sources import ensure_source
from superinsight.services.errors import InvalidInputError, PermissionDeniedError
from superinsight.services.permissions import ROLE_PERMISSIONS

TENANT = "acme"
CARD = "4111-2222-3333-4444"
SSN = "123-45-6789"
ADMIN = system_actor(TENANT)
ANALYST = role_actor(TENANT, "analyst")
MASKED = Actor(TENANT, None, "analyst", None, ROLE_PERMISSIONS["analyst"] - {"documents.view_unmasked"})


@pytest.fixture
def document(resources: Resources) -> Iterator[int]:
    source_id = ensure_source(resources.uow(), ADMIN, "CRM", "csv")
    document_writer.upsert_documents(
        resources,
        ADMIN,
        source_id,
        [DocumentInput("c1", "Refund", f"Paid with card {CARD}.", {"ssn": SSN, "region": "EU"}, ["vip"])],
    )
    masking_rules.add_masking_rule(
        resources, ADMIN, "cards", MaskingRule(None, r"\d{4}-\d{4}-\d{4}-\d{4}", "redact")
    )
    masking_rules.add_masking_rule(resources, ADMIN, "ssn", MaskingRule("metadata.ssn", None, "partial"))
    yield views.list_documents(resources, ADMIN)[0].id


def _stored(resources: Resources, document_id: int) -> tuple[str, str, dict[str, object], list[str], bool]:
    with resources.uow() as uow:
        row = uow.session.get(Document, document_id)
        assert row is not None
        return row.title, row.content, row.meta, list(row.tags), row.edited_at is not None


def _edits_audited(resources: Resources) -> list[AuditLog]:
    with resources.uow() as uow:
        return list(uow.session.scalars(select(AuditLog).where(AuditLog.action == edits.EDIT_ACTION)))


class TestAnAnalystEdits:
    def test_title_content_tags_and_metadata_are_stored_audited_and_listed(
        self, resources: Resources, document: int
    ) -> None:
        changed = edits.edit_document(
            resources,
            ANALYST,
            document,
            title="Refund, checked",
            content=f"Paid with card {CARD}. Refunded.",
            metadata={"ssn": SSN, "region": "US", "owner": "kim"},
            tags=["vip", " billing ", "vip", ""],
        )
        assert changed
        title, content, meta, tags, edited = _stored(resources, document)
        assert (title, content, tags, edited) == (
            "Refund, checked",
            f"Paid with card {CARD}. Refunded.",
            ["vip", "billing"],
            True,
        )
        assert meta == {"ssn": SSN, "region": "US", "owner": "kim"}
        [entry] = _edits_audited(resources)
        assert entry.before is not None and entry.after is not None
        assert entry.before["tags"] == ["vip"] and entry.after["tags"] == ["vip", "billing"]
        assert set(entry.after) == {"title", "content", "metadata", "tags"}
        [version] = edits.edit_history(resources, ANALYST, document)
        assert version.fields == ["content", "metadata", "tags", "title"]
        assert "edited" in dict(views.get_document(resources, ANALYST, document).lineage)

    def test_sending_back_what_is_stored_changes_and_audits_nothing(
        self, resources: Resources, document: int
    ) -> None:
        shown = views.get_document(resources, ANALYST, document)
        assert not edits.edit_document(
            resources, ANALYST, document, title=shown.title, content=shown.content, metadata=shown.metadata
        )
        assert _edits_audited(resources) == [] and edits.edit_history(resources, ANALYST, document) == []
        assert _stored(resources, document)[4] is False

    @pytest.mark.parametrize(
        ("change", "problem"),
        [
            ({"title": "x" * (MAX_TITLE + 1)}, "title"),
            ({"title": "a\x00b"}, "NUL"),
            ({"title": "  "}, "title: give the document a title"),
            ({"tags": ["x" * 300]}, "tag"),
            ({"metadata": {"a": [1]}}, "list"),
        ],
    )
    def test_a_bad_value_is_refused_and_nothing_is_written(
        self, resources: Resources, document: int, change: dict[str, object], problem: str
    ) -> None:
        before = _stored(resources, document)
        with pytest.raises(InvalidInputError, match=problem):
            edits.edit_document(resources, ANALYST, document, **change)  # type: ignore[arg-type]
        assert _stored(resources, document) == before and _edits_audited(resources) == []

    def test_a_viewer_may_not_edit(self, resources: Resources, document: int) -> None:
        with pytest.raises(PermissionDeniedError):
            edits.edit_document(resources, role_actor(TENANT, "viewer"), document, title="No")
        assert _stored(resources, document)[0] == "Refund"


class TestMaskedValuesAreNeverWrittenBack:
    def test_the_detail_sent_back_with_new_tags_keeps_the_unmasked_values(
        self, resources: Resources, document: int
    ) -> None:
        shown = views.get_document(resources, MASKED, document)
        assert CARD not in shown.content and shown.metadata["ssn"] != SSN
        assert edits.edit_document(
            resources,
            MASKED,
            document,
            title="Refund (seen)",
            content=shown.content,
            metadata={**shown.metadata, "region": "US"},
            tags=["vip", "checked"],
        )
        title, content, meta, tags, _ = _stored(resources, document)
        assert (title, content, tags) == ("Refund (seen)", f"Paid with card {CARD}.", ["vip", "checked"])
        assert meta == {"ssn": SSN, "region": "US"}
        [entry] = _edits_audited(resources)
        assert entry.after is not None and set(entry.after) == {"title", "metadata", "tags"}

    @pytest.mark.parametrize(
        ("field", "problem"),
        [
            ("content", "content is masked"),
            ("ssn", r"metadata\.ssn is masked"),
            ("drop ssn", "cannot be removed"),
        ],
    )
    def test_changing_what_is_masked_is_refused_and_nothing_is_written(
        self, resources: Resources, document: int, field: str, problem: str
    ) -> None:
        shown = views.get_document(resources, MASKED, document)
        change: dict[str, object] = {
            "content": {"content": shown.content + " Refunded."},
            "ssn": {"metadata": {**shown.metadata, "ssn": "000-00-0000"}},
            "drop ssn": {"metadata": {"region": "EU"}},
        }[field]
        before = _stored(resources, document)
        with pytest.raises(InvalidInputError, match=problem):
            edits.edit_document(resources, MASKED, document, **change)  # type: ignore[arg-type]
        assert _stored(resources, document) == before
        with resources.uow() as uow:
            assert (
                uow.session.scalar(
                    select(func.count()).select_from(AuditLog).where(AuditLog.action == edits.EDIT_ACTION)
                )
                == 0
            )
