"""SQL reading a value in a JSON column, per dialect: apart from sqlfuncs, as search and scoring use it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Float, Numeric, SQLColumnExpression, String, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

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
    # JSON text of the number goes to Python's float() instead (`sqlite_json_number`,
    # which `sqlfuncs` registers on every SQLite connection).
    column = compiler.process(element.column, **kw)
    return f"rule_json_number({column} -> {_sqlite_path(element.path)})"


def sqlite_json_number(value: Any) -> float | None:
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


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
