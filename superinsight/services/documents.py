"""Documents: idempotent batch upserts and tenant-scoped listing."""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from superinsight import masking
from superinsight.db.base import utcnow
from superinsight.db.models import (
    Annotation,
    BusinessRule,
    BusinessRuleApplication,
    DataMaskingRule,
    DataSource,
    Document,
    QualityIssue,
    SyncJob,
)
from superinsight.db.uow import UnitOfWork
from superinsight.resources import Resources
from superinsight.services import audit, inputs
from superinsight.services.context import Actor, require
from superinsight.services.errors import InvalidInputError, NotFoundError
from superinsight.services.inputs import has_nul
from superinsight.services.scoping import visible_row, visible_source, visible_sources

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


def _masking_rule(row: DataMaskingRule) -> masking.MaskingRule:
    method: masking.Method = row.method  # type: ignore[assignment]  # the CHECK constraint allows only these
    return masking.MaskingRule(row.field, row.pattern, method, frozenset(row.unmasked_roles))


def _masking_rules(session: Session, tenant_id: str) -> list[masking.MaskingRule]:
    rows = session.scalars(
        select(DataMaskingRule).where(
            DataMaskingRule.tenant_id == tenant_id, DataMaskingRule.is_active.is_(True)
        )
    )
    return [_masking_rule(row) for row in rows]


def masker(
    resources: Resources, session: Session, actor: Actor
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Masks documents for this actor; unmasked values never leave the service for a viewer."""
    rules = _masking_rules(session, actor.tenant_id)
    key = resources.settings.effective_secret_key().encode()
    may_unmask = actor.can("documents.view_unmasked")
    return lambda data: masking.apply(data, rules, actor.role, may_unmask, key)


def list_documents(
    resources: Resources, actor: Actor, *, before_id: int | None = None, limit: int = 50
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
        .where(Document.tenant_id == actor.tenant_id, visible_sources(actor, Document.source_id))
        .order_by(Document.id.desc())
        .limit(min(max(limit, 1), 500))
    )
    if before_id is not None:
        query = query.where(Document.id < before_id)
    with resources.uow() as uow:
        mask = masker(resources, uow.session, actor)
        rows = []
        for doc_id, source, external_id, title, tags, created_at in uow.session.execute(query):
            shown = mask({"title": title, "external_id": external_id})
            rows.append(DocumentRow(doc_id, source, shown["external_id"], shown["title"], tags, created_at))
        return rows


@dataclass(frozen=True)
class DocumentDetail:
    id: int
    source: str | None
    external_id: str
    title: str
    content: str
    metadata: dict[str, Any]
    tags: list[str]
    created_at: datetime
    matched_rules: list[str] = field(default_factory=list)
    open_issues: list[str] = field(default_factory=list)
    annotations: list[AnnotationView] = field(default_factory=list)
    lineage: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class AnnotationView:
    completed_by: str | None
    labels: list[str]
    created_at: datetime


def _labels(result: list[Any]) -> list[str]:
    """The label names in a Label Studio annotation result, in order, without repeats."""
    found: list[str] = []
    for region in result:
        value = region.get("value", {}) if isinstance(region, dict) else {}
        for key in ("choices", "labels", "rectanglelabels", "taxonomy"):
            for label in value.get(key, []) or []:
                text = label if isinstance(label, str) else "/".join(map(str, label))
                if text not in found:
                    found.append(text)
    return found


def _lineage(
    session: Session, document: Document, source: str | None, rules: list[str], issues: int, annotations: int
) -> list[tuple[str, str]]:
    """Where the document came from and what it has been through, oldest step first."""
    steps = [("source", source or "uploaded file")]
    if document.sync_job_id is not None:
        job = session.scalar(select(SyncJob.name).where(SyncJob.id == document.sync_job_id))
        synced = f", last synced {document.last_synced_at:%Y-%m-%d %H:%M}" if document.last_synced_at else ""
        steps.append(("sync", f"{job} (version {document.sync_version}{synced})"))
    if document.edited_at is not None:
        steps.append(("edited", f"edited in the workbench {document.edited_at:%Y-%m-%d %H:%M}"))
    if document.sync_status == "conflict":
        steps.append(("conflict", "waits for a conflict to be resolved on the Sync page"))
    steps += [("rule", name) for name in rules]
    if issues:
        steps.append(("quality", f"{issues} open issue(s)"))
    if annotations:
        steps.append(("labeling", f"{annotations} annotation(s) from Label Studio"))
    return steps


def get_document(resources: Resources, actor: Actor, document_id: int) -> DocumentDetail:
    require(actor, "documents.view")
    with resources.uow() as uow:
        found = uow.session.execute(
            select(Document, DataSource.name)
            .outerjoin(DataSource, DataSource.id == Document.source_id)
            .where(
                Document.id == document_id,
                Document.tenant_id == actor.tenant_id,
                visible_sources(actor, Document.source_id),
            )
        ).one_or_none()
        if found is None:
            raise NotFoundError(f"document {document_id} does not exist")
        document, source = found
        shown = masker(resources, uow.session, actor)(
            {
                "title": document.title,
                "content": document.content,
                "external_id": document.external_id,
                "metadata": document.meta,
            }
        )
        matched_rules = uow.session.scalars(
            select(BusinessRule.name)
            .join(BusinessRuleApplication, BusinessRuleApplication.rule_id == BusinessRule.id)
            .where(
                BusinessRuleApplication.document_id == document.id,
                BusinessRuleApplication.rule_version == BusinessRule.version,
            )
            .order_by(BusinessRule.name)
        ).all()
        open_issues = uow.session.scalars(
            select(QualityIssue.check_name).where(
                QualityIssue.document_id == document.id, QualityIssue.status != "resolved"
            )
        ).all()
        annotations = [
            AnnotationView(row.completed_by, _labels(row.result), row.created_at)
            for row in uow.session.scalars(
                select(Annotation).where(Annotation.document_id == document.id).order_by(Annotation.id)
            )
        ]
        return DocumentDetail(
            document.id,
            source,
            shown["external_id"],
            shown["title"],
            shown["content"],
            shown["metadata"],
            list(document.tags),
            document.created_at,
            list(matched_rules),
            list(open_issues),
            annotations,
            _lineage(uow.session, document, source, list(matched_rules), len(open_issues), len(annotations)),
        )


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
        check_document(edited)
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


def add_masking_rule(resources: Resources, actor: Actor, name: str, rule: masking.MaskingRule) -> None:
    """A new masking rule for the tenant; admins only, since it decides what others may see."""
    require(actor, "users.manage")
    try:
        masking.check_rule(rule)
    except masking.MaskingRuleError as exc:
        raise InvalidInputError(str(exc)) from None
    with resources.uow() as uow:
        row = DataMaskingRule(
            tenant_id=actor.tenant_id,
            name=inputs.text(name, "name"),
            field=rule.field,
            pattern=rule.pattern,
            method=rule.method,
            unmasked_roles=sorted(rule.unmasked_roles),
        )
        uow.session.add(row)
        uow.session.flush()
        audit.record(
            uow.session,
            actor,
            "masking_rule.create",
            "data_masking_rule",
            row.id,
            after={"name": name, "field": rule.field, "pattern": rule.pattern, "method": rule.method},
        )
        uow.commit()


def masking_rules(resources: Resources, actor: Actor) -> list[tuple[str, masking.MaskingRule]]:
    require(actor, "users.manage")
    with resources.uow() as uow:
        rows = uow.session.scalars(
            select(DataMaskingRule).where(DataMaskingRule.tenant_id == actor.tenant_id)
        )
        return [(row.name, _masking_rule(row)) for row in rows]


def documents_per_day(resources: Resources, actor: Actor) -> list[tuple[date, str, int]]:
    """How many documents arrived each day from each source, for the overview chart."""
    require(actor, "documents.view")
    day = func.date(Document.created_at)
    query = (
        select(day, func.coalesce(DataSource.name, "uploads"), func.count())
        .outerjoin(DataSource, DataSource.id == Document.source_id)
        .where(Document.tenant_id == actor.tenant_id, visible_sources(actor, Document.source_id))
        .group_by(day, DataSource.name)
        .order_by(day)
    )
    with resources.uow() as uow:
        return [
            (value if isinstance(value, date) else date.fromisoformat(str(value)), source, count)
            for value, source, count in uow.session.execute(query)
        ]
