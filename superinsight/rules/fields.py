"""Which document fields a rule's condition reads.

A pattern among a rule's matches on a field the rule itself tests is the rule restated
("100% of matches have region = EMEA" for a rule on region = EMEA), not a finding.
"""

from __future__ import annotations

from typing import Any

from superinsight.rules.jsonlogic import is_logic, operator_of
from superinsight.rules.operators import in_item_scope


def fields_read(logic: Any) -> frozenset[str]:
    """The document fields named by `var` outside the scope of map/filter/all/some/none/reduce.

    Inside those operators' logic `var` names a field of the current item, not of the
    document; everything else (a collection, reduce's initial value, a `var`'s default)
    reads the document.
    """
    found: set[str] = set()
    stack: list[Any] = [logic]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not is_logic(node):
            continue
        operator = operator_of(node)
        args = node[operator] if isinstance(node[operator], list) else [node[operator]]
        if operator == "var":
            if args and isinstance(args[0], str) and args[0]:
                found.add(args[0])
            stack.extend(args[1:])
            continue
        if operator in ("missing", "missing_some"):
            # They read the fields they name (whether each is there): ["metadata.ssn"], or
            # missing_some's [count, ["a", "b"]].
            names = args[1] if operator == "missing_some" and len(args) > 1 else args
            listed = names if isinstance(names, list) else [names]
            found.update(name for name in listed if isinstance(name, str) and name)
            stack.extend(name for name in listed if not isinstance(name, str))
            continue
        stack.extend(arg for index, arg in enumerate(args) if not in_item_scope(operator, index))
    return frozenset(found)
