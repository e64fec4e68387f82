"""The authoring form's shape of a rule: groups of field conditions, to and from JSON Logic.

The form edits a small structure an analyst can read (field, operator, value,
joined by "all"/"any" within and across groups). It compiles to JSON Logic; a
saved rule opens in the form again when its JSON has this shape, and in the JSON
editor otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

Join = Literal["all", "any"]

# Form operator -> (JSON Logic operator, how the value is given)
OPERATORS: dict[str, tuple[str, str]] = {
    "equals": ("==", "value"),
    "does not equal": ("!=", "value"),
    "greater than": (">", "number"),
    "at least": (">=", "number"),
    "less than": ("<", "number"),
    "at most": ("<=", "number"),
    "contains": ("contains", "text"),
    "starts with": ("starts_with", "text"),
    "ends with": ("ends_with", "text"),
    "matches pattern": ("regex", "text"),
    "before date": ("date_before", "text"),
    "after date": ("date_after", "text"),
    "is one of": ("in", "list"),
    "has tag": ("in", "tag"),
    "is empty": ("!", "none"),
    "is not empty": ("!!", "none"),
}
_BY_JSON = {(json_op, kind): name for name, (json_op, kind) in OPERATORS.items()}
# The field a document's source is read from: a number, which the form offers by name.
SOURCE_FIELD = "source_id"


class BuilderError(ValueError):
    pass


@dataclass(frozen=True)
class Condition:
    field: str
    operator: str
    value: str = ""


@dataclass(frozen=True)
class Group:
    join: Join = "all"
    conditions: tuple[Condition, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Builder:
    join: Join = "all"
    groups: tuple[Group, ...] = field(default_factory=tuple)


def _source_ids(items: list[str], where: str) -> list[int]:
    """'Is one of' on the source: ids, compared as the numbers they are (text "3" never equals 3)."""
    if not all(item.isdigit() for item in items):
        raise BuilderError(f"{where}: pick the sources by name")
    return [int(item) for item in items]


def _value(kind: str, text: str, where: str) -> Any:
    if kind == "number":
        try:
            number = float(text)
        except ValueError:
            raise BuilderError(f"{where}: {text!r} is not a number") from None
        if not math.isfinite(number):
            raise BuilderError(f"{where}: {text!r} is not a finite number")
        return int(number) if number.is_integer() else number
    if kind == "list":
        items = [item.strip() for item in text.split(",") if item.strip()]
        if not items:
            raise BuilderError(f"{where}: list the values, separated by commas")
        return items
    if kind == "value":
        return _number_or_text(text)
    return text


def _number_or_text(text: str) -> Any:
    """An equals value typed as 42 means the number; anything else stays text."""
    try:
        number = float(text)
    except ValueError:
        return text
    if not math.isfinite(number) or text.strip() != text or not text:
        return text
    return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number


def condition_logic(condition: Condition, where: str) -> dict[str, Any]:
    if condition.operator not in OPERATORS:
        raise BuilderError(f"{where}: unknown operator {condition.operator!r}")
    if not condition.field:
        raise BuilderError(f"{where}: choose a field")
    json_op, kind = OPERATORS[condition.operator]
    field_ref = {"var": condition.field}
    if kind == "none":
        return {json_op: field_ref}
    if kind == "tag":
        return {"in": [condition.value, field_ref]}
    value = _value(kind, condition.value, where)
    if kind == "list" and condition.field == SOURCE_FIELD:
        value = _source_ids(value, where)
    return {json_op: [field_ref, value]}


def to_json_logic(builder: Builder) -> dict[str, Any]:
    groups = []
    for g, group in enumerate(builder.groups, start=1):
        parts = [
            condition_logic(c, f"group {g}, condition {i}") for i, c in enumerate(group.conditions, start=1)
        ]
        if parts:
            groups.append(parts[0] if len(parts) == 1 else {"and" if group.join == "all" else "or": parts})
    if not groups:
        raise BuilderError("add at least one condition")
    return groups[0] if len(groups) == 1 else {"and" if builder.join == "all" else "or": groups}


def _text_of(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        raise BuilderError("not a form value")
    return str(value)


def _condition_from(node: Any) -> Condition:
    if not isinstance(node, dict) or len(node) != 1:
        raise BuilderError("not a form condition")
    ((json_op, args),) = node.items()
    if json_op in ("!", "!!"):
        target = args[0] if isinstance(args, list) and len(args) == 1 else args
        if isinstance(target, dict) and set(target) == {"var"} and isinstance(target["var"], str):
            return Condition(target["var"], _BY_JSON[(json_op, "none")])
        raise BuilderError("not a form condition")
    if not isinstance(args, list) or len(args) != 2:
        raise BuilderError("not a form condition")
    left, right = args
    if (
        json_op == "in"
        and isinstance(left, str)
        and isinstance(right, dict)
        and set(right) == {"var"}
        and isinstance(right["var"], str)
    ):
        # The form offers "has tag" on any field, so any field reads back as it was written.
        return Condition(right["var"], "has tag", left)
    if not (isinstance(left, dict) and set(left) == {"var"} and isinstance(left["var"], str)):
        raise BuilderError("not a form condition")
    if (
        json_op == "in"
        and isinstance(right, list)
        and all(isinstance(x, str) and "," not in x for x in right)
    ):
        return Condition(left["var"], "is one of", ", ".join(right))
    if (
        json_op == "in"
        and left["var"] == SOURCE_FIELD
        and isinstance(right, list)
        and right
        and all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in right)
    ):
        return Condition(SOURCE_FIELD, "is one of", ", ".join(str(x) for x in right))
    for kind in ("number", "text", "value"):
        name = _BY_JSON.get((json_op, kind))
        if name is None:
            continue
        if kind == "number" and not (isinstance(right, int | float) and not isinstance(right, bool)):
            raise BuilderError("not a form condition")
        if kind == "text" and not isinstance(right, str):
            raise BuilderError("not a form condition")
        condition = Condition(left["var"], name, _text_of(right))
        if condition_logic(condition, "") != node:
            raise BuilderError("not a form condition")
        return condition
    raise BuilderError("not a form condition")


def _group_from(node: Any) -> Group:
    if isinstance(node, dict) and len(node) == 1 and next(iter(node)) in ("and", "or"):
        ((op, parts),) = node.items()
        if isinstance(parts, list) and parts:
            return Group("all" if op == "and" else "any", tuple(_condition_from(part) for part in parts))
    return Group("all", (_condition_from(node),))


def _one_group(body: Any) -> Builder | None:
    """An and/or of plain conditions: the form's one group of several conditions.

    The same JSON also comes from several one-condition groups under the same join, which
    mean exactly what one group means; reading it as one group is what the form saves most
    (conditions added to the first group), and saving it again gives the same JSON.
    """
    try:
        group = _group_from(body)
    except BuilderError:
        return None
    return Builder("all", (group,)) if len(group.conditions) > 1 else None


def from_json_logic(body: Any) -> Builder | None:
    """The form's structure for this rule, or None when it only fits the JSON editor.

    Groups come back as they were saved: a group of several conditions stays one group,
    and groups under an all/any keep their own joins.
    """
    try:
        if (single := _one_group(body)) is not None and to_json_logic(single) == body:
            return single
        if isinstance(body, dict) and len(body) == 1 and next(iter(body)) in ("and", "or"):
            ((op, parts),) = body.items()
            if isinstance(parts, list) and parts:
                try:
                    groups = tuple(_group_from(part) for part in parts)
                    builder = Builder("all" if op == "and" else "any", groups)
                    if to_json_logic(builder) == body:
                        return builder
                except BuilderError:
                    pass
        builder = Builder("all", (_group_from(body),))
        return builder if to_json_logic(builder) == body else None
    except BuilderError:
        return None
