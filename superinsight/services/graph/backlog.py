"""The graph backlog: changes noted with the change itself, projected later, in order, exactly once in effect.

A service that changes what the graph shows notes it (`note`) in its own unit of
work, so the note commits or vanishes with the change. `drain` projects notes in
id order and deletes each batch only after its projection has landed: a stopped
graph store leaves the backlog as it was (nothing lost), and a batch projected
twice (a drain that died after writing, before deleting) merges onto the same
nodes and edges (nothing duplicated). Notes of a kind projected many at a time
(`document`: an import notes every document it wrote) are handed over together
when they follow one another, so the order of the backlog is kept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from itertools import groupby

from sqlalchemy import ColumnElement, delete, func, insert, literal, select
from sqlalchemy.orm import Session

from superinsight.db.base import utcnow
from superinsight.db.models import Document
from superinsight.db.models.graph import GraphBacklog
from superinsight.resources import Resources, current_resources
from superinsight.services.context import Actor, internal, require
from superinsight.services.graph import imports, labelled, project

log = logging.getLogger(__name__)
DRAIN_BATCH = 1000
STALE = timedelta(seconds=30)
LEASE_SECONDS = 300  # longer than any batch of DRAIN_BATCH notes takes to project
PROJECTORS: dict[str, Callable[[Resources, str, int], None]] = {
    "run": project.project_run,
    "rule": project.project_rule,
    "issue": project.project_issue,
    "source_issues": project.project_source_issues,
    "labeling": labelled.project_labeling,
    "source": imports.project_source,
}
MANY_AT_ONCE: dict[str, Callable[[Resources, str, Sequence[int]], None]] = {
    "document": imports.project_documents,
}


@internal("adds a note to a guarded caller's own unit of work for its own tenant")
def note(session: Session, tenant_id: str, kind: str, ref_id: int) -> None:
    session.add(GraphBacklog(tenant_id=tenant_id, kind=kind, ref_id=ref_id))


@internal("notes, in a guarded import's own unit of work, the documents it just wrote into a source")
def note_written(session: Session, tenant_id: str, source_id: int, since: datetime) -> None:
    """One `document` note per document of the source written at or after `since` (this batch's
    moment: unchanged documents keep their older one)."""
    note_documents(
        session,
        Document.tenant_id == tenant_id,
        Document.source_id == source_id,
        Document.last_synced_at >= since,
    )


@internal("notes, in a guarded writer's own unit of work, documents it is about to write or delete")
def note_documents(session: Session, *where: ColumnElement[bool]) -> None:
    """One `document` note per document `where` picks, in one INSERT ... SELECT (an import may
    write a hundred thousand; a sync may remove as many)."""
    now = literal(utcnow(), GraphBacklog.created_at.type)
    picked = select(Document.tenant_id, literal("document"), Document.id, now).where(*where)
    columns = ["tenant_id", "kind", "ref_id", "created_at"]
    session.execute(insert(GraphBacklog).from_select(columns, picked.order_by(Document.id)))


def _in_order(notes: Sequence[tuple[str, int]]) -> Iterator[tuple[str, list[int]]]:
    """Each note once (where it first came), and notes of one kind that follow one another together."""
    unique = list(dict.fromkeys(notes))
    for kind, run in groupby(unique, key=lambda pair: pair[0]):
        yield kind, [ref_id for _, ref_id in run]


@internal("queues the drain of a tenant's backlog after a guarded change of that tenant")
def drain_soon(resources: Resources, tenant_id: str) -> str | None:
    """Queue a drain now (unless settings leave it to the scheduler's round); returns the job id."""
    if not resources.settings.graph_follow_ups:
        return None
    with resources.active():
        return resources.jobs.enqueue(drain_job, tenant_id)


@internal("a job queued after a guarded change, for the tenant that made it")
def drain_job(tenant_id: str) -> int:
    return drain(current_resources(), tenant_id)


@internal("projects what guarded services noted for this tenant; reads and writes only that tenant's graph")
def drain(resources: Resources, tenant_id: str) -> int:
    """Project the tenant's backlog in order; returns how many notes this call handled.

    One drain per tenant at a time, by a lease in the shared cache: one change queues
    several drains (a sync's follow-ups each ask for one), and several workers would
    otherwise all project the same notes. A drain that finds the lease taken leaves the
    notes to its holder, which looks again after letting go, for notes that came meanwhile.
    A holder that died lets go when the lease runs out.
    """
    lease = f"graph-drain:{tenant_id}"
    handled = 0
    while resources.cache.add(lease, True, LEASE_SECONDS):
        try:
            handled += _drain_held(resources, tenant_id, lease)
        finally:
            resources.cache.delete(lease)
        if not _waiting(resources, tenant_id):
            break
    return handled


def _drain_held(resources: Resources, tenant_id: str, lease: str) -> int:
    handled = 0
    while True:
        with resources.uow() as uow:
            notes = uow.session.execute(
                select(GraphBacklog.id, GraphBacklog.kind, GraphBacklog.ref_id)
                .where(GraphBacklog.tenant_id == tenant_id)
                .order_by(GraphBacklog.id)
                .limit(DRAIN_BATCH)
            ).all()
        if not notes:
            return handled
        for kind, ref_ids in _in_order([(kind, ref_id) for _, kind, ref_id in notes]):
            if kind in MANY_AT_ONCE:
                MANY_AT_ONCE[kind](resources, tenant_id, ref_ids)
                continue
            for ref_id in ref_ids:
                PROJECTORS[kind](resources, tenant_id, ref_id)
        with resources.uow() as uow:
            uow.session.execute(delete(GraphBacklog).where(GraphBacklog.id.in_([row[0] for row in notes])))
            uow.commit()
        resources.cache.set(lease, True, LEASE_SECONDS)  # still at work: the lease runs on
        handled += len(notes)


def _waiting(resources: Resources, tenant_id: str) -> bool:
    with resources.uow() as uow:
        return (
            uow.session.scalar(select(GraphBacklog.id).where(GraphBacklog.tenant_id == tenant_id).limit(1))
            is not None
        )


def pending(resources: Resources, actor: Actor) -> int:
    """How many changes wait to reach the graph (more than none while it is down)."""
    require(actor, "documents.view")
    with resources.uow() as uow:
        count = uow.session.scalar(
            select(func.count()).select_from(GraphBacklog).where(GraphBacklog.tenant_id == actor.tenant_id)
        )
        return int(count or 0)


def catch_up(resources: Resources, actor: Actor) -> int:
    """Project what waits now (after the graph store came back); returns how many notes were handled."""
    require(actor, "sources.manage")
    return drain(resources, actor.tenant_id)


@internal("the scheduler's round, for every tenant: finishes projections guarded changes noted")
def catch_up_stale(resources: Resources) -> int:
    """Queue a drain for each tenant whose notes waited too long (the store was down), if it answers now."""
    with resources.uow() as uow:
        tenants = uow.session.scalars(
            select(GraphBacklog.tenant_id).where(GraphBacklog.created_at < utcnow() - STALE).distinct()
        ).all()
    if not tenants:
        return 0
    try:
        resources.graph.ping()
    except Exception as exc:  # noqa: BLE001 - any failure of the probe means still down; the next round asks again
        log.info("graph store still unreachable, %d tenant(s) wait: %s", len(tenants), exc)
        return 0
    with resources.active():
        for tenant_id in tenants:
            resources.jobs.enqueue(drain_job, tenant_id)
    return len(tenants)
