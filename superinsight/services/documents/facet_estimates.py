"""A search's counts by source and tag estimated from a random sample, for searches over many documents.

Counting every match of a common word among a million documents took 0.6 s of each new
search (issue 18); the three statements here read the same sampled pages
(`sampling.SampledPages`), 15-35 ms each. Each source's matches in the sample are
scaled by that source's documents within the searched dates, which the writers keep
(`document_arrivals`), over how many of them the sample holds. A page holds one source's
documents, so one scale for all would make the split by source a matter of which pages
were drawn; per source it is not. A tag's figure is the sum over sources of its scaled
counts. The total takes one scale: a source too small for any sampled page still counts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal_column, select, true
from sqlalchemy.orm import Session

from superinsight.db import dialect
from superinsight.db.models import DataSource, Document, DocumentArrival
from superinsight.services.context import Actor
from superinsight.services.documents import sampling
from superinsight.services.documents.arrivals import NO_SOURCE, within_reach
from superinsight.services.documents.search import SearchQuery, filtered_documents

ESTIMATE_ABOVE = 100_000
"""Past this many documents within a search's sources and dates (PostgreSQL), its counts by
source and tag are estimated: counting a common word's matches among a million took 0.6 s."""
FEWEST_SAMPLED_MATCHES = 100
"""An estimate stands on at least this many matches in the sample (a word in half a percent of
the documents); rarer matches are counted exactly, which their indexes make quick, where a
handful drawn would mislead."""
COUNTED_TAG_LENGTH = 255
"""Longer tags (or none: a JSON null) are not counted, as migration 0021's triggers count them."""
UPLOADS = "uploads"
"""What the counts call documents without a source."""


@dataclass(frozen=True)
class Estimate:
    total: int
    by_source: list[tuple[str, int]]
    by_tag: list[tuple[str, int]]
    sampled: int
    """How many documents within the searched sources and dates the sample held."""
    reach: int
    """How many documents there are within them."""


def estimate(session: Session, actor: Actor, query: SearchQuery, top_tags: int) -> Estimate | None:
    """The counts a sample implies, or None where counting is the better answer.

    None on SQLite (no TABLESAMPLE; its workspaces are small enough to count), for a reach
    of ESTIMATE_ABOVE or fewer documents, when the table is so much larger than the reach
    that the sample would fall short of its aim (reading its pages would cost more than
    counting), and for rare matches.
    """
    if not dialect.is_postgresql(session):
        return None
    reach = _reach_by_source(session, actor, query)
    reached = sum(reach.values())
    share, short = sampling.pages_share(session, reached)
    if reached <= ESTIMATE_ABOVE or short:
        return None
    pages = sampling.SampledPages(share)
    matched = _by_source(session, pages, filtered_documents(session, actor, query, _grouped_by_source()))
    if sum(matched.values()) < FEWEST_SAMPLED_MATCHES:
        return None
    within = SearchQuery(
        source_ids=query.source_ids, created_from=query.created_from, created_to=query.created_to
    )
    held = _by_source(session, pages, filtered_documents(session, actor, within, _grouped_by_source()))
    scale = {source: reach.get(source, 0) / count for source, count in held.items() if count}
    tags: defaultdict[str, float] = defaultdict(float)
    for source, tag, count in session.execute(pages.read(tag_counts(session, actor, query, _source()))):
        tags[tag] += count * scale.get(source, 0.0)
    names = _names(session, list(matched))
    by_source: defaultdict[str, float] = defaultdict(float)
    for source, count in matched.items():
        if source in names:  # else deleted since: its documents are gone with it
            by_source[names[source]] += count * scale.get(source, 0.0)
    return Estimate(
        # One scale for the total: a small source no sampled page holds counts in it still.
        total=_rounded(sum(matched.values()) * reached / sum(held.values())),
        by_source=[(name, _rounded(count)) for name, count in _most_first(by_source)],
        by_tag=[(tag, _rounded(count)) for tag, count in _most_first(tags)][:top_tags],
        sampled=sum(held.values()),
        reach=reached,
    )


def _most_first(figures: dict[str, float]) -> list[tuple[str, float]]:
    return sorted(figures.items(), key=lambda item: (-item[1], item[0]))


def _rounded(estimate: float) -> int:
    """An estimate to two significant figures: a sample's hundreds of matches say no more."""
    return int(float(f"{estimate:.2g}"))


def _source() -> ColumnElement[int]:
    # Inlined, not bound: GROUP BY must repeat the selected expression, and two parameters differ.
    return func.coalesce(Document.source_id, literal_column(str(NO_SOURCE)))


def _grouped_by_source() -> Any:
    return select(_source(), func.count()).select_from(Document)


def _by_source(session: Session, pages: sampling.SampledPages, counted: Any) -> dict[int, int]:
    grouped = pages.read(counted.group_by(_source()))
    return {int(source): int(count) for source, count in session.execute(grouped)}


def _reach_by_source(session: Session, actor: Actor, query: SearchQuery) -> dict[int, int]:
    documents = func.sum(DocumentArrival.documents)
    conditions = within_reach(actor, DocumentArrival, query.source_ids, query.created_from, query.created_to)
    kept = select(DocumentArrival.source_id, documents).where(*conditions).group_by(DocumentArrival.source_id)
    return {int(source): int(count) for source, count in session.execute(kept)}


def tag_counts(session: Session, actor: Actor, query: SearchQuery, *by: ColumnElement[Any]) -> Select[Any]:
    """The matches of `query` counted by tag (and by `by` first), as migration 0021's triggers count tags."""
    tag = dialect.json_array_texts(session, Document.tags)
    counted = select(*by, tag.c.value, func.count()).select_from(Document).join(tag, true())
    return (
        filtered_documents(session, actor, query, counted)
        .where(func.length(tag.c.value) <= COUNTED_TAG_LENGTH)
        .group_by(*by, tag.c.value)
    )


def _names(session: Session, sources: list[int]) -> dict[int, str]:
    named = session.execute(select(DataSource.id, DataSource.name).where(DataSource.id.in_(sources)))
    return {NO_SOURCE: UPLOADS} | {int(source): name for source, name in named}
