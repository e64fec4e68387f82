"""Functions SQLite lacks that the workbench's SQL calls, registered on every connection.

A module of its own, apart from the searches that call them, so opening the
engine loads no ORM model: `superinsight health` opens one every few seconds.
"""

from __future__ import annotations

import json
import sqlite3

from superinsight import masking
from superinsight.rules.sqlfuncs import register_sqlite_functions

SQLITE_TOKENIZER = "porter unicode61"  # as documents_fts (migration 0004)


class _UnhiddenMatcher:
    """SQLite's `matches_unhidden(title, content, patterns, query)`: whether the query still
    finds the document once the patterns' finds are taken out, asked of a private FTS5
    table with the same tokenizer as the documents' index."""

    def __init__(self) -> None:
        self.index = sqlite3.connect(":memory:", check_same_thread=False)
        self.index.execute(
            f"CREATE VIRTUAL TABLE t USING fts5(title, content, tokenize='{SQLITE_TOKENIZER}')"
        )

    def __call__(self, title: str | None, content: str | None, patterns: str, query: str) -> int:
        title, content = title or "", content or ""
        for pattern in json.loads(patterns):
            title, content = masking.strip(title, pattern), masking.strip(content, pattern)
        self.index.execute("INSERT INTO t(rowid, title, content) VALUES (1, ?, ?)", (title, content))
        try:
            return int(self.index.execute("SELECT 1 FROM t WHERE t MATCH ?", (query,)).fetchone() is not None)
        finally:
            self.index.execute("DELETE FROM t")


def register(dbapi_connection: sqlite3.Connection) -> None:
    """What compiled rules call (REGEXP by the rule language's own regular expressions, numbers
    read exactly) and `matches_unhidden` for masked searches: here, on the connection being
    opened, not by a listener a module adds when first imported, which a connection opened
    before that import never got."""
    register_sqlite_functions(dbapi_connection)
    dbapi_connection.create_function("matches_unhidden", 4, _UnhiddenMatcher())
