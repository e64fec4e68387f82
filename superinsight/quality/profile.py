"""Proposing a source's expectations from a sample of its documents: a profile, then what nearly
every document already meets (an analyst accepts or edits the proposal)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from superinsight.quality.expectations import KEY, TYPES

MAX_ALLOWED = 12
SURE = 0.98


@dataclass(frozen=True)
class FieldProfile:
    """What a sample of documents holds in one metadata field."""

    key: str
    present: int
    kinds: Mapping[str, int]
    values: tuple[str, ...] | None
    low: float | None
    high: float | None


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object"


def profile(rows: list[Mapping[str, Any]]) -> list[FieldProfile]:
    """Null rates, types, distinct values and ranges of each top-level metadata field."""
    present: dict[str, int] = {}
    kinds: dict[str, dict[str, int]] = {}
    values: dict[str, set[str] | None] = {}
    bounds: dict[str, tuple[float, float]] = {}
    for metadata in rows:
        for key, value in metadata.items():
            if not KEY.match(key) or value is None or value == "":
                continue
            present[key] = present.get(key, 0) + 1
            kind = _kind(value)
            kinds.setdefault(key, {})[kind] = kinds.get(key, {}).get(kind, 0) + 1
            seen = values.setdefault(key, set())
            if seen is not None and kind == "string":
                seen.add(value)
                if len(seen) > MAX_ALLOWED:
                    values[key] = None
            if kind == "number" and math.isfinite(value):
                low, high = bounds.get(key, (value, value))
                bounds[key] = (min(low, value), max(high, value))
    return [
        FieldProfile(
            key,
            present[key],
            kinds[key],
            tuple(sorted(values[key] or ())) if values.get(key) is not None else None,
            bounds[key][0] if key in bounds else None,
            bounds[key][1] if key in bounds else None,
        )
        for key in sorted(present)
    ]


def suggest(documents: int, fields: list[FieldProfile]) -> dict[str, Any]:
    """Expectations the sample nearly always meets, in their stored form, for a person to accept.

    A field present in 98% of documents is suggested as required; a type held by
    98% of its values as its type; the observed range for numbers; and the set
    of values for text with at most 12 distinct values (given 20 documents or more).
    """
    suggested: dict[str, Any] = {"required": [], "types": {}, "ranges": {}, "allowed": {}}
    if documents == 0:
        return suggested
    for field_profile in fields:
        if field_profile.present >= SURE * documents:
            suggested["required"].append(field_profile.key)
        kind, count = max(field_profile.kinds.items(), key=lambda item: item[1])
        if kind in TYPES and count >= SURE * field_profile.present:
            suggested["types"][field_profile.key] = kind
        if kind == "number" and field_profile.low is not None and field_profile.high is not None:
            suggested["ranges"][field_profile.key] = [
                math.floor(field_profile.low),
                math.ceil(field_profile.high),
            ]
        if kind == "string" and field_profile.values and documents >= 20:
            suggested["allowed"][field_profile.key] = list(field_profile.values)
    return suggested
