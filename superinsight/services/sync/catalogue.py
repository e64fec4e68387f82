"""Every source of the workspace as the Data sources page lists it, deleting one, and files sent for one.

The list is every source, whatever made it (uploads, the demo, a synced connection),
with what it holds and when it last synced, so an analyst sees the whole workspace in
one place. Deleting says first what goes with the source; a file sent from the
browser is stored in the workspace's own folder, where file sources read.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from superinsight.config import private_dir
from superinsight.db.models import DataSource, Document, DocumentArrival, SyncExecution, SyncJob
from superinsight.resources import Resources
from superinsight.services import audit
from superinsight.services.context import Actor, require, require_whole_tenant
from superinsight.services.documents import arrivals
from superinsight.services.documents.writer import bump_version
from superinsight.services.errors import InvalidInputError, NotFoundError
from superinsight.services.graph import backlog as graph_backlog
from superinsight.services.inputs import text
from superinsight.services.scoping import visible_sources
from superinsight.sync.connectors.files import tenant_folder

SENT_FOLDER = "sent"  # inside the workspace's folder: files sent from the browser
SENT_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
MAX_SENT_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class CatalogueRow:
    id: int
    name: str
    source_type: str
    documents: int
    jobs: int
    last_sync: datetime | None
    last_sync_status: str | None
    health_status: str | None
    last_health_check: datetime | None


def catalogue(resources: Resources, actor: Actor) -> list[CatalogueRow]:
    """Every source the actor may see, by name, with its documents, jobs and newest sync run.

    A source's documents are the sum of its kept arrivals, not a count over every document.
    """
    require(actor, "documents.view")
    documents = (
        select(DocumentArrival.source_id, func.sum(DocumentArrival.documents).label("n"))
        .where(DocumentArrival.tenant_id == actor.tenant_id)
        .group_by(DocumentArrival.source_id)
        .subquery()
    )
    jobs = (
        select(SyncJob.source_id, func.count().label("n"), func.max(SyncExecution.id).label("newest"))
        .outerjoin(SyncExecution, SyncExecution.job_id == SyncJob.id)
        .where(SyncJob.tenant_id == actor.tenant_id)
        .group_by(SyncJob.source_id)
        .subquery()
    )
    newest = SyncExecution.__table__.alias("newest")
    with resources.uow() as uow:
        rows = uow.session.execute(
            select(
                DataSource.id,
                DataSource.name,
                DataSource.source_type,
                func.coalesce(documents.c.n, 0),
                func.coalesce(jobs.c.n, 0),
                func.coalesce(newest.c.finished_at, newest.c.started_at, newest.c.created_at),
                newest.c.status,
                DataSource.health_status,
                DataSource.last_health_check,
            )
            .outerjoin(documents, documents.c.source_id == DataSource.id)
            .outerjoin(jobs, jobs.c.source_id == DataSource.id)
            .outerjoin(newest, newest.c.id == jobs.c.newest)
            .where(DataSource.tenant_id == actor.tenant_id, visible_sources(actor, DataSource.id))
            .order_by(DataSource.name)
        ).all()
    return [CatalogueRow(*row) for row in rows]


def _tenant_source(session: Session, actor: Actor, source_id: int) -> DataSource:
    source = session.get(DataSource, source_id)
    if source is None or source.tenant_id != actor.tenant_id:
        raise NotFoundError(f"data source {source_id} does not exist")
    return source


def delete_source(resources: Resources, actor: Actor, source_id: int, typed_name: str) -> int:
    """Delete a source with its documents, sync jobs and their history; returns the documents removed.

    The name must be typed back: one click must not remove thousands of documents. The graph
    hears of it with the deletion (a `source` note), and drops the source's nodes when drained.
    """
    require(actor, "sources.manage")
    require_whole_tenant(actor, "delete a data source")
    with resources.uow() as uow:
        source = _tenant_source(uow.session, actor, source_id)
        if typed_name.strip() != source.name:
            raise InvalidInputError(f"type the source's name, {source.name!r}, to delete it")
        removed = int(
            uow.session.scalar(
                select(func.count()).select_from(Document).where(Document.source_id == source.id)
            )
            or 0
        )
        audit.record(
            uow.session,
            actor,
            "source.delete",
            "data_source",
            source.id,
            before={"name": source.name, "type": source.source_type, "documents": removed},
        )
        uow.session.delete(source)
        uow.session.flush()  # the source's row first: no batch into it can commit after this delete
        arrivals.forget_source(uow.session, actor.tenant_id, source_id)
        graph_backlog.note(uow.session, actor.tenant_id, "source", source_id)
        uow.commit()
    bump_version(resources, actor.tenant_id)
    graph_backlog.drain_soon(resources, actor.tenant_id)
    return removed


def _sent_name(filename: str) -> str:
    name = PurePath(text(filename, "the file name", 200).replace("\\", "/")).name
    suffix = PurePath(name).suffix.lower()
    if suffix not in SENT_SUFFIXES or name.startswith("."):
        raise InvalidInputError(f"{name or filename!r}: send a .csv, .jsonl or .ndjson file")
    return name


def store_sent_file(resources: Resources, actor: Actor, filename: str, data: bytes) -> str:
    """Keep a file sent from the browser in the workspace's folder; returns the path a source reads.

    Written to a temporary file and renamed, so a source never reads half a file; a file
    of the same name is replaced, which is how a new version of an export is sent.
    """
    require(actor, "sources.manage")
    require_whole_tenant(actor, "add files for data sources")
    name = _sent_name(filename)
    if len(data) > MAX_SENT_BYTES:
        raise InvalidInputError(f"{name} is {len(data):,} bytes; at most {MAX_SENT_BYTES:,} may be sent")
    if not data.strip():
        raise InvalidInputError(f"{name} is empty")
    folder = private_dir(
        tenant_folder(resources.settings.effective_files_root, actor.tenant_id) / SENT_FOLDER
    )
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".sending-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, folder / name)
    except BaseException:
        os.unlink(temporary)
        raise
    with resources.uow() as uow:
        audit.record(
            uow.session,
            actor,
            "source_file.store",
            "file",
            f"{SENT_FOLDER}/{name}",
            after={"bytes": len(data)},
        )
        uow.commit()
    return f"{SENT_FOLDER}/{name}"
