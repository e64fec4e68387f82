"""Dialect-specific SQL pieces the rule compiler needs, for PostgreSQL and SQLite.

Each construct compiles to the one spelling per dialect that gives the same
answer as the Python evaluator: JSON value kinds with booleans told apart from
numbers, binary string order, substring search without LIKE's case folding.
"""

from __future__ import annotations

import math
import sqlite3
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Engine,
    Float,
    Integer,
    Numeric,
    SQLColumnExpression,
    String,
    event,
    literal,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from superinsight.rules.jsvalues import JS_WHITESPACE, MAX_NUMBER_TEXT, NUMBER_PATTERN, decimal_number_text
from superinsight.rules.regex import regexp

# A JSON number at least this large reads as Infinity (the midpoint above the largest
# double rounds up); at most this small (in size) reads as 0. Exact decimals for PostgreSQL.
_OVERFLOW = Decimal(2**1024 - 2**970)
_UNDERFLOW = Decimal("0." + str(5**1075).rjust(1075, "0"))  # 2**-1075, exactly
# jsonb prints numbers without exponent: one this short is well inside a double's range.
_SHORT_NUMBER = 25


class _JsonPath(FunctionElement[Any]):
    # The path is not a SQL clause, so SQLAlchemy's statement cache could not tell
    # two paths apart: these constructs opt out of it.
    inherit_cache = False

    def __init__(self, column: SQLColumnExpression[Any], path: tuple[str, ...]) -> None:
        super().__init__(column)
        self.column: ColumnElement[Any] = next(iter(self.clauses))
        self.path = path


def _templated(construct: type[FunctionElement[Any]], **templates: str) -> None:
    """Compile `construct` per dialect by filling its compiled arguments into a template."""
    for dialect, template in templates.items():

        def compile_element(
            element: FunctionElement[Any], compiler: SQLCompiler, template: str = template, **kw: Any
        ) -> str:
            return template.format(*(compiler.process(clause, **kw) for clause in element.clauses))

        compiles(construct, dialect)(compile_element)


def _pg_path(path: tuple[str, ...]) -> str:
    return "'{" + ",".join(path) + "}'"


def _sqlite_path(path: tuple[str, ...]) -> str:
    return "'$." + ".".join(path) + "'"


class json_text(_JsonPath):
    """The value as text when it is a JSON string."""

    type = String()
    name = "json_text"
    inherit_cache = False


class json_number(_JsonPath):
    """The value as a float when it is a JSON number."""

    type = Float()
    name = "json_number"
    inherit_cache = False


@compiles(json_text, "postgresql")
def _text_pg(element: json_text, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({compiler.process(element.column, **kw)} #>> {_pg_path(element.path)})"


@compiles(json_text, "sqlite")
def _text_sqlite(element: json_text, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_extract({compiler.process(element.column, **kw)}, {_sqlite_path(element.path)})"


@compiles(json_number, "postgresql")
def _number_pg(element: json_number, compiler: SQLCompiler, **kw: Any) -> str:
    """The number as JavaScript reads it: past a double's range Infinity, below it 0, never an error."""
    text = f"({compiler.process(element.column, **kw)} #>> {_pg_path(element.path)})"
    overflow = compiler.process(literal(_OVERFLOW, Numeric()), **kw)
    underflow = compiler.process(literal(_UNDERFLOW, Numeric()), **kw)
    return (
        f"(CASE WHEN length({text}) < {_SHORT_NUMBER} THEN {text}::double precision "
        f"WHEN abs({text}::numeric) >= {overflow} THEN sign({text}::numeric) * 'Infinity'::double precision "
        f"WHEN abs({text}::numeric) <= {underflow} THEN 0::double precision "
        f"ELSE {text}::double precision END)"
    )


@compiles(json_number, "sqlite")
def _number_sqlite(element: json_number, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite's own reading of number texts is off by a step on some of them: the
    # JSON text of the number goes to Python's float() instead.
    column = compiler.process(element.column, **kw)
    return f"rule_json_number({column} -> {_sqlite_path(element.path)})"


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


def _sqlite_json_number(value: Any) -> float | None:
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def register_sqlite_functions(dbapi_connection: sqlite3.Connection) -> None:
    """The Python functions compiled rules call on SQLite: REGEXP and exact number reading."""
    dbapi_connection.create_function("regexp", 2, regexp, deterministic=True)
    dbapi_connection.create_function("rule_text_number", 1, _sqlite_text_number, deterministic=True)
    dbapi_connection.create_function("rule_json_number", 1, _sqlite_json_number, deterministic=True)


@event.listens_for(Engine, "connect")
def _register_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Every SQLite connection gets them, whoever built the engine.
    if isinstance(dbapi_connection, sqlite3.Connection):
        register_sqlite_functions(dbapi_connection)


class json_switch(_JsonPath):
    """CASE over the kind of the value at the path, one boolean branch per kind.

    Kinds without a branch are false. A missing value counts as null, and so do
    lists, which documents never hold in metadata (ingest refuses them).
    """

    type = Boolean()
    name = "json_switch"
    inherit_cache = False

    def __init__(
        self,
        column: SQLColumnExpression[Any],
        path: tuple[str, ...],
        branches: dict[str, ColumnElement[bool]],
    ) -> None:
        super().__init__(column, path)
        self.branches = branches


def _branch(element: json_switch, kind: str, compiler: SQLCompiler, **kw: Any) -> str:
    condition = element.branches.get(kind)
    return "false" if condition is None else f"({compiler.process(condition, **kw)})"


def _boolean_branch(element: json_switch, value: str, compiler: SQLCompiler, **kw: Any) -> str:
    when_true, when_false = (_branch(element, kind, compiler, **kw) for kind in ("true", "false"))
    if when_true == when_false:
        return when_true
    return f"CASE WHEN {value} = 'true'::jsonb THEN {when_true} ELSE {when_false} END"


@compiles(json_switch, "postgresql")
def _switch_pg(element: json_switch, compiler: SQLCompiler, **kw: Any) -> str:
    value = f"({compiler.process(element.column, **kw)} #> {_pg_path(element.path)})"
    return (
        f"CASE jsonb_typeof({value}) "
        f"WHEN 'number' THEN {_branch(element, 'number', compiler, **kw)} "
        f"WHEN 'string' THEN {_branch(element, 'string', compiler, **kw)} "
        f"WHEN 'boolean' THEN {_boolean_branch(element, value, compiler, **kw)} "
        f"WHEN 'object' THEN {_branch(element, 'object', compiler, **kw)} "
        f"ELSE {_branch(element, 'null', compiler, **kw)} END"
    )


@compiles(json_switch, "sqlite")
def _switch_sqlite(element: json_switch, compiler: SQLCompiler, **kw: Any) -> str:
    kind = f"json_type({compiler.process(element.column, **kw)}, {_sqlite_path(element.path)})"
    number = _branch(element, "number", compiler, **kw)
    return (
        f"CASE {kind} WHEN 'integer' THEN {number} WHEN 'real' THEN {number} "
        f"WHEN 'text' THEN {_branch(element, 'string', compiler, **kw)} "
        f"WHEN 'true' THEN {_branch(element, 'true', compiler, **kw)} "
        f"WHEN 'false' THEN {_branch(element, 'false', compiler, **kw)} "
        f"WHEN 'object' THEN {_branch(element, 'object', compiler, **kw)} "
        f"ELSE {_branch(element, 'null', compiler, **kw)} END"
    )


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
