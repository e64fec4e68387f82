"""Dialect-specific SQL pieces the rule compiler needs, for PostgreSQL and SQLite.

Each construct compiles to the one spelling per dialect that gives the same
answer as the Python evaluator: binary string order, substring search without
LIKE's case folding, decimal text read as a number. Reading values inside JSON
columns is in `sqljson`; the SQLite functions both need are registered here.
"""

from __future__ import annotations

import math
import sqlite3
from typing import Any

from sqlalchemy import JSON, Boolean, Float, Integer, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from superinsight.rules.jsvalues import JS_WHITESPACE, MAX_NUMBER_TEXT, NUMBER_PATTERN, decimal_number_text
from superinsight.rules.regex import regexp
from superinsight.rules.sqljson import sqlite_json_number


def _templated(construct: type[FunctionElement[Any]], **templates: str) -> None:
    """Compile `construct` per dialect by filling its compiled arguments into a template."""
    for dialect, template in templates.items():

        def compile_element(
            element: FunctionElement[Any], compiler: SQLCompiler, template: str = template, **kw: Any
        ) -> str:
            return template.format(*(compiler.process(clause, **kw) for clause in element.clauses))

        compiles(construct, dialect)(compile_element)


class number_from_text(FunctionElement[float]):
    """Number(text) as the evaluator reads it (decimal text only); NULL where that is NaN."""

    type = Float()
    name = "number_from_text"
    inherit_cache = True


@compiles(number_from_text, "postgresql")
def _number_from_text_pg(element: number_from_text, compiler: SQLCompiler, **kw: Any) -> str:
    text = compiler.process(next(iter(element.clauses)), **kw)
    whitespace = compiler.render_literal_value(JS_WHITESPACE, String())
    pattern = compiler.render_literal_value(NUMBER_PATTERN, String())
    trimmed = f"btrim({text}, {whitespace})"
    # Within 30 characters and a two-digit exponent every decimal text is inside a
    # double's range, and PostgreSQL reads it correctly rounded, as float() does.
    return (
        f"(CASE WHEN {trimmed} = '' THEN 0::double precision "
        f"WHEN length({trimmed}) <= {MAX_NUMBER_TEXT} AND {trimmed} ~ {pattern} "
        f"THEN {trimmed}::double precision END)"
    )


@compiles(number_from_text, "sqlite")
def _number_from_text_sqlite(element: number_from_text, compiler: SQLCompiler, **kw: Any) -> str:
    return f"rule_text_number({compiler.process(next(iter(element.clauses)), **kw)})"


def _sqlite_text_number(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    number = decimal_number_text(value)
    return None if math.isnan(number) else number


def register_sqlite_functions(dbapi_connection: sqlite3.Connection) -> None:
    """The Python functions compiled rules call on SQLite: REGEXP and exact number reading
    (`superinsight.db.sqlite_functions` registers them on every connection the engine opens)."""
    dbapi_connection.create_function("regexp", 2, regexp, deterministic=True)
    dbapi_connection.create_function("rule_text_number", 1, _sqlite_text_number, deterministic=True)
    dbapi_connection.create_function("rule_json_number", 1, sqlite_json_number, deterministic=True)


class json_array_has_text(FunctionElement[bool]):
    """A JSON array column holds this exact string among its elements."""

    type = Boolean()
    name = "json_array_has_text"
    inherit_cache = True


class json_array_length(FunctionElement[int]):
    """How many elements a JSON array column holds."""

    type = Integer()
    name = "json_array_length"
    inherit_cache = True


class position_of(FunctionElement[int]):
    """1-based position of a substring, 0 when absent; case-sensitive, no wildcards."""

    type = Integer()
    name = "position_of"
    inherit_cache = True


class ascii_lower(FunctionElement[str]):
    """Lower-case A-Z only, as the Python side does (SQLite's lower() does exactly that)."""

    type = String()
    name = "ascii_lower"
    inherit_cache = True


class regex_match(FunctionElement[bool]):
    """Pattern found anywhere in the text (SQLite uses the REGEXP function the engine registers)."""

    type = Boolean()
    name = "regex_match"
    inherit_cache = True


class binary_text(FunctionElement[str]):
    """Text compared by code point, as Python compares strings."""

    type = String()
    name = "binary_text"
    inherit_cache = True


class js_trim(FunctionElement[str]):
    """Strip the characters JavaScript's trim() strips, from both ends."""

    type = String()
    name = "js_trim"
    inherit_cache = True


_templated(
    json_array_has_text,
    postgresql="({0} @> jsonb_build_array(CAST({1} AS text)))",
    sqlite="EXISTS (SELECT 1 FROM json_each({0}) AS tag WHERE tag.type = 'text' AND tag.value = {1})",
)


class json_array_append(FunctionElement[Any]):
    """The JSON array with one more string at its end."""

    type = JSON()
    name = "json_array_append"
    inherit_cache = True


_templated(
    json_array_append,
    postgresql="({0} || jsonb_build_array(CAST({1} AS text)))",
    sqlite="json_insert({0}, '$[#]', {1})",
)
_templated(json_array_length, postgresql="jsonb_array_length({0})", sqlite="json_array_length({0})")
_templated(position_of, postgresql="strpos({0}, {1})", sqlite="instr({0}, {1})")
# Under the "C" collation PostgreSQL's lower() folds A-Z only, like SQLite's.
_templated(ascii_lower, postgresql='lower({0} COLLATE "C")', sqlite="lower({0})")
_templated(regex_match, postgresql="({0} ~ {1})", sqlite="({0} REGEXP {1})")
_templated(binary_text, postgresql='({0} COLLATE "C")', sqlite="{0}")
_templated(js_trim, postgresql="btrim({0}, {1})", sqlite="trim({0}, {1})")
