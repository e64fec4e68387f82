"""The documents write path: validated batches upserted idempotently, and the documents-changed clock."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from sqlalchemy import insert, select, update

from superinsight.db.base import utcnow
from superinsight.db.models import Document
from superinsight.db.uow import UnitOfWork
from superinsight.documents.record import DocumentInput, DocumentProblem, check_document, content_hash
from superinsight.resources import Resources
from superinsight.services import audit
from superinsight.services.context import Actor, internal, require
from superinsight.services.errors import InvalidInputError
from superinsight.services.scoping import visible_source


@dataclass(frozen=True)
class UpsertCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: UpsertCounts) -> UpsertCounts:
        return UpsertCounts(
            self.inserted + other.inserted, self.updated + other.updated, self.unchanged + other.unchanged
        )


def validate(docs: Sequence[DocumentInput]) -> None:
    """Refuse a batch if any record is unusable or two records share an external id."""
    seen: set[str] = set()
    for position, doc in enumerate(docs, start=1):
        try:
            check_document(doc)
        except DocumentProblem as problem:
            raise InvalidInputError(f"record {position}: {problem}") from None
        if doc.external_id in seen:
            raise InvalidInputError(f"record {position}: external id {doc.external_id!r} appears twice")
        seen.add(doc.external_id)


def _batches(records: Iterable[DocumentInput], size: int) -> Iterator[list[DocumentInput]]:
    iterator = iter(records)
    while batch := list(islice(iterator, size)):
        yield batch


def _upsert_batch(uow: UnitOfWork, actor: Actor, source_id: int, batch: list[DocumentInput]) -> UpsertCounts:
    session = uow.session
    existing = {
        external_id: (doc_id, digest)
        for external_id, doc_id, digest in session.execute(
            select(Document.external_id, Document.id, Document.content_hash).where(
                Document.source_id == source_id,
                Document.external_id.in_([doc.external_id for doc in batch]),
            )
        )
    }
    now = utcnow()
    new_rows: list[dict[str, Any]] = []
    changed_rows: list[dict[str, Any]] = []
    unchanged = 0
    for doc in batch:
        digest = content_hash(doc)
        values = {
            "title": doc.title,
            "content": doc.content,
            "meta": doc.metadata,
            "tags": doc.tags,
            "content_hash": digest,
            "last_synced_at": now,
            "updated_at": now,
        }
        if doc.external_id not in existing:
            new_rows.append(
                values
                | {
                    "tenant_id": actor.tenant_id,
                    "source_id": source_id,
                    "external_id": doc.external_id,
                    "created_at": doc.created_at or now,
                }
            )
        elif existing[doc.external_id][1] != digest:
            changed_rows.append(values | {"id": existing[doc.external_id][0]})
        else:
            unchanged += 1
    if new_rows:
        session.execute(insert(Document), new_rows)
    if changed_rows:
        session.execute(update(Document), changed_rows)
    return UpsertCounts(len(new_rows), len(changed_rows), unchanged)


@internal("the documents-changed clock: a number that reveals nothing, read before cached figures")
def documents_version(resources: Resources, tenant_id: str) -> int:
    """Changes whenever the tenant's documents do, so figures cached for older data are never used."""
    version = resources.cache.get(_version_key(tenant_id))
    return int(version) if version is not None else bump_version(resources, tenant_id)


def _version_key(tenant_id: str) -> str:
    return f"documents-version:{tenant_id}"


@internal("called by every writer after its own guarded change, to expire cached figures")
def bump_version(resources: Resources, tenant_id: str) -> int:
    """A new version, later than any earlier one even if the counter was lost (it is a clock)."""
    current = resources.cache.get(_version_key(tenant_id)) or 0
    version = max(time.time_ns(), int(current) + 1)
    resources.cache.set(_version_key(tenant_id), version, 0)
    return version


def upsert_documents(
    resources: Resources,
    actor: Actor,
    source_id: int,
    records: Iterable[DocumentInput],
    batch_size: int = 1000,
) -> UpsertCounts:
    """Insert new documents and update changed ones, one committed transaction per batch.

    Re-running with the same records changes nothing; a batch that fails
    validation is refused whole and earlier batches stay committed.
    """
    require(actor, "documents.edit")
    total = UpsertCounts()
    with resources.uow() as uow:
        visible_source(uow.session, actor, source_id)
        for batch in _batches(records, batch_size):
            validate(batch)
            counts = _upsert_batch(uow, actor, source_id, batch)
            audit.record(
                uow.session,
                actor,
                "documents.upsert",
                "data_source",
                source_id,
                after={"inserted": counts.inserted, "updated": counts.updated},
            )
            uow.commit()
            bump_version(resources, actor.tenant_id)
            total += counts
    return total
