"""Each rule operator compiled to a SQL condition: apart from the compiler core, which reads the fields."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, case, false, func, literal, not_, or_

from superinsight.rules import sqlfuncs
from superinsight.rules.extensions import ISO_DATE, WORKBENCH, PatternError, ascii_lower, check_pattern
from superinsight.rules.jsonlogic import is_logic, operator_of
from superinsight.rules.jsvalues import js_number, js_string, truthy
from superinsight.rules.sqlkinds import (
    COMPARISONS,
    FLIPPED,
    Condition,
    Constant,
    NotExpressibleInSQLError,
    SqlExpr,
    StringArray,
    Value,
    any_kind,
    check_literal,
    compare_value,
    sql_bool,
    text_of,
    text_test,
)

if TYPE_CHECKING:
    from superinsight.rules.sql import Compiler

OperatorCompiler = Callable[["Compiler", str, list[Any]], Condition]


def _same_field(left: Any, right: Any) -> bool:
    def path(node: Any) -> Any:
        if not is_logic(node) or operator_of(node) != "var":
            return None
        args = node["var"] if isinstance(node["var"], list) else [node["var"]]
        if len(args) > 1 and args[1] is not None:
            return None
        return args[0] if args and isinstance(args[0], str) and args[0] else None

    return path(left) is not None and path(left) == path(right)


def _unsupported(compiler: Compiler, operator: str, args: list[Any]) -> Condition:
    raise NotExpressibleInSQLError(f"operator {operator!r} cannot run in the database")


def _var(compiler: Compiler, operator: str, args: list[Any]) -> Condition:
    return compiler.truthy(compiler.var(args))


def _not(compiler: Compiler, operator: str, args: list[Any]) -> Condition:
    inner = compiler.condition(args[0] if args else None)
    return not_(inner) if operator == "!" else inner


def _and_or(compiler: Compiler, operator: str, args: list[Any]) -> Condition:
    if not args:
        return false()
    parts = [compiler.condition(arg) for arg in args]
    return and_(*parts) if operator == "and" else or_(*parts)


def _if(compiler: Compiler, operator: str, args: list[Any]) -> Condition:
    """One CASE: each test and each branch written once, so the SQL grows with the rule, no faster."""
    if not args:
        return false()
    if len(args) == 1:
        return compiler.condition(args[0])
    whens = [
        (compiler.condition(args[i]), compiler.condition(args[i + 1])) for i in range(0, len(args) - 1, 2)
    ]
    otherwise = compiler.condition(args[-1]) if len(args) % 2 == 1 else false()
    return case(*whens, else_=otherwise)


def _compare(compiler: Compiler, operator: str, args: list[Any]) -> Condition:
    if operator in ("<", "<=") and len(args) >= 3:
        if is_logic(args[1]) and operator_of(args[1]) != "var" and not compiler.is_constant(args[1]):
            # The middle would be written twice, and twice again at every level below.
            raise NotExpressibleInSQLError("a computed middle in a between test has no SQL form")
        return and_(_pair(compiler, operator, args[0], args[1]), _pair(compiler, operator, args[1], args[2]))
    if len(args) < 2:
        args = [*args, None, None][:2]
    return _pair(compiler, operator, args[0], args[1])


def _pair(compiler: Compiler, operator: str, left_node: Any, right_node: Any) -> Condition:
    if _same_field(left_node, right_node):
        # A document's value compared with itself: objects and lists are the very same
        # one, and JSON holds no NaN, so only the operator decides.
        return sql_bool(operator in ("==", "===", "<=", ">="))
    left, right = compiler.operand(left_node), compiler.operand(right_node)
    if isinstance(left, Constant) and isinstance(right, Constant):
        return sql_bool(COMPARISONS[operator](left.value, right.value))
    if isinstance(left, StringArray) or isinstance(right, StringArray):
        raise NotExpressibleInSQLError("a list field can only be searched with 'in'")
    if isinstance(left, Value) and isinstance(right, Constant):
        return compare_value(operator, left, right.value)
    if isinstance(left, Constant) and isinstance(right, Value):
        return compare_value(FLIPPED[operator], right, left.value)
    raise NotExpressibleInSQLError("comparing two fields with each other has no SQL form yet")


def _in(compiler: Compiler, operator: str, args: list[Any]) -> Condition:
    needle = compiler.operand(args[0] if args else None)
    haystack = compiler.operand(args[1] if len(args) > 1 else None)
    if isinstance(needle, Constant) and isinstance(haystack, Constant):
        return sql_bool(truthy(WORKBENCH.apply({"in": [needle.value, haystack.value]})))
    if isinstance(haystack, StringArray) and isinstance(needle, Constant):
        if not isinstance(needle.value, str):
            return false()
        return sqlfuncs.json_array_has_text(haystack.column, literal(needle.value))
    if isinstance(haystack, Value) and isinstance(needle, Constant):
        fragment = js_string(check_literal(needle.value))
        # An empty text holds nothing, not even "" (json-logic-js tests the haystack first).
        return text_test(
            haystack, lambda text: and_(text != "", sqlfuncs.position_of(text, literal(fragment)) > 0)
        )
    if isinstance(needle, Value) and isinstance(haystack, Constant) and isinstance(haystack.value, list):
        # An object or list in the rule is never the very object a row holds.
        items = [check_literal(item) for item in haystack.value if not isinstance(item, list | dict)]
        return or_(false(), *(compare_value("===", needle, item) for item in items))
    raise NotExpressibleInSQLError("this use of 'in' has no SQL form")


def _missing(compiler: Compiler, operator: str, args: list[Any]) -> Condition:
    keys, need = _missing_keys(compiler, operator, args)
    missing = [_is_missing(compiler, key) for key in keys]
    any_missing = or_(false(), *missing)
    if operator == "missing":
        return any_missing
    if math.isnan(need) or need == math.inf:
        return any_missing  # `present >= need` is false: the missing keys come back
    if need <= 0:
        return false()  # at least zero are present: nothing comes back
    present = sum((case((m, 0), else_=1) for m in missing), literal(0))
    return and_(present < literal(need), any_missing)


def _missing_keys(compiler: Compiler, operator: str, args: list[Any]) -> tuple[list[str], float]:
    if operator == "missing_some":
        if len(args) < 2 or not isinstance(args[1], list):
            raise NotExpressibleInSQLError("missing_some needs a count and a list of fields")
        if not compiler.is_constant(args[0]):
            raise NotExpressibleInSQLError("missing_some needs a count written in the rule")
        need, keys = js_number(WORKBENCH.apply(args[0])), args[1]
    else:
        need, keys = 0.0, args[0] if args and isinstance(args[0], list) else args
    if not all(isinstance(key, str) for key in keys):
        raise NotExpressibleInSQLError("missing takes field names written out in the rule")
    return list(keys), need


def _is_missing(compiler: Compiler, key: str) -> Condition:
    operand = compiler.var(key)
    if isinstance(operand, Constant):
        return sql_bool(operand.value in (None, ""))
    if isinstance(operand, StringArray):
        return false()
    return any_kind(
        operand,
        lambda value, kind: text_of(value) == literal("") if kind == "string" else sql_bool(kind == "null"),
    )


def _text_extension(compiler: Compiler, operator: str, args: list[Any]) -> Condition:
    if len(args) < 2:
        return false()
    subject, argument = compiler.operand(args[0]), compiler.operand(args[1])
    if not isinstance(subject, Value) or not isinstance(argument, Constant):
        raise NotExpressibleInSQLError(f"{operator!r} needs a field first and a written value second")
    if not isinstance(argument.value, str):
        return false()
    return text_test(subject, _text_predicate(operator, argument.value))


def _text_predicate(operator: str, argument: str) -> Callable[[SqlExpr], Condition]:
    folded = ascii_lower(argument)
    size = len(argument)
    if operator == "contains":
        return lambda text: sqlfuncs.position_of(sqlfuncs.ascii_lower(text), literal(folded)) > 0
    if operator == "starts_with":
        return lambda text: func.substr(sqlfuncs.ascii_lower(text), 1, size) == folded
    if operator == "ends_with":
        return lambda text: and_(
            func.length(text) >= size,
            func.substr(sqlfuncs.ascii_lower(text), func.length(text) - size + 1) == folded,
        )
    if operator == "regex":
        try:
            pattern = check_pattern(argument)
        except PatternError:
            return lambda text: false()
        return lambda text: sqlfuncs.regex_match(text, literal(pattern))
    if not ISO_DATE.match(argument):
        return lambda text: false()
    day = argument[:10]
    iso = "^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    if operator == "date_before":
        return lambda text: and_(
            sqlfuncs.regex_match(text, literal(iso)), sqlfuncs.binary_text(func.substr(text, 1, 10)) < day
        )
    return lambda text: and_(
        sqlfuncs.regex_match(text, literal(iso)), sqlfuncs.binary_text(func.substr(text, 1, 10)) > day
    )


TEXT_EXTENSIONS = ("contains", "starts_with", "ends_with", "regex", "date_before", "date_after")
BOOLEAN_OPERATORS = frozenset({"!", "!!", "in", *COMPARISONS, *TEXT_EXTENSIONS})

OPERATORS: dict[str, OperatorCompiler] = {
    "var": _var,
    "!": _not,
    "!!": _not,
    "and": _and_or,
    "or": _and_or,
    "if": _if,
    "?:": _if,
    "in": _in,
    "missing": _missing,
    "missing_some": _missing,
    **dict.fromkeys(COMPARISONS, _compare),
    **dict.fromkeys(TEXT_EXTENSIONS, _text_extension),
}


def compile_operator(compiler: Compiler, operator: str, args: list[Any]) -> Condition:
    """SQL true exactly where `{operator: args}` evaluates to a truthy value."""
    return OPERATORS.get(operator, _unsupported)(compiler, operator, args)
