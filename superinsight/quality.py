"""What a source's documents are expected to look like, and how dimension scores combine.

Pure: expectations are read and checked here; the service turns them into SQL.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

DIMENSIONS = ("completeness", "validity", "uniqueness", "consistency", "timeliness")
TYPES = ("number", "string", "boolean")
KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
FieldType = Literal["number", "string", "boolean"]


class ExpectationError(ValueError):
    pass


@dataclass(frozen=True)
class Expectations:
    """Per-source checks on metadata fields; every part is optional."""

    required: tuple[str, ...] = ()
    types: Mapping[str, FieldType] = field(default_factory=dict)
    ranges: Mapping[str, tuple[float | None, float | None]] = field(default_factory=dict)
    allowed: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    freshness_days: int | None = None

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
    unknown = set(raw) - {"required", "types", "ranges", "allowed", "freshness_days"}
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
    return Expectations(
        required=tuple(_key(name, "required") for name in required),
        types={_key(key, "types"): kind for key, kind in types.items()},
        ranges=parsed_ranges,
        allowed=parsed_allowed,
        freshness_days=freshness,
    )


def overall(scores: Mapping[str, float | None], weights: Mapping[str, float] | None = None) -> float | None:
    """Weighted mean of the dimensions that could be scored (weights default to equal)."""
    weights = weights or {}
    scored = [(score, float(weights.get(name, 1.0))) for name, score in scores.items() if score is not None]
    total = sum(weight for _, weight in scored)
    if not scored or total <= 0:
        return None
    return round(sum(score * weight for score, weight in scored) / total, 2)


def percent(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100.0 * part / whole, 2)
