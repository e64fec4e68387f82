"""A source query is one read-only SELECT under every way a server might read its quotes and comments."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from superinsight.sync.connectors.select_text import REFUSED_WORDS, SelectTextError, check_select

ATTACKS = {
    "SELECT 1; DELETE FROM items": "exactly one statement",
    "SELECT * FROM items;COMMIT;DROP TABLE items": "exactly one statement",
    "SELECT 1) AS x; DELETE FROM items; SELECT * FROM (SELECT 1": "exactly one statement",
    "WITH d AS (DELETE FROM items RETURNING *) SELECT * FROM d": "DELETE",
    "with u as (update items set title = 'x' returning id) select * from u": "SET, UPDATE",
    "SELECT * INTO stolen FROM items": "INTO",
    "SELECT * FROM items INTO OUTFILE '/tmp/x'": "INTO, OUTFILE",
    "SELECT * FROM items FOR UPDATE": "UPDATE",
    "SELECT set_config('default_transaction_read_only', 'off', false)": "SET_CONFIG",
    "SELECT nextval('items_id_seq')": "NEXTVAL",
    "SELECT dblink_exec('dbname=x', 'DROP TABLE items')": "DBLINK_EXEC",
    "SELECT lo_export(1, '/tmp/x')": "LO_EXPORT",
    "select pg_terminate_backend(1)": "PG_TERMINATE_BACKEND",
    "SELECT load_extension('x')": "LOAD_EXTENSION",
    "DELETE FROM items": "must start with SELECT or WITH",
    "COMMIT": "must start with SELECT or WITH",
    "BEGIN; SELECT 1": "exactly one statement",
    "VACUUM": "must start with SELECT or WITH",
    "  ;;  ": "empty",
    # Each way a server can read text that a naive reading takes for a literal or a comment.
    "SELECT '\\'; DELETE FROM items; --'": "exactly one statement",
    "SELECT E'\\''; DELETE FROM items; --'": "exactly one statement",
    'SELECT "a\\"; DELETE FROM items; --"': "exactly one statement",
    "SELECT 1 /* /* */ ; DELETE FROM items */": "exactly one statement",
    "SELECT 1 --1; DELETE FROM items\n": "exactly one statement",
    "SELECT /*! 1; DELETE FROM items */": "exactly one statement",
    "SELECT abc$x$, 1; DELETE FROM items; $x$": "never closed",
    "SELECT $$ ; DELETE FROM items $$": "exactly one statement",
    "SELECT 'unclosed": "never closed",
    "SELECT 1 /* unclosed": "never closed",
    "SELECT 1\x00": "NUL",
    # A quoted name is still a name: the server calls the function it names.
    'SELECT "pg_terminate_backend"(pid) FROM pg_stat_activity': "PG_TERMINATE_BACKEND",
    "SELECT \"dblink_exec\"('host=x', 'DROP TABLE t')": "DBLINK_EXEC",
    "SELECT `sys_exec`('id')": "SYS_EXEC",
    "SELECT query_to_xml('SELECT 1', true, true, '')": "QUERY_TO_XML",
    "SELECT pg_read_file('/etc/passwd')": "PG_READ_FILE",
    "SELECT $é$ ' $é$, pg_terminate_backend(1) -- '": "PG_TERMINATE_BACKEND",
    "SELECT 1 /*M! , sys_exec('id') */": "SYS_EXEC",
    "SELECT 1 AS [a'], load_extension('x') AS [']": "LOAD_EXTENSION",
    'SELECT "a\'" , pg_terminate_backend(1), "\'"': "PG_TERMINATE_BACKEND",
    # PostgreSQL decodes U&"..." names and U&'...' strings: no reading sees the name they spell.
    "SELECT U&\"\\0064blink_exec\"('dbname=x', 'DELETE FROM t')": "U&",
    'SELECT U&"\\0070g_terminate_backend"(1)': "U&",
    'SELECT u&"\\+000070g_terminate_backend"(1)': "U&",
    "SELECT U&\"!0071uery_to_xml\" UESCAPE '!'('SELECT 1', true, true, '')": "U&",
    "SELECT U&'\\0041' AS a": "U&",
    "SELECT 1 AS a, u&'x' AS b FROM t": "U&",
    # A SELECT that locks rows writes (the lock), however it is spaced or commented.
    "SELECT * FROM items FOR SHARE": "lock rows (FOR SHARE)",
    "SELECT * FROM items FOR KEY SHARE": "lock rows (FOR KEY SHARE)",
    "SELECT * FROM items for no key update": "lock rows (FOR NO KEY UPDATE)",
    "SELECT * FROM items FOR/**/SHARE OF items NOWAIT": "lock rows (FOR SHARE)",
    "SELECT * FROM (SELECT * FROM items FOR\n  SHARE SKIP LOCKED) AS x": "lock rows (FOR SHARE)",
    "SELECT * FROM items LOCK IN SHARE MODE": "LOCK",
    # A non-ASCII character is part of a name to PostgreSQL: €$a$ is a name, not a dollar quote.
    "SELECT 1 AS €$a$, pg_terminate_backend(1) AS €$a$": "PG_TERMINATE_BACKEND",
    # Functions that run a query given as text.
    "SELECT * FROM ts_stat('SELECT dblink_exec(''x'', ''DELETE FROM t'')')": "TS_STAT",
    "SELECT ts_rewrite('a'::tsquery, 'SELECT 1')": "TS_REWRITE",
    "SELECT pg_try_advisory_lock(1)": "PG_TRY_ADVISORY_LOCK",
    # queries run from text by tablefunc, more server functions, MySQL named locks, MariaDB sequences
    "SELECT * FROM crosstab('select pg_terminate_backend(pid)::text, 1::text, 1::text from pg_stat_activity')"
    " AS ct(a text, b text)": "CROSSTAB",
    "SELECT * FROM connectby('items', 'id', 'parent', '1', 0) AS t(id int, p int, l int)": "CONNECTBY",
    "SELECT pg_stat_statements_reset()": "PG_STAT_STATEMENTS_RESET",
    "SELECT pg_start_backup('x', true)": "PG_START_BACKUP",
    "SELECT pg_copy_logical_replication_slot('s1','s2')": "PG_COPY_LOGICAL_REPLICATION_SLOT",
    "SELECT pg_wal_replay_pause()": "PG_WAL_REPLAY_PAUSE",
    "SELECT pg_clear_relation_stats('items')": "PG_CLEAR_RELATION_STATS",
    "SELECT pg_buffercache_evict(1)": "PG_BUFFERCACHE_EVICT",
    "SELECT GET_LOCK('app', 0)": "GET_LOCK",
    "select release_all_locks()": "RELEASE_ALL_LOCKS",
    "SELECT NEXT VALUE FOR seq1": "NEXT VALUE FOR",
    "SELECT next\n  value /* x */ for seq1": "NEXT VALUE FOR",
}


@pytest.mark.parametrize(("query", "reason"), ATTACKS.items())
def test_writes_and_second_statements_are_refused_with_the_reason(query: str, reason: str) -> None:
    with pytest.raises(SelectTextError, match=re.escape(reason)):
        check_select(query)


@pytest.mark.parametrize(
    ("query", "kept"),
    [
        ("SELECT * FROM items;", "SELECT * FROM items"),
        (
            "  select id, title from items where status = 'delete' ; ",
            "select id, title from items where status = 'delete'",
        ),
        ("WITH recent AS (SELECT * FROM items) SELECT * FROM recent", None),
        ("SELECT id FROM items -- keep only ids", None),
        ("SELECT id FROM items WHERE title ~ '\\d+' AND note = 'it''s'", None),
        ('SELECT updated_at, "Title", load_date, [region] FROM items', None),
        ("SELECT CASE WHEN a THEN 1 ELSE 2 END AS begins FROM items", None),
        ("SELECT $€$ a b $€$ AS a, ts_status, share, substring(t FROM 1 FOR 3) FROM items", None),
        ("SELECT 'U&\"x\"' AS a, menu & 1 AS b, u & 2 FROM items -- U&'x'", None),
    ],
)
def test_plain_reads_pass_without_their_trailing_semicolon(query: str, kept: str | None) -> None:
    assert check_select(query) == (kept if kept is not None else query.strip())


@given(st.sampled_from(sorted(REFUSED_WORDS)), st.sampled_from(["", " ", "\n", "(", "\t/**/"]), st.booleans())
def test_every_refused_word_is_refused_in_any_case_and_spacing(word: str, before: str, upper: bool) -> None:
    spelled = word.upper() if upper else word
    with pytest.raises(SelectTextError):
        check_select(f"SELECT x FROM t WHERE a = 1{before}{spelled} ")


@given(
    st.sampled_from(sorted(REFUSED_WORDS)),
    st.sampled_from(["'{}'", "-- {}\n", "/* {} */", "$q${}$q$"]),
)
def test_refused_words_inside_literals_and_comments_are_only_text(word: str, wrapper: str) -> None:
    query = "SELECT 1 AS a, " + wrapper.format(word) + " AS b FROM t"
    assert check_select(query) == query


@given(st.sampled_from(sorted(REFUSED_WORDS)), st.sampled_from(['"{}"', "`{}`", "[{}]"]))
def test_refused_words_inside_quoted_names_are_refused(word: str, wrapper: str) -> None:
    with pytest.raises(SelectTextError, match=word.upper()):
        check_select("SELECT 1 AS a, " + wrapper.format(word) + "(1) AS b FROM t")


DECODED_NAMES = ("dblink_exec", "pg_terminate_backend", "query_to_xml", "select")


def _escaped(name: str, escape: str, six: bool) -> str:
    """`name` with every character spelled as PostgreSQL's U& escapes spell it."""
    return "".join(f"{escape}+{ord(c):06x}" if six else f"{escape}{ord(c):04x}" for c in name)


@given(
    st.sampled_from(DECODED_NAMES),
    st.sampled_from(["U&", "u&"]),
    st.sampled_from(['"', "'"]),
    st.sampled_from(["\\", "!", "#"]),
    st.booleans(),
    st.sampled_from(["", "(1)", " AS x", " UESCAPE '!'(1)"]),
)
def test_unicode_escaped_names_and_strings_are_refused_in_any_spelling(
    name: str, prefix: str, quote: str, escape: str, six: bool, after: str
) -> None:
    with pytest.raises(SelectTextError, match="U&"):
        check_select(f"SELECT 1 AS a, {prefix}{quote}{_escaped(name, escape, six)}{quote}{after} FROM t")


@given(
    st.sampled_from(["UPDATE", "NO KEY UPDATE", "SHARE", "KEY SHARE"]),
    st.sampled_from([" ", "\n", "\t", " /* x */ ", "/**/", " -- x\n"]),
    st.booleans(),
    st.sampled_from(["", " OF items", " NOWAIT", " SKIP LOCKED", ";"]),
)
def test_every_row_lock_is_refused_in_any_case_and_spacing(
    strength: str, space: str, lower: bool, after: str
) -> None:
    clause = space.join(["FOR", *strength.split()])
    query = f"SELECT * FROM items {clause.lower() if lower else clause}{after}"
    with pytest.raises(SelectTextError, match=rf"lock rows \(FOR {strength}\)"):
        check_select(query)
