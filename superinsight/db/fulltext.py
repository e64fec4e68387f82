"""Full-text matching, ranking and snippets: PostgreSQL's tsvector or SQLite's FTS5.

Both read a query the same way: every word must appear (after stemming), and
whatever punctuation or operators a user types are plain text, never syntax.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, Double, Select, bindparam, cast, column, func, literal_column, table

from superinsight.db.models import Document

MARK_START, MARK_END = "«", "»"
# PostgreSQL's stored, GIN-indexed vector of title and content (migration 0005).
SEARCH_VECTOR: ColumnElement[Any] = literal_column("documents.search_vector")
MAX_WORDS = 32
_WORD = re.compile(r"\w+", re.UNICODE)


def words(query: str) -> list[str]:
    return _WORD.findall(query)[:MAX_WORDS]


class FullText:
    """A search for `query` on the given SQL dialect."""

    def __init__(self, dialect: str, query: str) -> None:
        self.terms = words(query)
        self.postgres = dialect == "postgresql"
        if self.postgres:
            self._tsquery = func.plainto_tsquery(
                literal_column("'english'::regconfig"), bindparam("fts_q", " ".join(self.terms))
            )
        else:
            self._fts: ColumnElement[Any] = literal_column("documents_fts")
            quoted = " ".join('"' + term.replace('"', '""') + '"' for term in self.terms)
            self._fts_query: ColumnElement[Any] = bindparam("fts_q", quoted)

    def narrow(self, select: Select[Any]) -> Select[Any]:
        """Keep only matching documents (joining SQLite's index, which score and snippet need)."""
        if self.postgres:
            return select.where(SEARCH_VECTOR.op("@@")(self._tsquery))
        index = table("documents_fts", column("rowid"))
        return select.join(index, index.c.rowid == Document.id).where(self._fts.op("MATCH")(self._fts_query))

    @property
    def score(self) -> ColumnElement[Any]:
        """Higher is better on both stores."""
        if self.postgres:
            # ts_rank_cd is a float4; as a double it round-trips exactly through a page link.
            return cast(func.ts_rank_cd(SEARCH_VECTOR, self._tsquery), Double())
        return -func.bm25(self._fts)

    @property
    def snippet(self) -> ColumnElement[Any]:
        if self.postgres:
            options = f"MaxWords=18, MinWords=6, MaxFragments=2, StartSel={MARK_START}, StopSel={MARK_END}"
            return func.ts_headline(
                literal_column("'english'::regconfig"), Document.content, self._tsquery, options
            )
        return func.snippet(self._fts, 1, MARK_START, MARK_END, "…", 12)
