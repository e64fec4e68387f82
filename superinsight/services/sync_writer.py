"""Writing one batch of synced records: staged in bulk, conflicts settled, then one upsert.

Records go into a temporary staging table (PostgreSQL `COPY`, SQLite
`executemany`), and from there into documents with a single
`INSERT ... SELECT ... ON CONFLICT (source_id, external_id)`: no row-by-row ORM
work, and the same statement on both stores. Everything here runs in the
caller's transaction, which also saves the cursor, so a batch and its cursor
commit together or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    MetaData,
    String,
    Table,
    Text,
    and_,
    case,
    delete,
    func,
    literal,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from superinsight.db.base import JSONType, aware
from superinsight.db.models import DataConflict, Document
from superinsight.sync import conflicts
from superinsight.sync.modes import Mode

_stage_metadata = MetaData()
STAGE = Table(
    "sync_stage",
    _stage_metadata,
    Column("external_id", String(255)),
    Column("title", String(1000)),
    Column("content", Text),
    Column("metadata", JSONType),
    Column("tags", JSONType),
    Column("content_hash", String(64)),
    Column("changed_at", DateTime(timezone=True)),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)
_COLUMNS = [column.name for column in STAGE.columns]


@dataclass(frozen=True)
class StagedRecord:
    external_id: str
    title: str
    content: str
    metadata: dict[str, Any]
    tags: list[str]
    content_hash: str
    changed_at: datetime | None = None


@dataclass(frozen=True)
class Target:
    """Where and how a batch is written; the same for every batch of a run."""

    tenant_id: str
    source_id: int
    job_id: int
    execution_id: int
    mode: Mode
    strategy: str
    now: datetime


@dataclass
class BatchCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    conflicts: int = 0
    conflict_ids: list[int] = field(default_factory=list)


def _load_stage(session: Session, records: Sequence[StagedRecord]) -> None:
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        STAGE.create(connection)
        raw = connection.connection.driver_connection
        assert raw is not None, "a live session always has a driver connection"
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY sync_stage ({', '.join(_COLUMNS)}) FROM STDIN") as copy,
        ):
            for record in records:
                copy.write_row(
                    (
                        record.external_id,
                        record.title,
                        record.content,
                        json.dumps(record.metadata, ensure_ascii=False),
                        json.dumps(record.tags, ensure_ascii=False),
                        record.content_hash,
                        record.changed_at,
                    )
                )
        return
    STAGE.create(connection, checkfirst=True)
    session.execute(delete(STAGE))
    session.execute(
        STAGE.insert(),
        [{name: getattr(record, name) for name in _COLUMNS} for record in records],
    )


def _joined(source_id: int) -> Any:
    return and_(Document.source_id == source_id, Document.external_id == STAGE.c.external_id)


def _settle_conflicts(session: Session, target: Target, counts: BatchCounts) -> None:
    """Documents edited here whose record also changed at the source, each decided by the job's strategy."""
    found = session.execute(
        select(Document, *STAGE.c)
        .join(STAGE, _joined(target.source_id))
        .where(Document.edited_at.is_not(None), Document.content_hash != STAGE.c.content_hash)
    ).all()
    for row in found:
        document: Document = row[0]
        incoming = {name: row._mapping[STAGE.c[name]] for name in _COLUMNS}
        assert document.edited_at is not None
        changed = aware(incoming["changed_at"]) if incoming["changed_at"] else target.now
        decision = conflicts.decide(target.strategy, changed, aware(document.edited_at))
        conflict = _record_conflict(session, target, document, incoming, decision)
        counts.conflicts += 1
        counts.conflict_ids.append(conflict.id)
        if decision == "take_source":
            continue
        session.execute(delete(STAGE).where(STAGE.c.external_id == document.external_id))
        document.last_synced_at = target.now
        if decision == "keep_workbench":
            document.content_hash = incoming["content_hash"]
        else:
            document.sync_status = "conflict"


def _version(document: Document) -> dict[str, Any]:
    return {
        "title": document.title,
        "content": document.content,
        "metadata": document.meta,
        "tags": document.tags,
        "edited_at": document.edited_at.isoformat() if document.edited_at else None,
    }


def _record_conflict(
    session: Session, target: Target, document: Document, incoming: dict[str, Any], decision: str
) -> DataConflict:
    source_version = {
        "title": incoming["title"],
        "content": incoming["content"],
        "metadata": incoming["metadata"],
        "tags": incoming["tags"],
        "content_hash": incoming["content_hash"],
        "changed_at": incoming["changed_at"].isoformat() if incoming["changed_at"] else None,
    }
    pending = session.scalar(
        select(DataConflict).where(DataConflict.document_id == document.id, DataConflict.status == "pending")
    )
    if pending is not None and decision == "ask":
        pending.source_version = source_version
        pending.execution_id = target.execution_id
        return pending
    conflict = DataConflict(
        tenant_id=target.tenant_id,
        job_id=target.job_id,
        execution_id=target.execution_id,
        document_id=document.id,
        conflict_type="content",
        source_version=source_version,
        workbench_version=_version(document),
        resolution_strategy=target.strategy,
        status="pending" if decision == "ask" else "auto_resolved",
        resolved_at=None if decision == "ask" else target.now,
    )
    session.add(conflict)
    session.flush()
    return conflict


def _count(session: Session, target: Target, counts: BatchCounts) -> None:
    new, changed, total = session.execute(
        select(
            func.coalesce(func.sum(case((Document.id.is_(None), 1), else_=0)), 0),
            func.coalesce(
                func.sum(
                    case(
                        (and_(Document.id.is_not(None), Document.content_hash != STAGE.c.content_hash), 1),
                        else_=0,
                    )
                ),
                0,
            ),
            func.count(),
        )
        .select_from(STAGE)
        .outerjoin(Document, _joined(target.source_id))
    ).one()
    counts.inserted = int(new)
    if target.mode.updates_existing:
        counts.updated = int(changed)
        counts.unchanged += int(total) - int(new) - int(changed)
    else:
        counts.skipped += int(total) - int(new)


def _upsert(session: Session, target: Target) -> None:
    dialect_insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    rows = select(
        literal(target.tenant_id),
        literal(target.source_id),
        STAGE.c.external_id,
        STAGE.c.title,
        STAGE.c.content,
        STAGE.c.metadata,
        STAGE.c.tags,
        STAGE.c.content_hash,
        literal("synced"),
        literal(1),
        literal(target.job_id),
        literal(target.now),
        literal(target.now),
        literal(target.now),
    ).where(true())
    statement = dialect_insert(Document).from_select(
        [
            "tenant_id",
            "source_id",
            "external_id",
            "title",
            "content",
            "metadata",
            "tags",
            "content_hash",
            "sync_status",
            "sync_version",
            "sync_job_id",
            "last_synced_at",
            "created_at",
            "updated_at",
        ],
        rows,
    )
    if not target.mode.updates_existing:
        session.execute(statement.on_conflict_do_nothing(index_elements=["source_id", "external_id"]))
        return
    excluded = statement.excluded
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["source_id", "external_id"],
            set_={
                "title": excluded.title,
                "content": excluded.content,
                "metadata": excluded.metadata,
                "tags": excluded.tags,
                "content_hash": excluded.content_hash,
                "sync_status": "synced",
                "sync_version": Document.sync_version + 1,
                "sync_job_id": excluded.sync_job_id,
                "last_synced_at": excluded.last_synced_at,
                "edited_at": None,
                "updated_at": excluded.updated_at,
            },
            where=Document.content_hash != excluded.content_hash,
        )
    )


def _touch_unchanged(session: Session, target: Target) -> None:
    """Mark unchanged documents as seen by this run, so overwrite mode keeps them."""
    session.execute(
        update(Document)
        .where(
            Document.source_id == target.source_id,
            Document.external_id.in_(select(STAGE.c.external_id)),
        )
        .values(last_synced_at=target.now)
        .execution_options(synchronize_session=False)
    )


def write_batch(session: Session, target: Target, records: Sequence[StagedRecord]) -> BatchCounts:
    counts = BatchCounts()
    if not records:
        return counts
    _load_stage(session, records)
    if target.mode.updates_existing:
        _settle_conflicts(session, target, counts)
    _count(session, target, counts)
    if target.mode.deletes_missing:
        _touch_unchanged(session, target)
    _upsert(session, target)
    return counts


def remove_missing(session: Session, source_id: int, job_id: int, started_at: datetime) -> int:
    """After a full overwrite run: documents this job brought in that the source no longer has."""
    result = session.execute(
        delete(Document)
        .where(
            Document.source_id == source_id,
            Document.sync_job_id == job_id,
            Document.last_synced_at < started_at,
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
