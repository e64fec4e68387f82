"""The documents write path: validated batches upserted idempotently, and the documents-changed clock."""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy import insert, select, update

from superinsight.db.base import utcnow
from superinsight.db.models import (
    Document,
)
from superinsight.db.uow import UnitOfWork
from superinsight.resources import Resources
from superinsight.services import audit
from superinsight.services.context import Actor, require
from superinsight.services.errors import InvalidInputError
from superinsight.services.inputs import has_nul
from superinsight.services.scoping import visible_source

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


_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


_JSON_STRING: Callable[[str], str] = json.encoder.encode_basestring


_NUL_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


def canonical_json(value: Any) -> str:
    """One spelling of a value as JSON: sorted keys, no spaces, so equal values hash equal."""
    return _CANONICAL.encode(value)


def json_has_nul(text: str) -> bool:
    """Whether JSON text encodes a NUL character (an escape \\u0000 not itself escaped)."""
    return "\\u0000" in text and _NUL_ESCAPE.search(text) is not None


def content_hash(doc: DocumentInput) -> str:
    """Decides whether a re-synced document changed: same inputs, same hash, on any machine."""
    return hash_parts(doc.title, doc.content, canonical_json(doc.metadata), canonical_json(doc.tags))


def hash_parts(title: str, content: str, metadata_json: str, tags_json: str) -> str:
    """`content_hash` from metadata and tags already spelled by `canonical_json`.

    The text hashed is the canonical JSON object of all four fields; a sync that
    has the metadata's JSON anyway (to COPY it) does not spell it twice.
    """
    canonical = (
        f'{{"content":{_JSON_STRING(content)},"metadata":{metadata_json},'
        f'"tags":{tags_json},"title":{_JSON_STRING(title)}}}'
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


def check_document(
    doc: DocumentInput, position: int = 1, *, metadata_json: str | None = None, tags_json: str | None = None
) -> None:
    """Refuse a record that could not be stored or matched exactly by rules.

    Metadata holds scalars and nested objects, not lists: rules compare metadata
    inside the database, and a list has no single value to compare (lists of
    labels belong in tags). A caller that has spelled metadata and tags as JSON
    already passes that text, which is searched for NUL faster than the values.
    """
    if metadata_json is not None and tags_json is not None:
        nul = "\x00" in doc.external_id or "\x00" in doc.title or "\x00" in doc.content
        nul = nul or json_has_nul(metadata_json) or json_has_nul(tags_json)
    else:
        nul = has_nul((doc.external_id, doc.title, doc.content, doc.metadata, doc.tags))
    if nul:
        raise InvalidInputError(f"record {position}: text contains a NUL character")
    listed = _list_in(doc.metadata, "metadata")
    if listed:
        raise InvalidInputError(f"record {position}: {listed} is a list; put labels in tags instead")
    if not doc.external_id or len(doc.external_id) > MAX_EXTERNAL_ID:
        raise InvalidInputError(f"record {position}: external id must be 1 to {MAX_EXTERNAL_ID} characters")
    if len(doc.title) > MAX_TITLE:
        raise InvalidInputError(f"record {position}: title is longer than {MAX_TITLE} characters")


def validate(docs: Sequence[DocumentInput]) -> None:
    """Refuse a batch if any record is unusable or two records share an external id."""
    seen: set[str] = set()
    for position, doc in enumerate(docs, start=1):
        check_document(doc, position)
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


def documents_version(resources: Resources, tenant_id: str) -> int:
    """Changes whenever the tenant's documents do, so figures cached for older data are never used."""
    version = resources.cache.get(_version_key(tenant_id))
    return int(version) if version is not None else bump_version(resources, tenant_id)


def _version_key(tenant_id: str) -> str:
    return f"documents-version:{tenant_id}"


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
