"""Why a rule matched a document, in words an analyst can check against the data."""

from __future__ import annotations

import json
from typing import Any

from superinsight.rules.extensions import WORKBENCH
from superinsight.rules.jsonlogic import get_var, is_logic, operator_of
from superinsight.rules.jsvalues import truthy

GROUPS = frozenset({"and", "or", "!", "!!"})


def _show(node: Any, data: Any) -> str:
    if is_logic(node) and operator_of(node) == "var":
        args = node["var"] if isinstance(node["var"], list) else [node["var"]]
        path = args[0] if args else ""
        value = get_var(data, path)
        shown = json.dumps(value, ensure_ascii=False, default=str)
        return f"{path} ({shown[:60]}{'…' if len(shown) > 60 else ''})"
    return json.dumps(node, ensure_ascii=False)[:80]


def explain(rule: Any, data: Any) -> list[str]:
    """One line per condition reached, marked ✓ where it held and ✗ where it did not."""
    if not is_logic(rule):
        return [f"{'✓' if truthy(rule) else '✗'} constant {json.dumps(rule)}"]
    operator = operator_of(rule)
    args = rule[operator] if isinstance(rule[operator], list) else [rule[operator]]
    if operator in GROUPS:
        lines = [f"{'✓' if truthy(WORKBENCH.apply(rule, data)) else '✗'} {operator}:"]
        for arg in args:
            lines.extend("  " + line for line in explain(arg, data))
        return lines
    held = truthy(WORKBENCH.apply(rule, data))
    parts = [_show(args[0], data) if args else "", operator, *(_show(arg, data) for arg in args[1:])]
    return [f"{'✓' if held else '✗'} {' '.join(parts).strip()}"]
