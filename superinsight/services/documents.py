"""Documents: idempotent batch upserts and tenant-scoped listing."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from typing import Any

from sqlalchemy import func, insert, select, update

from superinsight.db.base import utcnow
from superinsight.db.models import DataSource, Document
from superinsight.db.uow import UnitOfWork
from superinsight.services import audit
from superinsight.services.context import Actor, require
from superinsight.services.errors import InvalidInputError, NotFoundError
from superinsight.services.inputs import has_nul

MAX_EXTERNAL_ID = 255
MAX_TITLE = 1000


@dataclass(frozen=True)
class DocumentInput:
    external_id: str
    title: str
    content: str
    metadata: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    created_at: datetime | None = None


@dataclass(frozen=True)
class UpsertCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: UpsertCounts) -> UpsertCounts:
        return UpsertCounts(
            self.inserted + other.inserted, self.updated + other.updated, self.unchanged + other.unchanged
        )


@dataclass(frozen=True)
class DocumentRow:
    id: int
    source: str | None
    external_id: str
    title: str
    tags: list[str]
    created_at: datetime


def content_hash(doc: DocumentInput) -> str:
    """Decides whether a re-synced document changed: same inputs, same hash, on any machine."""
    canonical = json.dumps(
        {"title": doc.title, "content": doc.content, "metadata": doc.metadata, "tags": doc.tags},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _list_in(value: Any, path: str) -> str | None:
    """The first place a metadata value holds a list, if any."""
    if isinstance(value, list):
        return path
    if isinstance(value, dict):
        for key, item in value.items():
            found = _list_in(item, f"{path}.{key}")
            if found:
                return found
    return None


def validate(docs: Sequence[DocumentInput]) -> None:
    """Refuse a batch whose records could not be stored or matched exactly by rules.

    Metadata holds scalars and nested objects, not lists: rules compare metadata
    inside the database, and a list has no single value to compare (lists of
    labels belong in tags).
    """
    seen: set[str] = set()
    for position, doc in enumerate(docs, start=1):
        if has_nul((doc.external_id, doc.title, doc.content, doc.metadata, doc.tags)):
            raise InvalidInputError(f"record {position}: text contains a NUL character")
        listed = _list_in(doc.metadata, "metadata")
        if listed:
            raise InvalidInputError(f"record {position}: {listed} is a list; put labels in tags instead")
        if not doc.external_id or len(doc.external_id) > MAX_EXTERNAL_ID:
            raise InvalidInputError(
                f"record {position}: external id must be 1 to {MAX_EXTERNAL_ID} characters"
            )
        if doc.external_id in seen:
            raise InvalidInputError(f"record {position}: external id {doc.external_id!r} appears twice")
        if len(doc.title) > MAX_TITLE:
            raise InvalidInputError(f"record {position}: title is longer than {MAX_TITLE} characters")
        seen.add(doc.external_id)


def _batches(records: Iterable[DocumentInput], size: int) -> Iterator[list[DocumentInput]]:
    iterator = iter(records)
    while batch := list(islice(iterator, size)):
        yield batch


def _source(uow: UnitOfWork, actor: Actor, source_id: int) -> DataSource:
    source = uow.session.get(DataSource, source_id)
    if source is None or source.tenant_id != actor.tenant_id:
        raise NotFoundError(f"data source {source_id} does not exist")
    return source


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


def upsert_documents(
    uow: UnitOfWork,
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
    with uow:
        _source(uow, actor, source_id)
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
            total += counts
    return total


def list_documents(
    uow: UnitOfWork, actor: Actor, *, before_id: int | None = None, limit: int = 50
) -> list[DocumentRow]:
    """Newest first, paged by id (keyset), so page 1,000 costs what page 1 does."""
    require(actor, "documents.view")
    query = (
        select(
            Document.id,
            DataSource.name,
            Document.external_id,
            Document.title,
            Document.tags,
            Document.created_at,
        )
        .outerjoin(DataSource, DataSource.id == Document.source_id)
        .where(Document.tenant_id == actor.tenant_id)
        .order_by(Document.id.desc())
        .limit(min(max(limit, 1), 500))
    )
    if before_id is not None:
        query = query.where(Document.id < before_id)
    with uow:
        return [DocumentRow(*row) for row in uow.session.execute(query)]


def documents_per_day(uow: UnitOfWork, actor: Actor) -> list[tuple[date, str, int]]:
    """How many documents arrived each day from each source, for the overview chart."""
    require(actor, "documents.view")
    day = func.date(Document.created_at)
    query = (
        select(day, func.coalesce(DataSource.name, "uploads"), func.count())
        .outerjoin(DataSource, DataSource.id == Document.source_id)
        .where(Document.tenant_id == actor.tenant_id)
        .group_by(day, DataSource.name)
        .order_by(day)
    )
    with uow:
        return [
            (value if isinstance(value, date) else date.fromisoformat(str(value)), source, count)
            for value, source, count in uow.session.execute(query)
        ]
