"""What each operator of the rule language takes: how many arguments, of which family, and
which of them are read against each item of a list rather than against the document.

Validation checks rules against it, and `fields.fields_read` uses the same scopes to say
which document fields a rule reads (what the masking check relies on).
"""

from __future__ import annotations

UNBOUNDED = 10_000

ARITY: dict[str, tuple[int, int]] = {
    "var": (0, 2),
    "missing": (1, UNBOUNDED),
    "missing_some": (2, 2),
    "if": (1, UNBOUNDED),
    "?:": (3, 3),
    "==": (2, 2),
    "!=": (2, 2),
    "===": (2, 2),
    "!==": (2, 2),
    ">": (2, 2),
    ">=": (2, 2),
    "<": (2, 3),
    "<=": (2, 3),
    "!": (1, 1),
    "!!": (1, 1),
    "and": (1, UNBOUNDED),
    "or": (1, UNBOUNDED),
    "%": (2, 2),
    "/": (2, 2),
    "-": (1, 2),
    "+": (1, UNBOUNDED),
    "*": (1, UNBOUNDED),
    "min": (1, UNBOUNDED),
    "max": (1, UNBOUNDED),
    "cat": (1, UNBOUNDED),
    "substr": (2, 3),
    "in": (2, 2),
    "merge": (0, UNBOUNDED),
    "map": (2, 2),
    "filter": (2, 2),
    "all": (2, 2),
    "none": (2, 2),
    "some": (2, 2),
    "reduce": (2, 3),
    "log": (1, 1),
    "contains": (2, 2),
    "starts_with": (2, 2),
    "ends_with": (2, 2),
    "regex": (2, 2),
    "date_before": (2, 2),
    "date_after": (2, 2),
}
SCOPED = frozenset({"map", "filter", "all", "none", "some", "reduce"})


def in_item_scope(operator: str, index: int) -> bool:
    """Whether argument `index` (from 0) is evaluated against each item rather than the document:
    the logic of map/filter/all/some/none/reduce. Their collection, and reduce's initial value
    (its third argument), read the document like any other argument."""
    return operator in SCOPED and index == 1


RELATIONAL = frozenset({"<", "<=", ">", ">="})
COMPARISONS = RELATIONAL | {"==", "!=", "===", "!=="}
ARITHMETIC = frozenset({"+", "-", "*", "/", "%", "min", "max"})
TEXT_EXTENSIONS = frozenset({"contains", "starts_with", "ends_with", "regex", "date_before", "date_after"})
