"""A source's SELECT, checked before it is sent: one read-only statement and nothing else.

The check is the first of three locks, there to give the analyst a clear reason:
the connector also sends the text as exactly one statement over the extended
protocol (the server refuses a second one) inside a transaction that is
read-only from its first byte. A read-only database role remains the right
deployment; a SELECT can still call a function with side effects that no text
check knows about.

Servers read quotes and comments differently (backslash escapes on or off,
`#` comments and `/*! ... */` in MySQL, nested comments and dollar quotes in
PostgreSQL), so the text is read every way a server might read it, and a word
that is code in any reading counts. What no reading can see through is refused
outright: PostgreSQL's `U&"..."` names and `U&'...'` strings, whose escapes spell
a name the checker would have to decode (`U&"\0064blink_exec"` is `dblink_exec`),
and row locks (`FOR SHARE`, `FOR KEY SHARE`, `FOR [NO KEY] UPDATE`), which write.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_QUERY = 20_000
FIRST_WORDS = frozenset({"select", "with"})
# Statements and clauses that change data, end a transaction or reach outside it, and
# functions known to write, to act on other sessions or to run a query given as text
# (ts_stat, ts_rewrite, tablefunc's crosstab and connectby), and MySQL's named locks.
# Matched as whole words in code. MariaDB's `NEXT VALUE FOR seq` is `nextval`: see _NEXT_VALUE.
REFUSED_WORDS = frozenset(
    {
        "insert", "update", "delete", "merge", "upsert", "replace", "truncate", "drop", "create",
        "alter", "rename", "grant", "revoke", "into", "copy", "call", "do", "lock", "unlock",
        "vacuum", "analyze", "reindex", "cluster", "refresh", "listen", "notify", "prepare",
        "execute", "deallocate", "set", "reset", "begin", "commit", "rollback", "savepoint",
        "release", "abort", "start", "attach", "detach", "pragma", "load", "handler", "outfile",
        "dumpfile", "set_config", "nextval", "setval", "dblink", "dblink_exec", "dblink_connect",
        "lo_import", "lo_export", "lo_unlink", "lo_create", "lo_creat", "lo_put", "lo_from_bytea",
        "pg_terminate_backend", "pg_cancel_backend", "pg_reload_conf", "pg_rotate_logfile",
        "pg_promote", "pg_file_write", "pg_advisory_lock", "pg_advisory_xact_lock", "load_file",
        "load_extension", "sys_exec", "sys_eval", "ts_stat", "ts_rewrite", "crosstab", "connectby",
        "get_lock", "release_lock", "release_all_locks",
    }
)  # fmt: skip
# Families of functions that act outside the statement: other connections, large objects,
# server files, other sessions, settings, and queries run from inside a query.
REFUSED_PREFIXES = (
    "dblink", "lo_import", "lo_export", "lo_put", "lo_get", "lo_open", "lo_creat", "lo_unlink", "lo_truncate",
    "lo_from_bytea", "query_to_xml", "cursor_to_xml", "table_to_xml", "schema_to_xml", "database_to_xml",
    "pg_terminate", "pg_cancel", "pg_read", "pg_ls_", "pg_stat_file", "pg_file", "pg_advisory", "pg_notify",
    "pg_promote", "pg_reload", "pg_rotate", "pg_logical", "pg_replication", "pg_create", "pg_drop",
    "pg_switch", "pg_backup", "pg_import", "set_config", "pg_try_advisory", "pg_signal", "pg_log_",
    "pg_stat_reset", "pg_stat_statements_reset", "pg_start_backup", "pg_stop_backup", "pg_copy_",
    "pg_wal_replay", "pg_restore_", "pg_clear_", "pg_buffercache_evict", "crosstab",
)  # fmt: skip
# `FOR UPDATE`, `FOR NO KEY UPDATE`, `FOR SHARE`, `FOR KEY SHARE`: a SELECT that locks rows writes.
_NEXT_VALUE = re.compile(r"\b(?:next|previous)\s+value\s+for\b", re.IGNORECASE)
_ROW_LOCK = re.compile(r"\bfor\s+(?:no\s+key\s+update|key\s+share|share|update)\b", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
# PostgreSQL's rules: a tag or a name is ASCII letters, digits and `_`, and any non-ASCII character.
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_\u0080-\U0010ffff][A-Za-z0-9_\u0080-\U0010ffff]*)?\$")


class SelectTextError(ValueError):
    """The query was refused before anything was sent; the message says why."""


@dataclass(frozen=True)
class _Reading:
    """One way a server reads quotes and comments."""

    single_escapes: bool  # backslash escapes in '...' (PostgreSQL without standard strings, MySQL)
    double_escapes: bool  # backslash escapes in "..." (MySQL, where "..." is a string)
    e_strings: bool  # E'...' takes backslash escapes (PostgreSQL)
    dollar_quotes: bool  # $tag$...$tag$ (PostgreSQL)
    nested_comments: bool  # /* /* */ */ (PostgreSQL)
    mysql_comments: bool  # '#' comments, '-- ' needs a space, /*! ... */ and /*M! ... */ are code
    identifiers: str  # the quotes that name something: their content is code, not text


_READINGS = (
    _Reading(False, False, True, True, True, False, '"'),  # PostgreSQL, standard strings on
    _Reading(True, False, True, True, True, False, '"'),  # PostgreSQL, standard strings off
    _Reading(True, True, False, False, False, True, "`"),  # MySQL / MariaDB
    _Reading(False, False, False, False, False, True, "`"),  # MySQL with NO_BACKSLASH_ESCAPES
    _Reading(True, False, False, False, False, True, '"`'),  # MySQL with ANSI_QUOTES
    _Reading(False, False, False, False, False, False, '"`['),  # SQLite
)
_CLOSING = {"[": "]"}


def _quoted_end(text: str, start: int, quote: str, backslash: bool) -> int:
    """Index just past the literal opened at `start`; -1 when it never closes."""
    index = start + 1
    while index < len(text):
        char = text[index]
        if backslash and char == "\\":
            index += 2
            continue
        if char == quote:
            if text.startswith(quote, index + 1):
                index += 2
                continue
            return index + 1
        index += 1
    return -1


def _comment_end(text: str, start: int, nested: bool) -> int:
    depth, index = 0, start
    while index < len(text) - 1:
        pair = text[index : index + 2]
        if pair == "/*" and (nested or depth == 0):
            depth, index = depth + 1, index + 2
        elif pair == "*/":
            depth, index = depth - 1, index + 2
            if depth == 0:
                return index
        else:
            index += 1
    return -1


def _in_word(text: str, index: int) -> bool:
    """Whether the character before `index` belongs to a word (then `$` is part of a name)."""
    return index > 0 and (text[index - 1].isalnum() or text[index - 1] in "_$" or text[index - 1] > "\x7f")


def _e_prefixed(text: str, index: int) -> bool:
    """Whether the quote at `index` opens an E'...' string (an `e` that is not the end of a word)."""
    return index > 0 and text[index - 1] in "eE" and not _in_word(text, index - 1)


def _line_comment(text: str, index: int, reading: _Reading) -> bool:
    if reading.mysql_comments and text[index] == "#":
        return True
    if not text.startswith("--", index):
        return False
    return not reading.mysql_comments or index + 2 == len(text) or text[index + 2] in " \t\r\n\f\v"


def _skip(text: str, index: int, reading: _Reading) -> tuple[int, str] | None:
    """Where the literal, name or comment starting at `index` ends, and the code it stands for.

    A string or comment stands for nothing; a quoted name stands for the name, which is
    code (`"pg_terminate_backend"(1)` calls the function). None when nothing starts here.
    """
    char = text[index]
    if char in "\"'" and index >= 2 and text[index - 2 : index] in ("U&", "u&"):
        # U&"\0064blink_exec" names dblink_exec: escapes no reading decodes, and no need for them here.
        raise SelectTextError(
            "a source query may not use U&'...' or U&\"...\" escapes; write the characters themselves"
        )
    if _line_comment(text, index, reading):
        newline = text.find("\n", index)
        return (len(text) if newline < 0 else newline), ""
    if text.startswith("/*", index):
        if reading.mysql_comments and text.startswith(("/*!", "/*M!"), index):
            return text.index("!", index) + 1, ""  # MySQL and MariaDB run what these hold: read it as code
        return _comment_end(text, index, reading.nested_comments), ""
    if char in reading.identifiers:
        end = _quoted_end(text, index, _CLOSING.get(char, char), backslash=False)
        return end, f" {text[index + 1 : end - 1]} " if end > 0 else ""
    if char == "'":
        escaped = reading.single_escapes or (reading.e_strings and _e_prefixed(text, index))
        return _quoted_end(text, index, char, escaped), ""
    if char in '"`':
        return _quoted_end(text, index, char, reading.double_escapes and char == '"'), ""
    if char == "$" and reading.dollar_quotes and not _in_word(text, index):
        if not (tag := _DOLLAR_TAG.match(text, index)):
            return None
        closing = text.find(tag.group(0), tag.end())
        return (-1 if closing < 0 else closing + len(tag.group(0))), ""
    return None


def code_of(text: str, reading: _Reading) -> str:
    """The text with literals and comments blanked to a space, as `reading` sees it."""
    parts: list[str] = []
    index = 0
    while index < len(text):
        skipped = _skip(text, index, reading)
        if skipped is None:
            parts.append(text[index])
            index += 1
            continue
        end, stands_for = skipped
        if end < 0:
            raise SelectTextError("the query has a quote or comment that is never closed")
        parts.append(stands_for or " ")
        index = end
    return "".join(parts)


def check_select(query: str) -> str:
    """The query without trailing semicolons, if it is one read-only SELECT; else SelectTextError."""
    text = query.strip().rstrip(";").rstrip()
    if not text:
        raise SelectTextError("the query is empty")
    if len(text) > MAX_QUERY:
        raise SelectTextError(f"a source query may be at most {MAX_QUERY:,} characters")
    if "\x00" in text:
        raise SelectTextError("the query contains a NUL character")
    for reading in _READINGS:
        code = code_of(text, reading)
        if ";" in code:
            raise SelectTextError("a source query is exactly one statement: remove the ';' inside it")
        words = [word.lower() for word in _WORD.findall(code)]
        if not words or words[0] not in FIRST_WORDS:
            raise SelectTextError("a source query must start with SELECT or WITH")
        if _NEXT_VALUE.search(code):
            raise SelectTextError("a source query only reads; it may not advance a sequence (NEXT VALUE FOR)")
        if lock := _ROW_LOCK.search(code):
            raise SelectTextError(
                f"a source query only reads; it may not lock rows ({' '.join(lock.group(0).upper().split())})"
            )
        refused = sorted(
            {word for word in words if word in REFUSED_WORDS or word.startswith(REFUSED_PREFIXES)}
        )
        if refused:
            raise SelectTextError(
                f"a source query only reads; it may not use {', '.join(w.upper() for w in refused)}"
            )
    return text
