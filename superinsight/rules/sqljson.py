"""SQL reading a value in a JSON column, per dialect: apart from sqlfuncs, as search and scoring use it."""

from __future__ import annotations

import math
import struct
from decimal import Context, Decimal, Inexact
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

    def __init__(self, column: SQLColumnExpression[Any], path: tuple[str, ...], arrows: bool = False) -> None:
        super().__init__(column)
        self.column: ColumnElement[Any] = next(iter(self.clauses))
        self.path = path
        # `->` for each key instead of one `#>` path: PostgreSQL reads a key that way at
        # about two thirds of the cost. Only SQL compiled with known key kinds uses it,
        # so a rule compiled without them keeps its SQL to the character.
        self.arrows = arrows


def _pg_path(path: tuple[str, ...]) -> str:
    return "'{" + ",".join(path) + "}'"


def _pg_value(element: _JsonPath, compiler: SQLCompiler, as_text: bool, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    if not element.arrows:
        return f"({column} {'#>>' if as_text else '#>'} {_pg_path(element.path)})"
    *inner, last = (f"'{key}'" for key in element.path)
    return f"({' -> '.join([column, *inner])} {'->>' if as_text else '->'} {last})"


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
    return _pg_value(element, compiler, True, **kw)


@compiles(json_text, "sqlite")
def _text_sqlite(element: json_text, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_extract({compiler.process(element.column, **kw)}, {_sqlite_path(element.path)})"


@compiles(json_number, "postgresql")
def _number_pg(element: json_number, compiler: SQLCompiler, **kw: Any) -> str:
    """The number as JavaScript reads it: past a double's range Infinity, below it 0, never an error."""
    text = _pg_value(element, compiler, True, **kw)
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
    # which `superinsight.db.sqlite_functions` registers on every SQLite connection).
    column = compiler.process(element.column, **kw)
    return f"rule_json_number({column} -> {_sqlite_path(element.path)})"


def sqlite_json_number(value: Any) -> float | None:
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


# Midpoints between neighbouring doubles have up to ~770 significant digits: computed exactly.
_EXACT = Context(prec=2000, traps=[Inexact])
Bound = tuple[Decimal, bool] | None
"""A limit on the decimals that read as a double, and whether it is one of them; None: no limit."""


def reading_as(number: float) -> tuple[Bound, Bound]:
    """The decimals JavaScript reads as `number`: from the midpoint below it to the one above.

    A decimal exactly on a midpoint reads as the neighbour with an even last bit (round
    half to even), so each limit belongs to `number` when its own last bit is even.
    Past the largest double a decimal reads as Infinity, so Infinity's range is open-ended.
    """
    if math.isinf(number):
        return ((_OVERFLOW, True), None) if number > 0 else (None, (-_OVERFLOW, True))
    number += 0.0  # -0.0 is 0.0
    even = struct.unpack("<Q", struct.pack("<d", number))[0] % 2 == 0

    def midpoint(neighbour: float) -> Decimal:
        if math.isinf(neighbour):
            return _OVERFLOW.copy_sign(Decimal(neighbour))
        return _EXACT.divide(_EXACT.add(Decimal(number), Decimal(neighbour)), 2)

    below, above = math.nextafter(number, -math.inf), math.nextafter(number, math.inf)
    return (midpoint(below), even), (midpoint(above), even)


class json_number_test(_JsonPath):
    """`value OP number` for a key known to hold numbers (and nulls) only; NULL where it is missing or null.

    PostgreSQL compares the JSON number as it is stored (numeric) with the limits of the
    decimals that read as `number` (`reading_as`): exactly the double comparison JavaScript
    makes, from one read of the key and no guard against numbers past a double's range.
    A string there would fail the cast, which is why it takes the key's known kinds.
    """

    type = Boolean()
    name = "json_number_test"
    inherit_cache = False

    def __init__(
        self, column: SQLColumnExpression[Any], path: tuple[str, ...], op: str, number: float, nullable: bool
    ) -> None:
        super().__init__(column, path, arrows=True)
        self.comparison, self.number, self.nullable = op, number, nullable


_SQL_OPERATOR = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


@compiles(json_number_test, "postgresql")
def _number_test_pg(element: json_number_test, compiler: SQLCompiler, **kw: Any) -> str:
    # A JSON null cannot be cast from jsonb to numeric, its text (NULL) can.
    value = f"({_pg_value(element, compiler, element.nullable, **kw)})::numeric"
    low, high = reading_as(element.number)

    def side(bound: Bound, beyond: tuple[str, str], within: tuple[str, str]) -> tuple[str, str] | None:
        """SQL for the decimals past `bound` and for those up to it (the signs: bound in, bound out)."""
        if bound is None:
            return None
        limit, inclusive = bound
        number = compiler.process(literal(limit, Numeric()), **kw)
        return f"{value} {beyond[not inclusive]} {number}", f"{value} {within[not inclusive]} {number}"

    below = side(low, ("<", "<="), (">=", ">"))  # (reads below `number`, reads at least `number`)
    above = side(high, (">", ">="), ("<=", "<"))  # (reads above `number`, reads at most `number`)
    parts, joiner = {
        "<": ([below and below[0]], "OR"),
        ">": ([above and above[0]], "OR"),
        "!=": ([below and below[0], above and above[0]], "OR"),
        ">=": ([below and below[1]], "AND"),
        "<=": ([above and above[1]], "AND"),
        "==": ([below and below[1], above and above[1]], "AND"),
    }[element.comparison]
    found = [part for part in parts if part]
    if not found:  # no limit on that side: always false (OR) or always true (AND), still NULL on NULL
        return f"({value} {'<>' if joiner == 'OR' else '='} {value})"
    return "(" + f" {joiner} ".join(found) + ")"


@compiles(json_number_test, "sqlite")
def _number_test_sqlite(element: json_number_test, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    number = compiler.process(literal(element.number, Float()), **kw)
    operator = _SQL_OPERATOR[element.comparison]
    return f"(rule_json_number({column} -> {_sqlite_path(element.path)}) {operator} {number})"


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
        present: frozenset[str] | None = None,
    ) -> None:
        super().__init__(column, path, arrows=present is not None)
        self.branches = branches
        # The kinds rows can hold (None: every kind): only those get a WHEN.
        self.present = present

    def when(self, *kinds: str) -> bool:
        return self.present is None or any(kind in self.present for kind in kinds)


def _branch(element: json_switch, kind: str, compiler: SQLCompiler, **kw: Any) -> str:
    condition = element.branches.get(kind)
    return "false" if condition is None else f"({compiler.process(condition, **kw)})"


def _boolean_branch(element: json_switch, value: str, compiler: SQLCompiler, **kw: Any) -> str:
    when_true, when_false = (_branch(element, kind, compiler, **kw) for kind in ("true", "false"))
    if when_true == when_false or not element.when("false"):
        return when_true
    if not element.when("true"):
        return when_false
    return f"CASE WHEN {value} = 'true'::jsonb THEN {when_true} ELSE {when_false} END"


def _whens(element: json_switch, whens: list[tuple[str, tuple[str, ...], str]]) -> str:
    """`WHEN test THEN branch` for the kinds rows can hold; the rest (null, missing) go to ELSE."""
    return "".join(f"WHEN {test} THEN {branch} " for test, kinds, branch in whens if element.when(*kinds))


@compiles(json_switch, "postgresql")
def _switch_pg(element: json_switch, compiler: SQLCompiler, **kw: Any) -> str:
    value = _pg_value(element, compiler, False, **kw)
    whens = _whens(
        element,
        [
            ("'number'", ("number",), _branch(element, "number", compiler, **kw)),
            ("'string'", ("string",), _branch(element, "string", compiler, **kw)),
            ("'boolean'", ("true", "false"), _boolean_branch(element, value, compiler, **kw)),
            ("'object'", ("object",), _branch(element, "object", compiler, **kw)),
        ],
    )
    return f"CASE jsonb_typeof({value}) {whens}ELSE {_branch(element, 'null', compiler, **kw)} END"


@compiles(json_switch, "sqlite")
def _switch_sqlite(element: json_switch, compiler: SQLCompiler, **kw: Any) -> str:
    kind = f"json_type({compiler.process(element.column, **kw)}, {_sqlite_path(element.path)})"
    number = _branch(element, "number", compiler, **kw)
    whens = _whens(
        element,
        [
            ("'integer'", ("number",), number),
            ("'real'", ("number",), number),
            ("'text'", ("string",), _branch(element, "string", compiler, **kw)),
            ("'true'", ("true",), _branch(element, "true", compiler, **kw)),
            ("'false'", ("false",), _branch(element, "false", compiler, **kw)),
            ("'object'", ("object",), _branch(element, "object", compiler, **kw)),
        ],
    )
    return f"CASE {kind} {whens}ELSE {_branch(element, 'null', compiler, **kw)} END"
