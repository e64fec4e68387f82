"""The workbench edit: an analyst changes a document, audited and versioned (what conflicts are about)."""

from __future__ import annotations

from typing import Any

from superinsight.db.base import utcnow
from superinsight.db.models import Document
from superinsight.documents.record import DocumentInput, DocumentProblem, check_document
from superinsight.resources import Resources
from superinsight.services import audit
from superinsight.services.context import Actor, require
from superinsight.services.documents.writer import bump_version
from superinsight.services.errors import InvalidInputError
from superinsight.services.scoping import visible_row


def edit_document(
    resources: Resources,
    actor: Actor,
    document_id: int,
    *,
    title: str | None = None,
    content: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> None:
    """An analyst's correction of a document.

    The edit is marked (`edited_at`) and `content_hash` keeps describing the
    source's version, so the next sync can tell "the source changed too" (a
    conflict, settled by the job's strategy) from "only we changed it" (kept).
    """
    require(actor, "documents.edit")
    with resources.uow() as uow:
        document = visible_row(uow.session, actor, Document, document_id, "document")
        edited = DocumentInput(
            document.external_id,
            document.title if title is None else title,
            document.content if content is None else content,
            document.meta if metadata is None else metadata,
            list(document.tags),
        )
        try:
            check_document(edited)
        except DocumentProblem as problem:
            raise InvalidInputError(str(problem)) from None
        before = {"title": document.title, "content": document.content, "metadata": document.meta}
        document.title, document.content, document.meta = edited.title, edited.content, edited.metadata
        document.edited_at = utcnow()
        audit.record(
            uow.session,
            actor,
            "document.edit",
            "document",
            document.id,
            before=before,
            after={"title": edited.title, "content": edited.content, "metadata": edited.metadata},
        )
        uow.commit()
    bump_version(resources, actor.tenant_id)
