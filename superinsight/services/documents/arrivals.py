"""How many documents arrived each day from each source: kept by the writers, read by the overview.

Every writer that inserts or deletes documents adjusts `document_arrivals` in the
transaction that does it: a batch (a sync run's, an upload's, the demo's) adds the
documents it inserted, an overwrite run takes away those it removed, and deleting a
source deletes the source's rows. An update or an edit moves neither a document's source
nor its date, so it changes nothing here. Whatever a reader sees of the documents, then,
the table holds what a GROUP BY over them by (source, `arrival_day`) gives, with no row
for a day that has none: the chart reads it instead of grouping every document. Whatever
writes documents some other way (SQL by hand, as bench/pages seeds its bulk) must `add`
what it wrote the same way, or the chart will not show it.

The tallies come from what each statement did (a COPY writes every record or none;
INSERT and DELETE ... RETURNING give the rows themselves), never from a look beforehand,
so two batches writing the same source at once each count what they wrote. Adding is one
INSERT ... ON CONFLICT DO UPDATE that adds to the stored count, atomic on both stores,
with its rows in day order so that writers at the same time lock them in the same order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from superinsight.db import dialect
from superinsight.db.models import DocumentArrival, DocumentTagCount
from superinsight.services.context import Actor, internal
from superinsight.services.scoping import visible_sources

NO_SOURCE = 0
"""The source_id of documents without a source (the schema allows them; no writer makes them)."""


@internal("builds conditions for a query inside a guarded call and reads nothing itself")
def within_reach(
    actor: Actor,
    kept: type[DocumentArrival | DocumentTagCount],
    source_ids: Sequence[int] = (),
    since: date | None = None,
    until: date | None = None,
) -> list[Any]:
    """Conditions narrowing rows kept per tenant, source and day (these, or the tag counts) to
    what the actor may see, of these sources (all if none) and days (both ends included)."""
    conditions = [kept.tenant_id == actor.tenant_id, visible_sources(actor, kept.source_id)]
    if source_ids:
        conditions.append(kept.source_id.in_(source_ids))
    if since:
        conditions.append(kept.day >= since)
    if until:
        conditions.append(kept.day <= until)
    return conditions


def add(session: Session, tenant_id: str, source_id: int, days: Mapping[date, int]) -> None:
    """Count `days[day]` more of the source's documents on each day."""
    _adjust(session, tenant_id, source_id, days, 1)


def subtract(session: Session, tenant_id: str, source_id: int, days: Mapping[date, int]) -> None:
    """Count `days[day]` fewer of the source's documents on each day; a day left with none goes."""
    _adjust(session, tenant_id, source_id, days, -1)
    if days:
        session.execute(
            delete(DocumentArrival).where(
                DocumentArrival.tenant_id == tenant_id,
                DocumentArrival.source_id == source_id,
                DocumentArrival.day.in_(sorted(days)),
                DocumentArrival.documents <= 0,
            )
        )


def forget_source(session: Session, tenant_id: str, source_id: int) -> None:
    """A deleted source's rows, after the source row itself is gone (so no batch of it commits later)."""
    session.execute(
        delete(DocumentArrival).where(
            DocumentArrival.tenant_id == tenant_id, DocumentArrival.source_id == source_id
        )
    )


def _adjust(session: Session, tenant_id: str, source_id: int, days: Mapping[date, int], sign: int) -> None:
    rows = [
        {"tenant_id": tenant_id, "source_id": source_id, "day": day, "documents": sign * days[day]}
        for day in sorted(days)
        if days[day]
    ]
    if not rows:
        return
    statement = dialect.insert(session, DocumentArrival).values(rows)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id", "source_id", "day"],
            set_={"documents": DocumentArrival.documents + statement.excluded.documents},
        )
    )
