"""A random sample of a tenant's documents, for figures that would take too long to count exactly.

A rule test's match rate and a search's counts by source and tag read the sample when the
documents they would count pass their thresholds; both call their figures estimates.
"""

from __future__ import annotations

import random

from sqlalchemy import ColumnElement, any_, func, literal, select, tablesample
from sqlalchemy.orm import Session

from superinsight.db import dialect
from superinsight.db.models import Document

SAMPLE_ROWS = 20_000
"""How many documents a large scope's random sample aims at: a match rate from 20,000 documents
is within about one percentage point, and a regex reads them in well under a second."""
SAMPLE_PAGES_ROWS = 500_000
"""The most rows of the whole table a sample's pages may hold: reading them (not evaluating
the rule, which only the scope's rows meet) takes about a quarter of a second."""


def randomly_sampled(session: Session, tenant_id: str, in_scope: int) -> ColumnElement[bool]:
    """Documents on a random share of the table's pages aiming at SAMPLE_ROWS in scope (PostgreSQL only).

    `TABLESAMPLE SYSTEM` reads just those pages, so the sample costs what its rows cost,
    whatever the scope's size; the rows of one page come together, which is why the
    figures drawn from it are called estimates and never ranges. The sample is of the whole
    table, so a scope that is a small part of it would need a large share of every
    workspace's pages: the share stops at SAMPLE_PAGES_ROWS of the table's rows, and the
    sample is then smaller (its size is reported). The seed is fixed per call, so every
    statement given the same condition reads the same pages. The tenant's sampled ids go in
    as one array (`id = ANY(ARRAY(...))`), which the planner answers by primary key; as
    `id IN (...)` it hashed them and scanned every document to probe the hash.
    """
    shares = [100.0, 100.0 * SAMPLE_ROWS / max(in_scope, 1)]
    if (table_rows := dialect.estimated_rows(session, "documents")) is not None:
        shares.append(100.0 * SAMPLE_PAGES_ROWS / max(table_rows, 1))
    sample = tablesample(Document, func.system(min(shares)), seed=literal(random.randrange(1 << 31)))  # noqa: S311
    ids = select(sample.c.id).where(sample.c.tenant_id == tenant_id).scalar_subquery()
    return Document.id == any_(func.array(ids))
