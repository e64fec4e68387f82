"""The one write path into documents: a staged batch, conflicts settled by strategy, one upsert, counts.

Sync runs, uploads and the demo all write through `write_batch`; on PostgreSQL a
batch reaches the database by COPY (straight into documents for a source that had
none), elsewhere by batched inserts into the same staging table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    and_,
    case,
    delete,
    func,
    literal,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session

from superinsight.db import dialect
from superinsight.db.base import aware
from superinsight.db.models import DataConflict, Document
from superinsight.documents.arrivals import tally
from superinsight.services.documents import arrivals, key_kinds
from superinsight.services.documents.staging import (
    DIRECT_COLUMNS,
    STAGE,
    STAGE_COLUMNS,
    StagedRecord,
    Target,
    WriteCounts,
    copy_into_documents,
    copy_payload,
    load_stage,
)
from superinsight.services.graph import backlog as graph_backlog
from superinsight.sync import conflicts


def _joined(source_id: int) -> Any:
    return and_(Document.source_id == source_id, Document.external_id == STAGE.c.external_id)


def _settle_conflicts(session: Session, target: Target, counts: WriteCounts) -> None:
    """Documents edited here whose record also changed at the source, each decided by the job's strategy."""
    if target.strategy is None:
        return
    strategy = target.strategy
    found = session.execute(
        select(Document, *STAGE.c)
        .join(STAGE, _joined(target.source_id))
        .where(Document.edited_at.is_not(None), Document.content_hash != STAGE.c.content_hash)
    ).all()
    for row in found:
        document: Document = row[0]
        if document.edited_at is None:  # the query asked for edited documents only
            continue
        incoming = {name: row._mapping[STAGE.c[name]] for name in STAGE_COLUMNS}
        changed = aware(incoming["changed_at"]) if incoming["changed_at"] else target.now
        decision = conflicts.decide(strategy, changed, aware(document.edited_at))
        _record_conflict(session, target, document, incoming, strategy, decision)
        counts.conflicts += 1
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
    session: Session,
    target: Target,
    document: Document,
    incoming: dict[str, Any],
    strategy: str,
    decision: str,
) -> None:
    """Keep both versions; a document already waiting for a person gets its source side refreshed."""
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
        return
    session.add(
        DataConflict(
            tenant_id=target.tenant_id,
            job_id=target.job_id,
            execution_id=target.execution_id,
            document_id=document.id,
            conflict_type="content",
            source_version=source_version,
            workbench_version=_version(document),
            resolution_strategy=strategy,
            status="pending" if decision == "ask" else "auto_resolved",
            resolved_at=None if decision == "ask" else target.now,
        )
    )


def _count(session: Session, target: Target, counts: WriteCounts) -> None:
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


def _upsert(session: Session, target: Target) -> list[datetime]:
    """Insert the staged records that are new, update those that changed; the new ones' dates.

    An inserted row comes back with sync_version 1, an updated one with its version moved
    past 1 (a version starts at 1 and only grows), and a row left alone does not come back:
    that tells what this statement did, whatever else writes the source at the same time.
    """
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
        literal(target.job_id, BigInteger),
        literal(target.now),
        func.coalesce(STAGE.c.created_at, literal(target.now)),
        literal(target.now),
    ).where(true())
    statement = dialect.insert(session, Document).from_select(
        list(DIRECT_COLUMNS),
        rows,
    )
    if not target.mode.updates_existing:
        statement = statement.on_conflict_do_nothing(index_elements=["source_id", "external_id"])
    else:
        excluded = statement.excluded
        statement = statement.on_conflict_do_update(
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
    written = session.execute(statement.returning(Document.created_at, Document.sync_version))
    return [created for created, version in written if version == 1]


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


def write_batch(
    session: Session, target: Target, records: Sequence[StagedRecord], payload: bytes | None = None
) -> WriteCounts:
    """Write one batch of records with distinct external ids, in the caller's transaction.

    `payload` is `copy_payload(records, target, dialect)` if the caller built it
    (a sync builds it on another thread). A document's own date is kept on update.
    """
    counts = WriteCounts()
    if not records:
        return counts
    dialect.write_first(session, Document)
    postgres = dialect.is_postgresql(session)
    if payload is None:
        payload = copy_payload(records, target, postgres)
    if target.fresh and payload is not None:
        before = session.scalar(select(func.coalesce(func.max(Document.id), 0)))
        if copy_into_documents(session, payload):
            counts.inserted = len(records)
            # The batch's rows are the source's rows past every id there was before the COPY.
            new_rows = (Document.source_id == target.source_id, Document.id > before)
            key_kinds.record(session, target.tenant_id, target.source_id, Document, Document.meta, *new_rows)
            days = tally(record.created_at or target.now for record in records)  # COPY wrote them all
            arrivals.add(session, target.tenant_id, target.source_id, days)
            return counts
        payload = copy_payload(records, replace(target, fresh=False), postgres)
    load_stage(session, records, payload)
    if target.mode.updates_existing:
        _settle_conflicts(session, target, counts)
    _count(session, target, counts)
    if target.mode.deletes_missing:
        _touch_unchanged(session, target)
    inserted = _upsert(session, target)
    arrivals.add(session, target.tenant_id, target.source_id, tally(inserted))
    key_kinds.record(session, target.tenant_id, target.source_id, STAGE, STAGE.c.metadata)
    return counts


BULK_LOAD_ROWS = 10_000


def refresh_statistics(session: Session, inserted: int) -> None:
    """ANALYZE documents after a bulk load, as PostgreSQL's own bulk-loading advice says.

    Autovacuum gets there within a minute or so; until then the planner takes a
    freshly filled table for small and answers the next sync's lookups by
    scanning every document instead of probing the unique index.
    """
    if inserted >= BULK_LOAD_ROWS:
        dialect.analyze(session, "documents")


def remove_missing(
    session: Session, tenant_id: str, source_id: int, job_id: int, started_at: datetime
) -> int:
    """After a full overwrite run: documents this job brought in that the source no longer has.

    They are noted for the graph first, in the same transaction, so their nodes leave it too,
    and taken off the arrivals by the dates the delete itself returns.
    """
    missing = (
        Document.source_id == source_id,
        Document.sync_job_id == job_id,
        Document.last_synced_at < started_at,
    )
    graph_backlog.note_documents(session, *missing)
    removed = delete(Document).where(*missing).returning(Document.created_at)
    dates = session.scalars(removed.execution_options(synchronize_session=False)).all()
    arrivals.subtract(session, tenant_id, source_id, tally(dates))
    return len(dates)
