"""A person's import of documents (uploads, the demo) by the one write path; the documents-changed clock."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from functools import partial
from itertools import islice

from sqlalchemy import select

from superinsight.db.base import utcnow
from superinsight.db.deadlocks import retrying_deadlocks
from superinsight.db.models import Document
from superinsight.documents.record import DocumentInput, DocumentProblem
from superinsight.resources import Resources
from superinsight.services import audit
from superinsight.services.context import Actor, internal, require
from superinsight.services.documents.batch_writer import write_batch
from superinsight.services.documents.staging import StagedRecord, Target, WriteCounts, stage
from superinsight.services.errors import InvalidInputError
from superinsight.services.graph import backlog as graph_backlog
from superinsight.services.scoping import visible_source
from superinsight.sync.modes import MODES


def validate(docs: Sequence[DocumentInput]) -> list[StagedRecord]:
    """Refuse a batch if any record is unusable or two records share an external id: the policy of a
    person's import, where a file is taken whole or not at all (a sync skips and logs a bad record)."""
    seen: set[str] = set()
    staged: list[StagedRecord] = []
    for position, doc in enumerate(docs, start=1):
        try:
            staged.append(stage(doc))
        except DocumentProblem as problem:
            raise InvalidInputError(f"record {position}: {problem}") from None
        if doc.external_id in seen:
            raise InvalidInputError(f"record {position}: external id {doc.external_id!r} appears twice")
        seen.add(doc.external_id)
    return staged


def _batches(records: Iterable[DocumentInput], size: int) -> Iterator[list[DocumentInput]]:
    iterator = iter(records)
    while batch := list(islice(iterator, size)):
        yield batch


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
) -> WriteCounts:
    """Insert new documents and update changed ones, one committed transaction per batch.

    Re-running with the same records changes nothing; a batch that fails
    validation is refused whole and earlier batches stay committed. The new
    version replaces a workbench edit: the person importing it decided so.
    Each batch notes the documents it wrote in the graph backlog as it commits;
    the drain is queued once the import is done.
    """
    require(actor, "documents.edit")
    with resources.uow() as uow:
        visible_source(uow.session, actor, source_id)
    total = WriteCounts()
    for batch in _batches(records, batch_size):
        staged = validate(batch)
        # A batch PostgreSQL failed to break a deadlock (a rule tagging the same source) is written again.
        total += retrying_deadlocks(partial(_write_batch, resources, actor, source_id, staged))
        bump_version(resources, actor.tenant_id)
    if total.inserted or total.updated:
        graph_backlog.drain_soon(resources, actor.tenant_id)
    return total


def _write_batch(
    resources: Resources, actor: Actor, source_id: int, staged: list[StagedRecord]
) -> WriteCounts:
    """One batch in one transaction, audited; the documents it wrote noted for the graph."""
    with resources.uow() as uow:
        visible_source(uow.session, actor, source_id)
        fresh = uow.session.scalar(select(Document.id).where(Document.source_id == source_id).limit(1))
        now = utcnow()  # a moment of its own per batch: the documents written at or after it are this batch's
        target = Target(
            tenant_id=actor.tenant_id,
            source_id=source_id,
            job_id=None,
            execution_id=None,
            mode=MODES["incremental_dedup"],
            strategy=None,
            now=now,
            fresh=fresh is None,
        )
        counts = write_batch(uow.session, target, staged)
        if counts.inserted or counts.updated:
            graph_backlog.note_written(uow.session, actor.tenant_id, source_id, now)
        audit.record(
            uow.session,
            actor,
            "documents.upsert",
            "data_source",
            source_id,
            after={"inserted": counts.inserted, "updated": counts.updated},
        )
        uow.commit()
    return counts
