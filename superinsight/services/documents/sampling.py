"""A random sample of a tenant's documents, for figures that would take too long to count exactly.

A rule test's match rate and a search's counts by source and tag read the sample when the
documents they would count pass their thresholds; both call their figures estimates. A
search's ranking reads one to learn where a common word's newest matches lie (`ranking`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, any_, func, literal, select, tablesample
from sqlalchemy.orm import Session
from sqlalchemy.sql.util import ClauseAdapter

from superinsight.db import dialect
from superinsight.db.models import Document

SAMPLE_ROWS = 20_000
"""How many documents a large scope's random sample aims at: a match rate from 20,000 documents
is within about one percentage point, and a regex reads them in well under a second."""
SAMPLE_PAGES_ROWS = 500_000
"""The most rows of the whole table a sample's pages may hold: reading them (not evaluating
the rule, which only the scope's rows meet) takes about a quarter of a second."""


def pages_share(session: Session, in_scope: int) -> tuple[float, bool]:
    """The percentage of the table's pages a sample aiming at SAMPLE_ROWS in scope reads, and
    whether SAMPLE_PAGES_ROWS cut it short (the sample then holds fewer of the scope's rows).

    The sample is of the whole table, so a scope that is a small part of it would need a
    large share of every workspace's pages: the share stops at SAMPLE_PAGES_ROWS of the
    table's rows.
    """
    aimed = min(100.0, 100.0 * SAMPLE_ROWS / max(in_scope, 1))
    table_rows = dialect.estimated_rows(session, "documents")
    most = 100.0 if table_rows is None else 100.0 * SAMPLE_PAGES_ROWS / max(table_rows, 1)
    return min(aimed, most), most < aimed


def randomly_sampled(session: Session, tenant_id: str, in_scope: int) -> ColumnElement[bool]:
    """Documents on a random share of the table's pages (`pages_share`), as a condition (PostgreSQL only).

    `TABLESAMPLE SYSTEM` reads just those pages, so the sample costs what its rows cost,
    whatever the scope's size; the rows of one page come together, which is why the
    figures drawn from it are called estimates and never ranges. The seed is fixed per
    call, so every statement given the same condition reads the same pages. The tenant's
    sampled ids go in as one array (`id = ANY(ARRAY(...))`), which the planner answers by
    primary key; as `id IN (...)` it hashed them and scanned every document to probe the hash.
    """
    share, _ = pages_share(session, in_scope)
    sampled = SampledPages(share).read(select(Document.id).where(Document.tenant_id == tenant_id))
    return Document.id == any_(func.array(sampled.scalar_subquery()))


@dataclass(frozen=True)
class SampledPages:
    """A random `share` percent of the documents table's pages, the same pages for every statement read on it.

    Reading a statement's documents from the sampled pages themselves (PostgreSQL only)
    costs what reading those pages costs; probing the sample's ids by primary key, as
    `randomly_sampled` does, took 95 ms per statement for 20,000 ids at a million documents
    against 15 ms for the pages.
    """

    share: float
    seed: int = field(default_factory=lambda: random.randrange(1 << 31))  # noqa: S311

    def read(self, statement: Select[Any]) -> Select[Any]:
        """`statement` with `documents` read from the sampled pages: the sample takes the table's
        name, so every reference to the table, in SQL text too (the search vector), reads it."""
        pages = tablesample(
            Document, func.system(self.share), name=Document.__tablename__, seed=literal(self.seed)
        )
        adapted: Select[Any] = ClauseAdapter(pages).traverse(statement)
        return adapted
