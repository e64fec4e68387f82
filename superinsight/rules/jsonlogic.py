"""JSON Logic evaluation with the semantics of the reference implementation, json-logic-js 2.0.5.

JSON Logic is defined by json-logic-js, so its answers follow JavaScript: loose
`==`, truthiness where `[]` and `""` are false, `+` and `*` that read their
arguments with parseFloat and add left to right, division by zero giving
Infinity, minus zero. This module reproduces that in plain Python; it is the
reference semantics the SQL compiler is checked against, and a differential test
runs it against json-logic-js itself. The deliberate differences, each for a reason:

- Text is read as a number (`==`, `<`, `-`, `/`, `%`, `min`, ...) only when it is
  decimal and at most 30 characters with a two-digit exponent: "0x10", "0b1",
  "0o7", "Infinity" are not numbers here. Both databases must read text the same
  way, and neither can parse those portably.
- Text is a sequence of Unicode characters, not of UTF-16 units: order, `substr`
  and `length` count a character beyond U+FFFF once, as the databases do.
- `var` reads a document's own fields, the `length` of text and lists and their
  indices (`0`, `1`, ... spelled as JavaScript spells them), never JavaScript's
  built-in properties such as `constructor` or `__proto__`.
- A missing argument reads as null where JavaScript reads undefined (validation
  refuses rules with missing arguments anyway), and `log` prints nothing.
- Every evaluation has a budget (steps, nesting depth, the size of texts and
  lists it builds): past it, `RuleError` says so instead of running out of memory.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from superinsight.rules.jsvalues import UNDEFINED, RuleError, js_less_equal, js_number, js_string, truthy
from superinsight.rules.operations import OPERATIONS, Operation

Data = Any
Rule = Any

MAX_STEPS = 200_000
MAX_DEPTH = 100
MAX_LIST = 100_000
MAX_TEXT_RESULT = 1_000_000


def is_logic(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1


def operator_of(rule: dict[str, Any]) -> str:
    return next(iter(rule))


def _args(rule: dict[str, Any]) -> list[Any]:
    values = rule[operator_of(rule)]
    return list(values) if isinstance(values, list) else [values]


def _canonical_index(key: str) -> int | None:
    """An array index as JavaScript reads a property name: "1" is one, "01", " 1", "+1", "1_0" are not."""
    if not key.isascii() or not key.isdigit() or (len(key) > 1 and key[0] == "0"):
        return None
    return int(key)


def _property(value: Any, key: str) -> Any:
    if isinstance(value, Mapping):
        return value.get(key, UNDEFINED)
    if isinstance(value, list | str):
        if key == "length":
            return len(value)
        index = _canonical_index(key)
        return value[index] if index is not None and index < len(value) else UNDEFINED
    return UNDEFINED


def get_var(data: Data, path: Any, default: Any = None) -> Any:
    """`var` lookup: dotted paths through objects, arrays and text; null, "" or nothing for all the data.

    A present null is returned as null; only a path that leads nowhere gives the default.
    """
    if path is None or path is UNDEFINED or (isinstance(path, str) and path == ""):
        return data
    current = data
    for part in js_string(path).split("."):
        if current is None:
            return default
        current = _property(current, part)
        if current is UNDEFINED:
            return default
    return current


def _var(data: Data, args: list[Any]) -> Any:
    return get_var(data, args[0] if args else None, args[1] if len(args) > 1 else None)


def _present_count(options: Any, missing: list[Any]) -> float:
    """`options.length - missing.length` in JavaScript."""
    if options is None:
        raise RuleError("missing_some needs a list of fields, not null")
    if isinstance(options, list | str):
        return len(options) - len(missing)
    size = options.get("length", UNDEFINED) if isinstance(options, dict) else UNDEFINED
    return js_number(size) - len(missing)


DATA_OPERATIONS: dict[str, Callable[[Data, list[Any]], Any]] = {
    "var": _var,
}

CONTROL_OPERATORS = frozenset({"if", "?:", "and", "or", "filter", "map", "reduce", "all", "none", "some"})


class _Budget:
    """What one evaluation may still spend."""

    def __init__(self) -> None:
        self.steps = MAX_STEPS

    def step(self) -> None:
        self.steps -= 1
        if self.steps < 0:
            raise RuleError(f"the rule takes more than {MAX_STEPS:,} steps on this document")


def _checked_size(operator: str, value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_TEXT_RESULT:
        raise RuleError(f"{operator!r} would build a text of more than {MAX_TEXT_RESULT:,} characters")
    if isinstance(value, list) and len(value) > MAX_LIST:
        raise RuleError(f"{operator!r} would build a list of more than {MAX_LIST:,} items")
    return value


class Evaluator:
    """An evaluator with a set of extra named operators on top of standard JSON Logic."""

    def __init__(self, extensions: Mapping[str, Operation] | None = None) -> None:
        self.operations = {**OPERATIONS, **(extensions or {})}

    @property
    def operators(self) -> frozenset[str]:
        data_operators = {*DATA_OPERATIONS, "missing", "missing_some"}
        return frozenset(self.operations) | frozenset(data_operators) | CONTROL_OPERATORS

    def apply(self, rule: Rule, data: Data = None) -> Any:
        """The rule's value over the data; `RuleError` when it cannot be computed within the budget."""
        try:
            return self._apply(rule, data, _Budget(), 0)
        except RecursionError:
            raise RuleError("the rule or the document is nested too deeply to evaluate") from None
        except (ValueError, OverflowError, TypeError, MemoryError) as exc:
            if isinstance(exc, RuleError):
                raise
            raise RuleError(f"the rule cannot be evaluated: {exc}") from None

    def _apply(self, rule: Rule, data: Data, budget: _Budget, depth: int) -> Any:
        budget.step()
        if depth > MAX_DEPTH:
            raise RuleError(f"a rule may be nested at most {MAX_DEPTH} deep")
        if isinstance(rule, list):
            return [self._apply(item, data, budget, depth + 1) for item in rule]
        if not is_logic(rule):
            return rule
        operator = operator_of(rule)
        args = _args(rule)
        if operator in CONTROL_OPERATORS:
            return _checked_size(operator, self._control(operator, args, data, budget, depth + 1))
        values = [self._apply(arg, data, budget, depth + 1) for arg in args]
        if operator == "missing":
            return self._missing(values, data, budget, depth + 1)
        if operator == "missing_some":
            # As json-logic-js does: the options go through `missing` as a rule of their own.
            need, options = [*values, None, None][:2]
            missing = self._apply({"missing": options}, data, budget, depth + 1)
            if not isinstance(missing, list):
                raise RuleError("missing_some: its options did not give a list of missing fields")
            return [] if js_less_equal(need, _present_count(options, missing)) else missing
        if operator in DATA_OPERATIONS:
            return DATA_OPERATIONS[operator](data, values)
        if operator not in self.operations:
            raise RuleError(f"unknown operator {operator!r}")
        try:
            return _checked_size(operator, self.operations[operator](values))
        except IndexError:
            raise RuleError(f"operator {operator!r} is missing arguments") from None

    def _missing(self, args: list[Any], data: Data, budget: _Budget, depth: int) -> list[Any]:
        """The keys whose value is null or "", each read as json-logic-js does: by the rule {"var": key}."""
        keys = args[0] if args and isinstance(args[0], list) else args
        missing = []
        for key in keys:
            value = self._apply({"var": key}, data, budget, depth)
            if value is None or (isinstance(value, str) and value == ""):
                missing.append(key)
        return missing

    def _control(self, operator: str, args: list[Any], data: Data, budget: _Budget, depth: int) -> Any:
        def apply(rule: Rule, scope: Data) -> Any:
            return self._apply(rule, scope, budget, depth)

        if operator in ("if", "?:"):
            for i in range(0, len(args) - 1, 2):
                if truthy(apply(args[i], data)):
                    return apply(args[i + 1], data)
            return apply(args[-1], data) if len(args) % 2 == 1 else None
        if operator in ("and", "or"):
            value = None
            for arg in args:
                value = apply(arg, data)
                if truthy(value) == (operator == "or"):
                    return value
            return value
        items = apply(args[0], data) if args else None
        logic = args[1] if len(args) > 1 else None
        if operator == "reduce":
            accumulator = apply(args[2], data) if len(args) > 2 else None
            for item in items if isinstance(items, list) else []:
                accumulator = apply(logic, {"current": item, "accumulator": accumulator})
                _checked_size(operator, accumulator)
            return accumulator
        items = items if isinstance(items, list) else []
        if operator == "filter":
            return [item for item in items if truthy(apply(logic, item))]
        if operator == "map":
            return [apply(logic, item) for item in items]
        if operator == "all":
            return bool(items) and all(truthy(apply(logic, item)) for item in items)
        if operator == "some":
            return any(truthy(apply(logic, item)) for item in items)
        return not any(truthy(apply(logic, item)) for item in items)  # none


__all__ = ["UNDEFINED", "Evaluator", "RuleError", "get_var", "is_logic", "operator_of"]
