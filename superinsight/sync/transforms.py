"""Per-record transformation steps: declarative, ordered, never code.

A job's steps are checked when saved (`parse_steps`) so a run never meets a
step it cannot perform; a record a step cannot handle (a cast of "abc" to a
number) raises `RecordError`, and the run counts it as an error and goes on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from superinsight import masking
from superinsight.rules.extensions import WORKBENCH
from superinsight.rules.jsonlogic import is_logic
from superinsight.rules.validation import RuleValidationError, validate_logic
from superinsight.vocabulary import TRANSFORMATION_TYPES

Record = dict[str, Any]
CAST_TYPES = ("int", "float", "str", "bool", "datetime", "date")
_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_ .\-]{0,127}$")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off", ""}


class StepError(ValueError):
    """A step's configuration is not usable; the message names the step."""


class RecordError(ValueError):
    """One record could not be transformed; the run skips it and counts an error."""


@dataclass(frozen=True)
class Step:
    kind: str
    field: str
    option: Any = None


def _field(position: int, config: Mapping[str, Any], key: str = "field") -> str:
    value = config.get(key)
    if not isinstance(value, str) or not _FIELD.match(value):
        raise StepError(f"step {position}: {key!r} must name a field (letters, digits, _ . - and spaces)")
    return value


def parse_step(position: int, kind: str, config: Mapping[str, Any]) -> Step:
    """A checked step; `position` (1-based) only makes the message point at the right step."""
    if kind not in TRANSFORMATION_TYPES:
        raise StepError(f"step {position}: type must be one of {', '.join(TRANSFORMATION_TYPES)}")
    name = _field(position, config)
    if kind == "rename":
        return Step(kind, name, _field(position, config, "to"))
    if kind == "cast":
        target = config.get("to")
        if target not in CAST_TYPES:
            raise StepError(f"step {position}: cast 'to' must be one of {', '.join(CAST_TYPES)}")
        return Step(kind, name, target)
    if kind == "default":
        if "value" not in config:
            raise StepError(f"step {position}: a default step needs a 'value'")
        return Step(kind, name, config["value"])
    if kind == "mask":
        method = config.get("method", "mask")
        if method not in masking.METHODS:
            raise StepError(f"step {position}: mask method must be one of {', '.join(masking.METHODS)}")
        return Step(kind, name, method)
    if kind == "template":
        template = config.get("template")
        if not isinstance(template, str) or not template or len(template) > 2000:
            raise StepError(f"step {position}: a template is text such as '{{first}} {{last}}'")
        return Step(kind, name, template)
    if kind == "computed":
        logic = config.get("logic")
        if not is_logic(logic) and not isinstance(logic, (str, int, float, bool)):
            raise StepError(f"step {position}: a computed field needs JSON Logic, e.g. {{'var': 'price'}}")
        try:
            validate_logic(logic)
        except RuleValidationError as exc:
            raise StepError(f"step {position}: {exc}") from None
        return Step(kind, name, logic)
    return Step(kind, name)


def parse_steps(raw: Sequence[Mapping[str, Any]]) -> list[Step]:
    """Steps from their stored form: [{"type": "trim", "field": "title"}, ...]."""
    return [parse_step(position, str(item.get("type")), item) for position, item in enumerate(raw, start=1)]


OPTION_KEYS = {
    "rename": "to",
    "cast": "to",
    "default": "value",
    "mask": "method",
    "template": "template",
    "computed": "logic",
}
"""Where each kind of step keeps its one option in the stored form."""


def step_config(step: Step) -> dict[str, Any]:
    """The stored form of a step (what `parse_steps` reads back)."""
    config: dict[str, Any] = {"type": step.kind, "field": step.field}
    if step.kind in OPTION_KEYS:
        config[OPTION_KEYS[step.kind]] = step.option
    return config


def _cast(value: Any, target: str) -> Any:
    if value is None:
        return None
    if target == "str":
        return value.isoformat() if isinstance(value, (datetime, date)) else str(value)
    if target == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        raise ValueError
    if target == "int":
        if isinstance(value, float) and not value.is_integer():
            raise ValueError
        return int(str(value).strip()) if isinstance(value, str) else int(value)
    if target == "float":
        return float(value)
    if target == "datetime":
        return value if isinstance(value, datetime) else datetime.fromisoformat(str(value).strip())
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value).strip())


def _template(template: str, record: Record) -> str:
    def fill(found: re.Match[str]) -> str:
        value = record.get(found.group(1))
        return "" if value is None else str(value)

    return _PLACEHOLDER.sub(fill, template)


def apply_step(step: Step, record: Record, key: bytes) -> Record:
    result = dict(record)
    value = result.get(step.field)
    if step.kind == "rename":
        if step.field in result:
            result[step.option] = result.pop(step.field)
    elif step.kind == "cast":
        try:
            result[step.field] = _cast(value, step.option)
        except (ValueError, TypeError, OverflowError):
            raise RecordError(f"{step.field}: cannot cast {str(value)[:40]!r} to {step.option}") from None
    elif step.kind == "trim":
        if isinstance(value, str):
            result[step.field] = value.strip()
    elif step.kind == "lowercase":
        if isinstance(value, str):
            result[step.field] = value.lower()
    elif step.kind == "default":
        if value is None or value == "":
            result[step.field] = step.option
    elif step.kind == "drop":
        result.pop(step.field, None)
    elif step.kind == "mask":
        result[step.field] = masking.hide(value, step.option, key)
    elif step.kind == "template":
        result[step.field] = _template(step.option, result)
    else:
        try:
            result[step.field] = WORKBENCH.apply(step.option, result)
        except Exception as exc:  # noqa: BLE001 - any evaluation failure is this record's error
            raise RecordError(f"{step.field}: the computed value failed: {exc}") from None
    return result


def apply_steps(steps: Sequence[Step], record: Record, key: bytes) -> Record:
    for step in steps:
        record = apply_step(step, record, key)
    return record
