"""What imports and deletions change in the graph: documents an upload or the demo wrote, a source deleted.

An import notes each document it wrote (`document` notes, projected many at a
time); a document gone since leaves the graph with what only it mentioned. A
deleted source (`source` note) takes every node that carries its id.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from superinsight.db.models import DataSource, Document, SyncJob
from superinsight.lineage import projection as shape
from superinsight.resources import Resources
from superinsight.services.context import internal
from superinsight.services.graph.project import BATCH, documents, sources_and_jobs, write


@internal("projects documents a guarded import wrote (or that are gone since), for their tenant")
def project_documents(resources: Resources, tenant_id: str, document_ids: Sequence[int]) -> None:
    """Many notes at once: an upload of a hundred thousand rows is a hundred thousand notes."""
    for start in range(0, len(document_ids), BATCH):
        ids = list(document_ids[start : start + BATCH])
        with resources.uow() as uow:
            present = set(
                uow.session.scalars(
                    select(Document.id).where(Document.tenant_id == tenant_id, Document.id.in_(ids))
                )
            )
        documents(resources, tenant_id, Document.id.in_(present))
        gone = [shape.ref(shape.DOCUMENT, i) for i in ids if i not in present]
        if gone:
            mentioned = resources.graph.expand(tenant_id, gone, [shape.MENTIONS], None, 100_000)
            resources.graph.delete_nodes(tenant_id, gone)
            keys = sorted({hop.other.ref.key for hop in mentioned if hop.other.ref.label == shape.ENTITY})
            resources.graph.delete_orphans(tenant_id, shape.ENTITY, keys)


@internal("projects a source a guarded command created or deleted, for its tenant")
def project_source(resources: Resources, tenant_id: str, source_id: int) -> None:
    """A source and its jobs; a deleted one takes its nodes along, and the entities only they mentioned."""
    with resources.uow() as uow:
        row = uow.session.execute(
            select(DataSource.id, DataSource.name, DataSource.source_type).where(
                DataSource.id == source_id, DataSource.tenant_id == tenant_id
            )
        ).one_or_none()
    if row is None:
        resources.graph.delete_sourced(tenant_id, source_id)
        resources.graph.delete_orphans(tenant_id, shape.ENTITY, None)
        return
    write(resources, tenant_id, shape.source(shape.SourceRow(*row)))
    sources_and_jobs(resources, tenant_id, SyncJob.source_id == source_id)
