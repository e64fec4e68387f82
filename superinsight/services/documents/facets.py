"""Counts by source and tag for a search, cached until the tenant's documents change.

Narrowed by nothing but sources and dates, the counts are sums over rows kept per source
and UTC day (which is how the date filter cuts too) as the documents change: by source
from `document_arrivals`, by tag from `document_tag_counts`. The page's first view, and a
source or date filter, read no document to count them. Narrowed by words or other filters,
they are counted, or estimated from a sample when the search reaches many documents
(`facet_estimates`); a person may then ask for the exact figures.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, Select, func, select
from sqlalchemy.orm import Session

from superinsight.db.fulltext import words
from superinsight.db.models import DataSource, Document, DocumentArrival, DocumentTagCount
from superinsight.resources import Resources
from superinsight.services.context import Actor, require
from superinsight.services.documents import facet_estimates
from superinsight.services.documents.arrivals import within_reach
from superinsight.services.documents.facet_estimates import UPLOADS
from superinsight.services.documents.figures import cached_for_documents
from superinsight.services.documents.masking import hidden_patterns, masker
from superinsight.services.documents.search import (
    SearchQuery,
    check_masked_filters,
    check_query,
    filtered_documents,
)

TOP_TAGS = 15


@dataclass(frozen=True)
class Facets:
    total: int
    by_source: list[tuple[str, int]]
    by_tag: list[tuple[str, int]]
    computed_at: datetime
    from_cache: bool = field(default=False, compare=False)
    sampled: int | None = None
    """How many documents the figures were estimated from (of `reach`); None when counted exactly."""
    reach: int | None = None

    @property
    def estimated(self) -> bool:
        return self.sampled is not None


def facets(resources: Resources, actor: Actor, query: SearchQuery, *, exact: bool = False) -> Facets:
    """How many documents match, by source and by tag; cached until documents change or it expires.

    Figures over many documents may be estimates (`Facets.sampled`); `exact` counts every
    match again (a person asked), and what it counts replaces the estimate in the cache.
    """
    require(actor, "documents.view")
    check_query(query)
    with resources.uow() as uow:
        mask = masker(resources, uow.session, actor)
        check_masked_filters(mask, query)
        # A search blind to masked text counts differently for those it binds: their own figures.
        hidden = hidden_patterns(uow.session, actor) if query.text.strip() else ()
    blind = hashlib.sha256(json.dumps(hidden).encode()).hexdigest()[:16] if hidden else "all"

    def compute() -> Facets:
        with resources.uow() as uow:
            session = uow.session
            if _by_sources_and_dates(query):
                return _counted(
                    session.execute(_kept_source_counts(actor, query)).all(),
                    session.execute(_kept_tag_counts(actor, query)).all(),
                )
            if not exact and (estimated := facet_estimates.estimate(session, actor, query, TOP_TAGS)):
                return Facets(
                    estimated.total,
                    estimated.by_source,
                    estimated.by_tag,
                    datetime.now(UTC),
                    sampled=estimated.sampled,
                    reach=estimated.reach,
                )
            return _counted(
                session.execute(_source_counts(session, actor, query)).all(),
                session.execute(_tag_counts(session, actor, query)).all(),
            )

    counted = cached_for_documents(
        resources,
        actor,
        f"facets:{query.fingerprint()}:{blind}",
        compute,
        _to_json,
        _from_json,
        refresh=exact,
    )
    # Cached as counted, shown as this actor may see the tags.
    return replace(counted, by_tag=mask.tag_counts(counted.by_tag)) if mask.active else counted


def _counted(by_source: Sequence[Row[str, int]], by_tag: Sequence[Row[str, int]]) -> Facets:
    return Facets(
        total=sum(int(count) for _, count in by_source),
        by_source=[(name, int(count)) for name, count in by_source],
        by_tag=[(tag, int(count)) for tag, count in by_tag],
        computed_at=datetime.now(UTC),
    )


def _to_json(facets: Facets) -> dict[str, Any]:
    return {
        "total": facets.total,
        "by_source": facets.by_source,
        "by_tag": facets.by_tag,
        "at": facets.computed_at.isoformat(),
        "sampled": facets.sampled,
        "reach": facets.reach,
    }


def _from_json(cached: dict[str, Any]) -> Facets:
    return Facets(
        cached["total"],
        [(name, count) for name, count in cached["by_source"]],
        [(tag, count) for tag, count in cached["by_tag"]],
        datetime.fromisoformat(cached["at"]),
        from_cache=True,
        sampled=cached.get("sampled"),
        reach=cached.get("reach"),
    )


# The matching rows are grouped where they are filtered: joining documents to a subquery
# of their own matching ids read every match twice (issue 18).


def _source_counts(session: Session, actor: Actor, query: SearchQuery) -> Select[Any]:
    source_name: Any = func.coalesce(DataSource.name, UPLOADS)
    counted: Select[Any] = (
        select(source_name, func.count())
        .select_from(Document)
        .outerjoin(DataSource, DataSource.id == Document.source_id)
    )
    return (
        filtered_documents(session, actor, query, counted)
        .group_by(DataSource.name)
        .order_by(func.count().desc())
    )


def _by_sources_and_dates(query: SearchQuery) -> bool:
    """Whether only sources and creation dates narrow the query (its sort changes no count)."""
    rest = replace(query, text="", source_ids=(), created_from=None, created_to=None, sort=SearchQuery.sort)
    return not words(query.text) and rest == SearchQuery()


def _kept_within(
    actor: Actor, query: SearchQuery, kept: type[DocumentArrival | DocumentTagCount]
) -> list[Any]:
    return within_reach(actor, kept, query.source_ids, query.created_from, query.created_to)


def _kept_source_counts(actor: Actor, query: SearchQuery) -> Select[Any]:
    documents = func.sum(DocumentArrival.documents)
    source_name: Any = func.coalesce(DataSource.name, UPLOADS)
    counted: Select[Any] = select(source_name, documents)
    return (
        counted.select_from(DocumentArrival)
        .outerjoin(DataSource, DataSource.id == DocumentArrival.source_id)
        .where(*_kept_within(actor, query, DocumentArrival))
        .group_by(DataSource.name)
        .order_by(documents.desc())
    )


def _kept_tag_counts(actor: Actor, query: SearchQuery) -> Select[Any]:
    documents: Any = func.sum(DocumentTagCount.documents)
    counted: Select[Any] = select(DocumentTagCount.tag, documents)
    return (
        counted.where(*_kept_within(actor, query, DocumentTagCount))
        .group_by(DocumentTagCount.tag)
        .order_by(documents.desc(), DocumentTagCount.tag)
        .limit(TOP_TAGS)
    )


def _tag_counts(session: Session, actor: Actor, query: SearchQuery) -> Select[Any]:
    counted = facet_estimates.tag_counts(session, actor, query)
    return counted.order_by(func.count().desc(), counted.selected_columns[0]).limit(TOP_TAGS)
