"""What a source's documents are expected to hold: its checks, their thresholds and its weights.

Pure: the stored JSON is read here and anything malformed refused with where it is; each
check's label is the name issues and thresholds call it by. The service turns the checks
into SQL; `scores` turns what they counted into scores.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from superinsight.quality.dimensions import DIMENSIONS
from superinsight.quality.thresholds import Levels

TYPES = ("number", "string", "boolean")
KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
FieldType = Literal["number", "string", "boolean"]


class ExpectationError(ValueError):
    pass


@dataclass(frozen=True)
class CrossCheck:
    """A consistency check between two metadata fields.

    `requires`: when `left` holds a value, `right` must too. `not_after`: when
    both hold values, `left` is not greater than `right` (numbers by value, text
    such as ISO dates by its characters).
    """

    kind: Literal["requires", "not_after"]
    left: str
    right: str

    @property
    def name(self) -> str:
        return (
            f"{self.left} requires {self.right}" if self.kind == "requires" else f"{self.left} ≤ {self.right}"
        )


@dataclass(frozen=True)
class Expectations:
    """Per-source checks on metadata fields; every part is optional."""

    required: tuple[str, ...] = ()
    types: Mapping[str, FieldType] = field(default_factory=dict)
    ranges: Mapping[str, tuple[float | None, float | None]] = field(default_factory=dict)
    allowed: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    freshness_days: int | None = None
    consistency: tuple[CrossCheck, ...] = ()
    thresholds: Mapping[str, Levels] = field(default_factory=dict)

    @property
    def validity_checks(self) -> int:
        return len(self.types) + len(self.ranges) + len(self.allowed)


def _key(name: Any, where: str) -> str:
    if not isinstance(name, str) or not KEY.match(name):
        raise ExpectationError(f"{where}: {name!r} is not a metadata field name (letters, digits and _)")
    return name


def _number(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ExpectationError(f"{where}: bounds are numbers or null")
    return float(value)


def parse(raw: Mapping[str, Any]) -> Expectations:
    """Expectations from their stored JSON, refusing anything malformed with where it is."""
    unknown = set(raw) - {
        "required",
        "types",
        "ranges",
        "allowed",
        "freshness_days",
        "consistency",
        "thresholds",
    }
    if unknown:
        raise ExpectationError(f"unknown expectation(s): {', '.join(sorted(unknown))}")
    required = raw.get("required", [])
    if not isinstance(required, list):
        raise ExpectationError("required: a list of field names")
    types = raw.get("types", {})
    ranges = raw.get("ranges", {})
    allowed = raw.get("allowed", {})
    for name, part in (("types", types), ("ranges", ranges), ("allowed", allowed)):
        if not isinstance(part, dict):
            raise ExpectationError(f"{name}: an object from field name to its check")
    for key, kind in types.items():
        if kind not in TYPES:
            raise ExpectationError(f"types.{key}: one of {', '.join(TYPES)}")
    parsed_ranges: dict[str, tuple[float | None, float | None]] = {}
    for key, bounds in ranges.items():
        if not isinstance(bounds, list) or len(bounds) != 2:
            raise ExpectationError(f"ranges.{key}: [lowest, highest], either may be null")
        low, high = _number(bounds[0], f"ranges.{key}"), _number(bounds[1], f"ranges.{key}")
        if low is not None and high is not None and low > high:
            raise ExpectationError(f"ranges.{key}: the lowest value is above the highest")
        parsed_ranges[_key(key, "ranges")] = (low, high)
    parsed_allowed: dict[str, tuple[str, ...]] = {}
    for key, values in allowed.items():
        if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
            raise ExpectationError(f"allowed.{key}: a non-empty list of texts")
        parsed_allowed[_key(key, "allowed")] = tuple(values)
    freshness = raw.get("freshness_days")
    if freshness is not None and (
        isinstance(freshness, bool) or not isinstance(freshness, int) or freshness < 1
    ):
        raise ExpectationError("freshness_days: a whole number of days, 1 or more")
    parsed = Expectations(
        required=tuple(_key(name, "required") for name in required),
        types={_key(key, "types"): kind for key, kind in types.items()},
        ranges=parsed_ranges,
        allowed=parsed_allowed,
        freshness_days=freshness,
        consistency=_cross_checks(raw.get("consistency", [])),
    )
    return replace(parsed, thresholds=_thresholds(raw.get("thresholds", {}), check_labels(parsed)))


def _cross_checks(raw: Any) -> tuple[CrossCheck, ...]:
    if not isinstance(raw, list):
        raise ExpectationError('consistency: a list of checks such as {"when": "a", "require": "b"}')
    checks = []
    for position, item in enumerate(raw, start=1):
        where = f"consistency[{position}]"
        if isinstance(item, dict) and set(item) == {"when", "require"}:
            checks.append(CrossCheck("requires", _key(item["when"], where), _key(item["require"], where)))
        elif isinstance(item, dict) and set(item) == {"field", "not_after"}:
            checks.append(CrossCheck("not_after", _key(item["field"], where), _key(item["not_after"], where)))
        else:
            raise ExpectationError(
                f'{where}: {{"when": field, "require": field}} or {{"field": field, "not_after": field}}'
            )
    return tuple(checks)


def label_required(key: str) -> str:
    return f"{key} is required"


def label_type(key: str, kind: str) -> str:
    return f"{key} is a {kind}"


def _bound(value: float | None) -> str:
    return "any" if value is None else f"{value:g}"


def label_range(key: str, low: float | None, high: float | None) -> str:
    return f"{key} in [{_bound(low)}, {_bound(high)}]"


def label_allowed(key: str) -> str:
    return f"{key} is one of the allowed values"


def label_fresh(days: int) -> str:
    return f"newer than {days} days"


def check_labels(expectations: Expectations) -> list[str]:
    """The name of every check the expectations ask for, as issues and thresholds call them."""
    return [
        *(label_required(key) for key in expectations.required),
        *(label_type(key, kind) for key, kind in expectations.types.items()),
        *(label_range(key, low, high) for key, (low, high) in expectations.ranges.items()),
        *(label_allowed(key) for key in expectations.allowed),
        *(check.name for check in expectations.consistency),
        *([label_fresh(expectations.freshness_days)] if expectations.freshness_days else []),
    ]


def _level(value: Any, where: str) -> float | None:
    level = _number(value, where)
    if level is not None and not 0 <= level <= 100:
        raise ExpectationError(f"{where}: a score from 0 to 100")
    return level


def _thresholds(raw: Any, checks: list[str]) -> dict[str, Levels]:
    if not isinstance(raw, dict):
        raise ExpectationError('thresholds: an object from dimension (or overall) to {"warn": n, "fail": n}')
    parsed = {}
    for name, levels in raw.items():
        if name not in (*DIMENSIONS, "overall", *checks):
            raise ExpectationError(
                f"thresholds: {name!r} is not overall, a dimension ({', '.join(DIMENSIONS)}) "
                "or the name of a check, such as 'customer is required'"
            )
        if not isinstance(levels, dict) or not set(levels) <= {"warn", "fail"}:
            raise ExpectationError(f'thresholds.{name}: {{"warn": n, "fail": n}}')
        warn = _level(levels.get("warn"), f"thresholds.{name}.warn")
        fail = _level(levels.get("fail"), f"thresholds.{name}.fail")
        if warn is not None and fail is not None and fail > warn:
            raise ExpectationError(f"thresholds.{name}: fail must not be above warn")
        parsed[name] = Levels(warn, fail)
    return parsed


MAX_WEIGHT = 10.0


def parse_weights(raw: Mapping[str, Any]) -> dict[str, float]:
    """How much each dimension counts in the overall score (0 leaves it out; default 1)."""
    weights = {}
    for name, value in raw.items():
        if name not in DIMENSIONS:
            raise ExpectationError(f"weights: {name!r} is not one of {', '.join(DIMENSIONS)}")
        weight = _number(value, f"weights.{name}")
        if weight is None or not 0 <= weight <= MAX_WEIGHT:
            raise ExpectationError(f"weights.{name}: a number from 0 to {MAX_WEIGHT:g}")
        weights[name] = weight
    if weights and not any(weights.values()) and len(weights) == len(DIMENSIONS):
        raise ExpectationError("weights: at least one dimension must count")
    return weights
