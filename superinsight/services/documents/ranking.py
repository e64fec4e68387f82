"""Relevance on PostgreSQL, ranked over the newest matches only: ranking reads each match's vector.

A word found in a tenth of a million documents would otherwise cost a third of a second
to rank; the page says when the ranking was confined, and sorting by newest pages through
every match. SQLite's FTS5 ranks them all.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ARRAY, CTE, BigInteger, ColumnElement, Select, any_, bindparam, select, text
from sqlalchemy.orm import Session

from superinsight.db import dialect
from superinsight.db.models import Document
from superinsight.services.documents import sampling

RANKED_MATCHES = 2_000
RANKED_WHOLLY_BELOW = 100_000
"""Below this many rows in the documents table (all workspaces), the newest matches are found
among all of a word's matches, without a sample: there are too few to be worth one."""
FLOOR_MARGIN = 2.0
"""How many times RANKED_MATCHES the sample puts above the floor it picks: a page's documents are
drawn together, so the sample's count is rough, and a floor with too few above it is not used."""


def newest_scored(session: Session, newest: Select[Any], score: ColumnElement[Any]) -> CTE:
    """The newest RANKED_MATCHES of `newest` (the matching documents' ids), each with its `score`.

    The score is computed on the rows kept, not before the sort keeps them: computed on
    every match, each of the 85,776 matches of a word at a million documents was ranked
    (322 ms against 249). It is materialized: inlined, it was computed again in each
    keyset condition of a later page, and a masked search rebuilds each vector to score it.
    """
    found = _newest_above_floor(session, newest)
    ranked = (
        select(Document.id).where(
            Document.id == any_(bindparam("newest_ids", found, type_=ARRAY(BigInteger)))
        )
        if found is not None
        # "+ 0" keeps the planner on the full-text index: ordered by the bare id it walks
        # the primary key backwards, testing every document, when matches are rare.
        else newest.order_by((Document.id + 0).desc()).limit(RANKED_MATCHES)
    ).cte("ranked")
    return (
        select(ranked.c.id, score.label("score"))
        .select_from(Document)
        .join(ranked, ranked.c.id == Document.id)
        .cte("scored")
        .prefix_with("MATERIALIZED")
    )


def _newest_above_floor(session: Session, newest: Select[Any]) -> Sequence[int] | None:
    """The ids of the newest RANKED_MATCHES matches, read above `newest_matches_floor` only;
    None when there is no floor or fewer than that many lie above it.

    The planner takes matches to be spread evenly over the ids, so it would walk the
    primary key over every document above the floor (430,000 for a word whose matches are
    all older than a large, newer source: 150 ms) rather than combine the two indexes
    (35 ms). Plain index scans are off for this one statement.
    """
    floor = newest_matches_floor(session, newest)
    if floor is None:
        return None
    session.execute(text("SET LOCAL enable_indexscan = off"))
    above = newest.where(Document.id > floor).order_by((Document.id + 0).desc()).limit(RANKED_MATCHES)
    found = session.scalars(above).all()
    session.execute(text("RESET enable_indexscan"))
    return found if len(found) == RANKED_MATCHES else None


def newest_matches_floor(session: Session, newest: Select[Any]) -> int | None:
    """An id above which, by a random sample, about FLOOR_MARGIN x RANKED_MATCHES matches lie.

    Gathering every match of a word in a tenth of a million documents to keep the newest
    2,000 read them all (54,000 pages, 250 ms). A random sample of the table's pages
    (`sampling.SampledPages`, some 20,000 documents) says where the newest matches lie,
    wherever the word's matches fall in time. None for a table of fewer than
    RANKED_WHOLLY_BELOW rows (or one never analysed) and when the sample holds too few
    matches: the word is rare enough to gather all its matches.
    """
    rows = dialect.estimated_rows(session, Document.__tablename__)
    if rows is None or rows < RANKED_WHOLLY_BELOW:
        return None
    share = min(100.0, 100.0 * sampling.SAMPLE_ROWS / rows)
    nth = math.ceil(FLOOR_MARGIN * RANKED_MATCHES * share / 100)
    newest_sampled = newest.order_by(Document.id.desc()).limit(nth)
    sampled = session.scalars(sampling.SampledPages(share).read(newest_sampled)).all()
    return int(sampled[-1]) if len(sampled) == nth else None
