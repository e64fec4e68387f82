"""The rule language: JSON Logic with named extensions, validation and SQL compilation."""

from __future__ import annotations

from typing import Any

from superinsight.rules.jsonlogic import Evaluator, RuleError

_STANDARD = Evaluator()


def evaluate(rule: Any, data: Any = None) -> Any:
    """What JSON Logic returns for `rule` over `data` (standard operators only)."""
    return _STANDARD.apply(rule, data)


__all__ = ["Evaluator", "RuleError", "evaluate"]
