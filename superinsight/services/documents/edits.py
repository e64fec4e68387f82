"""The workbench edit: an analyst changes a document, audited and versioned (what conflicts are about)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from superinsight.db.base import aware, utcnow
from superinsight.db.models import AuditLog, Document, User
from superinsight.documents.record import DocumentInput, DocumentProblem, check_document
from superinsight.resources import Resources
from superinsight.services import audit, inputs
from superinsight.services.context import Actor, require
from superinsight.services.documents import key_kinds
from superinsight.services.documents.masking import Masker, masker
from superinsight.services.documents.writer import bump_version
from superinsight.services.errors import InvalidInputError
from superinsight.services.graph import backlog as graph_backlog
from superinsight.services.scoping import visible_row

EDIT_ACTION = "document.edit"


def _unmasked(name: str, submitted: Any, stored: Any, mask: Masker) -> Any:
    """The value to store for a field the actor sent back: never what they were shown masked.

    Sent back as shown, a field keeps its stored value (a masked one is not replaced by
    its mask); changed, a field the actor sees masked is refused, since they cannot see
    what they would overwrite.
    """
    shown = mask.value(name, stored)
    if submitted == shown:
        return stored
    if shown != stored:
        raise InvalidInputError(f"{name} is masked for you: ask someone who sees it unmasked to change it")
    return submitted


def _metadata(submitted: dict[str, Any], stored: dict[str, Any], mask: Masker) -> dict[str, Any]:
    """Metadata key by key, so an edit to one field keeps the masked values of the others."""
    shown = mask.value("metadata", stored)
    if not isinstance(shown, dict) or shown.keys() != stored.keys():
        # The whole metadata is masked for this actor, or a key's own name is: keep it as a whole.
        whole: dict[str, Any] = _unmasked("metadata", submitted, stored, mask)
        return whole
    kept: dict[str, Any] = {}
    for key in stored.keys() | submitted.keys():
        hidden = key in stored and shown.get(key) != stored[key]
        if key not in submitted:
            if hidden:
                raise InvalidInputError(f"metadata.{key} is masked for you: it cannot be removed")
            continue
        if hidden and submitted[key] != shown.get(key):
            raise InvalidInputError(f"metadata.{key} is masked for you: ask someone who sees it unmasked")
        kept[key] = stored[key] if hidden else submitted[key]
    return kept


def _tags(tags: list[str]) -> list[str]:
    """Tags as typed: trimmed, blanks and repeats dropped, each a checked piece of text."""
    cleaned = (inputs.text(tag, "a tag").strip() for tag in inputs.values(tags, "tags"))
    return list(dict.fromkeys(tag for tag in cleaned if tag))


def edit_document(
    resources: Resources,
    actor: Actor,
    document_id: int,
    *,
    title: str | None = None,
    content: str | None = None,
    metadata: dict[str, Any] | None = None,
    tags: list[str] | None = None,
) -> bool:
    """An analyst's correction of a document; returns whether anything changed.

    The edit is marked (`edited_at`) and `content_hash` keeps describing the
    source's version, so the next sync can tell "the source changed too" (a
    conflict, settled by the job's strategy) from "only we changed it" (kept).
    Values come back as the actor was shown them: masked ones are kept as stored.
    Each edit's audit entry holds the version before and after it (`edit_history`).
    """
    require(actor, "documents.edit")
    if title is not None and not title.strip():
        raise InvalidInputError("title: give the document a title; one without is not listed or found by it")
    with resources.uow() as uow:
        document = visible_row(uow.session, actor, Document, document_id, "document")
        mask = masker(resources, uow.session, actor)
        edited = DocumentInput(
            document.external_id,
            document.title if title is None else _unmasked("title", title, document.title, mask),
            document.content if content is None else _unmasked("content", content, document.content, mask),
            document.meta if metadata is None else _metadata(metadata, document.meta, mask),
            list(document.tags)
            if tags is None
            else _unmasked("tags", _tags(tags), list(document.tags), mask),
        )
        try:
            check_document(edited)
        except DocumentProblem as problem:
            raise InvalidInputError(str(problem)) from None
        before = {"title": document.title, "content": document.content, "metadata": document.meta}
        before["tags"] = list(document.tags)
        after = {
            "title": edited.title,
            "content": edited.content,
            "metadata": edited.metadata,
            "tags": edited.tags,
        }
        if after == before:
            return False
        document.title, document.content, document.meta = edited.title, edited.content, edited.metadata
        document.tags = edited.tags
        document.edited_at = utcnow()
        changed = sorted(name for name in after if after[name] != before[name])
        if "metadata" in changed:
            key_kinds.record_document(uow.session, document)
        audit.record(
            uow.session,
            actor,
            EDIT_ACTION,
            "document",
            document.id,
            before={name: before[name] for name in changed},
            after={name: after[name] for name in changed},
        )
        if "title" in changed or "metadata" in changed:  # what the graph shows of it: name, entities
            graph_backlog.note(uow.session, actor.tenant_id, "document", document.id)
        uow.commit()
    bump_version(resources, actor.tenant_id)
    if "title" in changed or "metadata" in changed:
        graph_backlog.drain_soon(resources, actor.tenant_id)
    return True


@dataclass(frozen=True)
class EditVersion:
    """One workbench edit of a document: when, by whom, which fields."""

    at: datetime
    by: str | None
    fields: list[str]


def edit_history(resources: Resources, actor: Actor, document_id: int) -> list[EditVersion]:
    """The document's workbench edits, newest first (their values stay in the audit log)."""
    require(actor, "documents.view")
    with resources.uow() as uow:
        visible_row(uow.session, actor, Document, document_id, "document")
        rows = uow.session.execute(
            select(AuditLog.created_at, User.email, AuditLog.after)
            .outerjoin(User, User.id == AuditLog.user_id)
            .where(
                AuditLog.tenant_id == actor.tenant_id,
                AuditLog.action == EDIT_ACTION,
                AuditLog.entity_type == "document",
                AuditLog.entity_id == str(document_id),
            )
            .order_by(AuditLog.id.desc())
        ).all()
        return [EditVersion(aware(at), email, sorted(after or {})) for at, email, after in rows]
