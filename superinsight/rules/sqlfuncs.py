"""Dialect-specific SQL pieces the rule compiler needs, for PostgreSQL and SQLite.

Each construct compiles to the one spelling per dialect that gives the same
answer as the Python evaluator: JSON value kinds with booleans told apart from
numbers, binary string order, substring search without LIKE's case folding.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Float, Integer, SQLColumnExpression, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement


class _JsonPath(FunctionElement[Any]):
    # The path is not a SQL clause, so SQLAlchemy's statement cache could not tell
    # two paths apart: these constructs opt out of it.
    inherit_cache = False

    def __init__(self, column: SQLColumnExpression[Any], path: tuple[str, ...]) -> None:
        super().__init__(column)
        self.column: ColumnElement[Any] = next(iter(self.clauses))
        self.path = path


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
    column = compiler.process(element.column, **kw)
    return f"({column} #>> {_pg_path(element.path)})::double precision"


@compiles(json_number, "sqlite")
def _number_sqlite(element: json_number, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"CAST(json_extract({column}, {_sqlite_path(element.path)}) AS REAL)"


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


@compiles(json_switch, "postgresql")
def _switch_pg(element: json_switch, compiler: SQLCompiler, **kw: Any) -> str:
    value = f"({compiler.process(element.column, **kw)} #> {_pg_path(element.path)})"
    return (
        f"CASE jsonb_typeof({value}) "
        f"WHEN 'number' THEN {_branch(element, 'number', compiler, **kw)} "
        f"WHEN 'string' THEN {_branch(element, 'string', compiler, **kw)} "
        f"WHEN 'boolean' THEN CASE WHEN {value} = 'true'::jsonb "
        f"THEN {_branch(element, 'true', compiler, **kw)} "
        f"ELSE {_branch(element, 'false', compiler, **kw)} END "
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


@compiles(json_array_has_text, "postgresql")
def _has_pg(element: json_array_has_text, compiler: SQLCompiler, **kw: Any) -> str:
    column, needle = list(element.clauses)
    needle_sql = compiler.process(needle, **kw)
    return f"({compiler.process(column, **kw)} @> jsonb_build_array(CAST({needle_sql} AS text)))"


@compiles(json_array_has_text, "sqlite")
def _has_sqlite(element: json_array_has_text, compiler: SQLCompiler, **kw: Any) -> str:
    column, needle = list(element.clauses)
    return (
        # Both parts are compiled clauses whose values are bound parameters.
        f"EXISTS (SELECT 1 FROM json_each({compiler.process(column, **kw)}) AS tag "  # noqa: S608
        f"WHERE tag.type = 'text' AND tag.value = {compiler.process(needle, **kw)})"
    )


class json_array_length(FunctionElement[int]):
    """How many elements a JSON array column holds."""

    type = Integer()
    name = "json_array_length"
    inherit_cache = True


@compiles(json_array_length, "postgresql")
def _length_pg(element: json_array_length, compiler: SQLCompiler, **kw: Any) -> str:
    return f"jsonb_array_length({compiler.process(next(iter(element.clauses)), **kw)})"


@compiles(json_array_length, "sqlite")
def _length_sqlite(element: json_array_length, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_array_length({compiler.process(next(iter(element.clauses)), **kw)})"


class position_of(FunctionElement[int]):
    """1-based position of a substring, 0 when absent; case-sensitive, no wildcards."""

    type = Integer()
    name = "position_of"
    inherit_cache = True


@compiles(position_of, "postgresql")
def _position_pg(element: position_of, compiler: SQLCompiler, **kw: Any) -> str:
    haystack, needle = list(element.clauses)
    return f"strpos({compiler.process(haystack, **kw)}, {compiler.process(needle, **kw)})"


@compiles(position_of, "sqlite")
def _position_sqlite(element: position_of, compiler: SQLCompiler, **kw: Any) -> str:
    haystack, needle = list(element.clauses)
    return f"instr({compiler.process(haystack, **kw)}, {compiler.process(needle, **kw)})"


class ascii_lower(FunctionElement[str]):
    """Lower-case A-Z only, as the Python side does (SQLite's lower() does exactly that)."""

    type = String()
    name = "ascii_lower"
    inherit_cache = True


@compiles(ascii_lower, "postgresql")
def _lower_pg(element: ascii_lower, compiler: SQLCompiler, **kw: Any) -> str:
    # Under the "C" collation PostgreSQL's lower() folds A-Z only, like SQLite's.
    return f'lower({compiler.process(next(iter(element.clauses)), **kw)} COLLATE "C")'


@compiles(ascii_lower, "sqlite")
def _lower_sqlite(element: ascii_lower, compiler: SQLCompiler, **kw: Any) -> str:
    return f"lower({compiler.process(next(iter(element.clauses)), **kw)})"


class regex_match(FunctionElement[bool]):
    """Pattern found anywhere in the text (SQLite uses the REGEXP function the engine registers)."""

    type = Boolean()
    name = "regex_match"
    inherit_cache = True


@compiles(regex_match, "postgresql")
def _regex_pg(element: regex_match, compiler: SQLCompiler, **kw: Any) -> str:
    text, pattern = list(element.clauses)
    return f"({compiler.process(text, **kw)} ~ {compiler.process(pattern, **kw)})"


@compiles(regex_match, "sqlite")
def _regex_sqlite(element: regex_match, compiler: SQLCompiler, **kw: Any) -> str:
    text, pattern = list(element.clauses)
    return f"({compiler.process(text, **kw)} REGEXP {compiler.process(pattern, **kw)})"


class binary_text(FunctionElement[str]):
    """Text compared by code point, as Python compares strings."""

    type = String()
    name = "binary_text"
    inherit_cache = True


@compiles(binary_text, "postgresql")
def _binary_pg(element: binary_text, compiler: SQLCompiler, **kw: Any) -> str:
    return f'({compiler.process(next(iter(element.clauses)), **kw)} COLLATE "C")'


@compiles(binary_text, "sqlite")
def _binary_sqlite(element: binary_text, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(next(iter(element.clauses)), **kw)


class js_trim(FunctionElement[str]):
    """Strip the characters JavaScript's trim() strips, from both ends."""

    type = String()
    name = "js_trim"
    inherit_cache = True


@compiles(js_trim, "postgresql")
def _trim_pg(element: js_trim, compiler: SQLCompiler, **kw: Any) -> str:
    text, characters = list(element.clauses)
    return f"btrim({compiler.process(text, **kw)}, {compiler.process(characters, **kw)})"


@compiles(js_trim, "sqlite")
def _trim_sqlite(element: js_trim, compiler: SQLCompiler, **kw: Any) -> str:
    text, characters = list(element.clauses)
    return f"trim({compiler.process(text, **kw)}, {compiler.process(characters, **kw)})"
