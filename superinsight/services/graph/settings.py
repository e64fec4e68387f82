"""The graph beyond the workbench's own rows: metadata fields marked as entities; rebuilding it all."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import delete

from superinsight.db.models.graph import GraphEntityField
from superinsight.lineage.projection import LABELS
from superinsight.resources import Resources, current_resources
from superinsight.services import audit, inputs
from superinsight.services.context import Actor, internal, require, require_whole_tenant
from superinsight.services.errors import InvalidInputError
from superinsight.services.graph import project

log = logging.getLogger(__name__)
MAX_ENTITY_FIELDS = 20


def entity_fields(resources: Resources, actor: Actor) -> list[str]:
    """The metadata fields whose values are entities documents mention (customer, vendor, product)."""
    require(actor, "documents.view")
    with resources.uow() as uow:
        return project.entity_fields(uow.session, actor.tenant_id)


def set_entity_fields(resources: Resources, actor: Actor, fields: Sequence[str]) -> str:
    """Mark these metadata fields (only these) as entities; returns the id of the job rebuilding the graph.

    Every document may mention a newly marked field, so the whole tenant is re-projected.
    """
    require(actor, "sources.manage")
    require_whole_tenant(actor, "choose the workspace's entity fields")
    if len(fields) > MAX_ENTITY_FIELDS:
        raise InvalidInputError(f"choose at most {MAX_ENTITY_FIELDS} entity fields")
    chosen = sorted({inputs.text(name, "an entity field", 255).strip() for name in fields} - {""})
    with resources.uow() as uow:
        before = project.entity_fields(uow.session, actor.tenant_id)
        uow.session.execute(delete(GraphEntityField).where(GraphEntityField.tenant_id == actor.tenant_id))
        uow.session.add_all(GraphEntityField(tenant_id=actor.tenant_id, field=name) for name in chosen)
        audit.record(
            uow.session,
            actor,
            "graph.entity_fields",
            "graph",
            None,
            before={"fields": before},
            after={"fields": chosen},
        )
        uow.commit()
    return _enqueue_rebuild(resources, actor)


def start_rebuild(resources: Resources, actor: Actor) -> str:
    """Rebuild the tenant's graph from its rows, as a job; returns the job id."""
    require(actor, "sources.manage")
    require_whole_tenant(actor, "rebuild the workspace's graph")
    with resources.uow() as uow:
        audit.record(uow.session, actor, "graph.rebuild", "graph", None)
        uow.commit()
    return _enqueue_rebuild(resources, actor)


def _enqueue_rebuild(resources: Resources, actor: Actor) -> str:
    with resources.active():
        return resources.jobs.enqueue(rebuild_job, actor.tenant_id)


@internal("creates the graph store's constraints at start-up; reads and writes no workspace's data")
def prepare_store(resources: Resources) -> None:
    """The uniqueness constraints MERGE relies on, before the first write (a stopped store: logged)."""
    try:
        resources.graph.ensure_schema(LABELS)
    except Exception as exc:  # noqa: BLE001 - start-up goes on; the first write creates them instead
        if resources.closed:  # a short process ended before the store answered: nothing to tell
            return
        log.warning("graph constraints not created at start-up (%s); the first projection creates them", exc)


@internal("a job queued by a guarded rebuild for the tenant that asked")
def rebuild_job(tenant_id: str) -> int:
    return project.rebuild(current_resources(), tenant_id)
