"""Refuses rules that are malformed, too big, or name things that do not exist.

Every problem names where it is (`and > 2 > ==`), so the authoring form can point
at the condition to fix. JSON Logic has no way to run code or SQL; what is left to
guard against is size, unknown operators and fields, wrong arity, nonsense types
and regular expressions that are invalid or could run forever.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any

from superinsight.rules.extensions import ISO_DATE, WORKBENCH, PatternError, check_pattern
from superinsight.rules.jsonlogic import RuleError, is_logic, operator_of
from superinsight.rules.operators import (
    ARITHMETIC,
    ARITY,
    COMPARISONS,
    RELATIONAL,
    TEXT_EXTENSIONS,
    UNBOUNDED,
    in_item_scope,
)
from superinsight.rules.sql import METADATA_KEY

MAX_DEPTH = 12
MAX_NODES = 300
MAX_JSON_CHARACTERS = 20_000


@dataclass(frozen=True)
class FieldCatalog:
    """The fields a rule may read, by kind; `metadata_keys=None` accepts any metadata key."""

    text: frozenset[str] = frozenset({"title", "content", "external_id"})
    numbers: frozenset[str] = frozenset({"source_id"})
    lists: frozenset[str] = frozenset({"tags"})
    # labels: label name -> how many annotations gave it (pulled from Label Studio).
    objects: frozenset[str] = frozenset({"metadata", "labels"})
    metadata_keys: frozenset[str] | None = None

    def kind(self, path: str) -> str | None:
        head, _, rest = path.partition(".")
        if rest:
            return "any" if head in self.objects else None
        for kind, names in (
            ("text", self.text),
            ("number", self.numbers),
            ("list", self.lists),
            ("object", self.objects),
        ):
            if head in names:
                return kind
        return None

    def names(self) -> list[str]:
        known = sorted(self.text | self.numbers | self.lists | self.objects)
        return known + sorted(f"metadata.{key}" for key in self.metadata_keys or ())


@dataclass(frozen=True)
class RuleProblem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class RuleValidationError(RuleError):
    def __init__(self, problems: list[RuleProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(problem) for problem in problems))


class _Checker:
    """Walks a rule; with no catalog any field name is accepted (records of a sync have any fields)."""

    def __init__(self, catalog: FieldCatalog | None) -> None:
        self.catalog = catalog
        self.problems: list[RuleProblem] = []
        self.nodes = 0

    def problem(self, where: list[str], message: str) -> None:
        self.problems.append(RuleProblem(" > ".join(where), message))

    def check(self, node: Any, where: list[str], depth: int, scoped: bool) -> None:
        self.nodes += 1
        if depth > MAX_DEPTH:
            self.problem(where, f"conditions may be nested at most {MAX_DEPTH} deep")
            return
        if isinstance(node, list):
            for index, item in enumerate(node, start=1):
                self.check(item, [*where, str(index)], depth + 1, scoped)
            return
        if not isinstance(node, dict):
            return
        if len(node) != 1:
            keys = ", ".join(map(repr, node)) or "none"
            self.problem(where, f"an operation has exactly one operator, found {keys}")
            return
        operator = operator_of(node)
        here = [*where, operator]
        if operator not in WORKBENCH.operators:
            close = difflib.get_close_matches(operator, sorted(WORKBENCH.operators), n=1)
            hint = f" — did you mean {close[0]!r}?" if close else ""
            self.problem(here, f"unknown operator {operator!r}{hint}")
            return
        args = node[operator] if isinstance(node[operator], list) else [node[operator]]
        low, high = ARITY[operator]
        if not low <= len(args) <= high:
            expected = (
                f"{low}" if low == high else f"{low} to {high}" if high < UNBOUNDED else f"at least {low}"
            )
            self.problem(here, f"takes {expected} argument(s), got {len(args)}")
            return
        if operator == "var":
            self.check_var(args, here, scoped)
            # A default (the second argument) is evaluated like any argument, against the document.
            for index, arg in enumerate(args[1:], start=2):
                self.check(arg, [*here, str(index)], depth + 1, scoped)
            return
        self.check_types(operator, args, here, scoped)
        for index, arg in enumerate(args, start=1):
            inner_scoped = scoped or in_item_scope(operator, index - 1)
            self.check(arg, [*here, str(index)], depth + 1, inner_scoped)

    def check_var(self, args: list[Any], where: list[str], scoped: bool) -> None:
        path = args[0] if args else ""
        if scoped or self.catalog is None:
            return
        if not isinstance(path, str):
            self.problem(where, 'a field name must be text, like "metadata.amount"')
            return
        if path == "":
            self.problem(where, "name a field: the whole document cannot be compared")
            return
        kind = self.catalog.kind(path)
        if kind is None:
            self.problem(where, _unknown_field(path, self.catalog.names()))
            return
        if kind == "any":
            keys = path.split(".")[1:]
            bad = [key for key in keys if not METADATA_KEY.match(key)]
            if bad:
                self.problem(where, f"field name {bad[0]!r} may only use letters, digits and _")
            elif (
                path.startswith("metadata.")
                and self.catalog.metadata_keys is not None
                and keys[0] not in self.catalog.metadata_keys
            ):
                self.problem(where, _unknown_field(path, self.catalog.names()))

    def field_kind(self, node: Any, scoped: bool) -> str | None:
        if scoped or self.catalog is None or not is_logic(node) or operator_of(node) != "var":
            return None
        args = node["var"] if isinstance(node["var"], list) else [node["var"]]
        return self.catalog.kind(args[0]) if args and isinstance(args[0], str) else None

    def check_types(self, operator: str, args: list[Any], where: list[str], scoped: bool) -> None:
        kinds = [self.field_kind(arg, scoped) for arg in args]
        literals = [arg for arg in args if not isinstance(arg, dict | list)]
        if "list" in kinds and operator in COMPARISONS | ARITHMETIC | TEXT_EXTENSIONS:
            self.problem(where, 'tags is a list: test it with {"in": ["a tag", {"var": "tags"}]}')
        if operator in RELATIONAL | ARITHMETIC:
            if "text" in kinds and any(_is_number(value) for value in literals):
                self.problem(
                    where,
                    "a text field is compared with a number; put the number in quotes or "
                    "use a metadata field that holds numbers",
                )
            if "number" in kinds and any(isinstance(value, str) for value in literals):
                self.problem(where, "a number field is compared with text")
        if operator in TEXT_EXTENSIONS:
            self.check_text_extension(operator, args, kinds, where)

    def check_text_extension(
        self, operator: str, args: list[Any], kinds: list[str | None], where: list[str]
    ) -> None:
        if kinds[0] in ("number", "object", "list"):
            self.problem(where, f"{operator} works on text; {kinds[0]} fields have none")
        argument = args[1]
        if not isinstance(argument, str):
            self.problem(where, f"{operator} needs text as its second argument")
        elif operator == "regex":
            try:
                check_pattern(argument)
            except PatternError as exc:
                self.problem(where, str(exc))
        elif operator.startswith("date_") and not ISO_DATE.match(argument):
            self.problem(where, f"{argument!r} is not a date written as YYYY-MM-DD")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_size(rule: Any) -> None:
    try:
        size = len(json.dumps(rule))
    except RecursionError:
        raise RuleValidationError(
            [RuleProblem("", f"a rule may be nested at most {MAX_DEPTH} deep")]
        ) from None
    except (TypeError, ValueError):
        raise RuleValidationError([RuleProblem("", "a rule must be plain JSON")]) from None
    if size > MAX_JSON_CHARACTERS:
        raise RuleValidationError(
            [RuleProblem("", f"a rule may be at most {MAX_JSON_CHARACTERS:,} characters")]
        )


def _run(rule: Any, catalog: FieldCatalog | None) -> None:
    checker = _Checker(catalog)
    checker.check(rule, [], 1, scoped=False)
    if checker.nodes > MAX_NODES:
        checker.problems.append(RuleProblem("", f"a rule may have at most {MAX_NODES} parts"))
    if checker.problems:
        raise RuleValidationError(checker.problems)


def validate_rule(rule: Any, catalog: FieldCatalog | None = None) -> None:
    """Raise `RuleValidationError` listing every problem, or return if the rule is sound.

    What a rule may cost is bounded here: at most MAX_JSON_CHARACTERS of JSON,
    MAX_NODES parts nested MAX_DEPTH deep, regex patterns in the portable dialect
    (linear-time, bounded repetition); evaluation has its own budget on top.
    """
    _check_size(rule)
    if not isinstance(rule, dict):
        raise RuleValidationError(
            [RuleProblem("", 'a rule is one condition object, like {"==": [{"var": "title"}, "x"]}')]
        )
    _run(rule, catalog or FieldCatalog())


def validate_logic(logic: Any) -> None:
    """The same checks for JSON Logic over records with any fields (a sync's computed step).

    Operators, arity, nesting, size and regex patterns are checked as for rules;
    field names are not, and a plain value (text, a number) is valid logic.
    """
    _check_size(logic)
    _run(logic, None)


def _unknown_field(path: str, names: list[str]) -> str:
    close = difflib.get_close_matches(path, names, n=1, cutoff=0.6)
    hint = f" — did you mean {close[0]!r}?" if close else ""
    return f"unknown field {path!r}{hint}"
