"""Full-text matching, ranking and snippets: PostgreSQL's tsvector or SQLite's FTS5.

Both read a query the same way: every word must appear (after stemming), and
whatever punctuation or operators a user types are plain text, never syntax.

A search by someone bound by masking patterns must not find a document by what the
patterns hide (a fragment of a card number would otherwise count its holders): the
index finds the candidates, and each is checked again with the hidden spans taken
out, by the store's own stemmer, so both checks read words the same way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Double,
    Select,
    bindparam,
    cast,
    column,
    func,
    literal,
    literal_column,
    table,
)

from superinsight import masking
from superinsight.db.models import Document

MARK_START, MARK_END = "«", "»"
# PostgreSQL's stored, GIN-indexed vector of title and content (migration 0005).
SEARCH_VECTOR: ColumnElement[Any] = literal_column("documents.search_vector")
MAX_WORDS = 32
_WORD = re.compile(r"\w+", re.UNICODE)


def words(query: str) -> list[str]:
    return _WORD.findall(query)[:MAX_WORDS]


ENGLISH: ColumnElement[Any] = literal_column("'english'::regconfig")


class FullText:
    """A search for `query` on the given SQL dialect, blind to what the `hidden` masking patterns find."""

    def __init__(self, dialect: str, query: str, hidden: Sequence[str] = ()) -> None:
        self.terms = words(query)
        self.postgres = dialect == "postgresql"
        self.hidden = tuple(hidden)
        self._vector = SEARCH_VECTOR
        if self.postgres:
            self._tsquery = func.plainto_tsquery(ENGLISH, bindparam("fts_q", " ".join(self.terms)))
            if self.hidden:
                self._vector = func.to_tsvector(
                    ENGLISH,
                    func.concat(self._stripped(Document.title), " ", self._stripped(Document.content)),
                )
        else:
            self._fts: ColumnElement[Any] = literal_column("documents_fts")
            quoted = " ".join('"' + term.replace('"', '""') + '"' for term in self.terms)
            self._fts_query: ColumnElement[Any] = bindparam("fts_q", quoted)

    def narrow(self, select: Select[Any]) -> Select[Any]:
        """Keep only matching documents (joining SQLite's index, which score and snippet need)."""
        if self.postgres:
            narrowed = select.where(SEARCH_VECTOR.op("@@")(self._tsquery))
            return narrowed.where(self._vector.op("@@")(self._tsquery)) if self.hidden else narrowed
        index = table("documents_fts", column("rowid"))
        narrowed = select.join(index, index.c.rowid == Document.id).where(
            self._fts.op("MATCH")(self._fts_query)
        )
        if not self.hidden:
            return narrowed
        patterns = literal(json.dumps(self.hidden))
        return narrowed.where(
            func.matches_unhidden(Document.title, Document.content, patterns, self._fts_query) == 1
        )

    def _stripped(self, text: Any) -> ColumnElement[Any]:
        """PostgreSQL's copy of `masking.strip` for each hidden pattern, in the portable dialect."""
        stripped: ColumnElement[Any] = func.coalesce(text, "")
        for pattern in self.hidden:
            portable = masking.sql_pattern(pattern)
            if portable is None:
                raise ValueError("a hidden pattern PostgreSQL cannot read; refuse the search first")
            stripped = func.regexp_replace(stripped, literal(portable), " ", "g")
        return stripped

    @property
    def score(self) -> ColumnElement[Any]:
        """Higher is better on both stores."""
        if self.postgres:
            # ts_rank_cd is a float4; as a double it round-trips exactly through a page link.
            return cast(func.ts_rank_cd(self._vector, self._tsquery), Double())
        if self.hidden:
            # FTS5's bm25 reads the whole text, hidden words too: such a search's best is its newest.
            return literal(0.0)
        return -func.bm25(self._fts)

    @property
    def snippet(self) -> ColumnElement[Any]:
        if self.postgres:
            options = f"MaxWords=18, MinWords=6, MaxFragments=2, StartSel={MARK_START}, StopSel={MARK_END}"
            return func.ts_headline(ENGLISH, Document.content, self._tsquery, options)
        return func.snippet(self._fts, 1, MARK_START, MARK_END, "…", 12)
