"""Compiles a rule to a SQL condition that matches exactly the documents `evaluate` matches.

A document matches a rule when the rule's result is truthy. A field's value can
be of a different JSON kind in every row (a metadata field holds a number in one
document and text in the next), so every comparison is compiled as a CASE over
the value's kind (`sqlkinds`). Here a rule's fields and constants are read and
each operator handed to `sqlops`, which compiles it. Whatever has no exact SQL
form raises `NotExpressibleInSQLError`; the caller then evaluates row by row instead.
Given the kinds each metadata key holds (`sqlknown.KeyKinds`), a metadata value gets
branches only for those kinds, and often no CASE at all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import SQLColumnExpression, not_, true

from superinsight.rules import sqlfuncs, sqljson
from superinsight.rules.extensions import WORKBENCH
from superinsight.rules.jsonlogic import is_logic, operator_of
from superinsight.rules.jsvalues import truthy
from superinsight.rules.sqlkinds import (
    KINDS,
    Condition,
    Constant,
    NotExpressibleInSQLError,
    Operand,
    SqlExpr,
    StringArray,
    Value,
    sql_bool,
    truthy_value,
)
from superinsight.rules.sqlknown import KeyKinds, known_value
from superinsight.rules.sqlops import BOOLEAN_OPERATORS, compile_operator

METADATA_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


@dataclass(frozen=True)
class FieldMap:
    """Where each field a rule may name lives, by the shape of what it holds."""

    text: Mapping[str, SQLColumnExpression[Any]] = field(default_factory=dict)
    numbers: Mapping[str, SQLColumnExpression[Any]] = field(default_factory=dict)
    json_objects: Mapping[str, SQLColumnExpression[Any]] = field(default_factory=dict)
    string_arrays: Mapping[str, SQLColumnExpression[Any]] = field(default_factory=dict)


class Compiler:
    def __init__(self, fields: FieldMap, known: KeyKinds | None = None) -> None:
        self.fields = fields
        self.known = known

    # Operands --------------------------------------------------------------

    def operand(self, node: Any) -> Operand:
        if isinstance(node, list):
            if all(not is_logic(item) and not isinstance(item, list | dict) for item in node):
                return Constant(node)
            raise NotExpressibleInSQLError("arrays built from rule logic have no SQL form")
        if not is_logic(node):
            return Constant(node)
        operator = operator_of(node)
        if operator == "var":
            return self.var(node["var"])
        if self.is_constant(node):
            return Constant(WORKBENCH.apply(node))
        if operator not in BOOLEAN_OPERATORS:
            raise NotExpressibleInSQLError(f"the result of {operator!r} over fields has no SQL form")
        condition = self.condition(node)
        return Value(kinds={"true": condition, "false": not_(condition)}, boolean=condition)

    def is_constant(self, node: Any) -> bool:
        if isinstance(node, list):
            return all(self.is_constant(item) for item in node)
        if not is_logic(node):
            return True
        operator = operator_of(node)
        return operator not in ("var", "missing", "missing_some") and self.is_constant(node[operator])

    def var(self, args: Any) -> Operand:
        args = args if isinstance(args, list) else [args]
        if len(args) > 1 and args[1] is not None:
            raise NotExpressibleInSQLError("a var with a default value has no SQL form")
        path = args[0] if args else ""
        if not isinstance(path, str) or path == "":
            raise NotExpressibleInSQLError("only named fields can be read in SQL")
        head, _, rest = path.partition(".")
        if head in self.fields.text and not rest:
            return Value(kinds={"string": true()}, text=self.fields.text[head])
        if head in self.fields.numbers and not rest:
            column = self.fields.numbers[head]
            return Value(kinds={"number": column.is_not(None), "null": column.is_(None)}, number=column)
        if head in self.fields.string_arrays and not rest:
            return StringArray(self.fields.string_arrays[head])
        if head in self.fields.json_objects:
            return self._json(self.fields.json_objects[head], rest, head)
        if head in self.fields.text or head in self.fields.numbers or head in self.fields.string_arrays:
            raise NotExpressibleInSQLError(f"{head!r} has no parts to read with {path!r}")
        return Constant(None)

    def _json(self, column: SqlExpr, rest: str, head: str) -> Operand:
        if not rest:
            return Constant({})
        keys = tuple(rest.split("."))
        for key in keys:
            if not METADATA_KEY.match(key):
                raise NotExpressibleInSQLError(f"the field name {key!r} cannot be read in SQL")
        if "length" in keys[1:]:
            # On text, `length` is its length, not a field: SQL reads only fields.
            raise NotExpressibleInSQLError("reading 'length' inside a field has no SQL form")
        general = Value(
            # Every kind is possible; the switch tests which one a row holds.
            kinds=dict.fromkeys(KINDS, true()),
            text=sqljson.json_text(column, keys),
            number=sqljson.json_number(column, keys),
            switch=lambda branches: sqljson.json_switch(column, keys, branches),
        )
        if self.known is None or head != self.known.field or len(keys) > 1:
            return general
        return known_value(column, keys[0], self.known, general)

    # Conditions ------------------------------------------------------------

    def condition(self, node: Any) -> Condition:
        """SQL that is true exactly for the rows where `node` evaluates to a truthy value."""
        if not is_logic(node):
            if isinstance(node, list) and any(is_logic(item) for item in node):
                raise NotExpressibleInSQLError("arrays built from rule logic have no SQL form")
            return sql_bool(truthy(node))
        if self.is_constant(node):
            return sql_bool(truthy(WORKBENCH.apply(node)))
        operator = operator_of(node)
        args = node[operator] if isinstance(node[operator], list) else [node[operator]]
        return compile_operator(self, operator, args)

    def truthy(self, operand: Operand) -> Condition:
        if isinstance(operand, Constant):
            return sql_bool(truthy(operand.value))
        if isinstance(operand, StringArray):
            return sqlfuncs.json_array_length(operand.column) > 0
        return truthy_value(operand)


def to_sql(rule: Any, columns: FieldMap, known: KeyKinds | None = None) -> Condition:
    """A boolean SQL expression true exactly where `truthy(evaluate(rule, document))`.

    With `known`, each test of a metadata key runs the SQL for the kinds it holds while they
    still hold (checked once per statement, `KeyKinds.unchanged`), and the general SQL otherwise.
    """
    return Compiler(columns, known).condition(rule)


# The compiler's error is part of `to_sql`'s contract: its callers catch it from here.
__all__ = ["METADATA_KEY", "Compiler", "FieldMap", "KeyKinds", "NotExpressibleInSQLError", "to_sql"]
