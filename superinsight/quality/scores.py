"""The score arithmetic: what a pass over a source's documents counted, as dimension scores,
and how those combine into the overall score by weight and severity.

Pure: the service counts with SQL aggregates and hands the tally here; pages explain an
overall score through the same `drivers` that compute it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from superinsight.quality.dimensions import DIMENSION_SEVERITY, SEVERITY_WEIGHTS
from superinsight.quality.expectations import Expectations


@dataclass(frozen=True)
class Driver:
    """One measured dimension's part in the overall score: what the page shows as its cause."""

    dimension: str
    score: float  # 0-100: the share of its checks the documents pass
    severity: str
    counts: float  # SEVERITY_WEIGHTS of that severity
    share: float  # the dimension's weight over the weights of every measured dimension
    lost: float  # points the overall score loses to it: share x counts x (100 - score)


def drivers(
    scores: Mapping[str, float | None],
    weights: Mapping[str, float] | None = None,
    severities: Mapping[str, str] = DIMENSION_SEVERITY,
) -> list[Driver]:
    """Each dimension that could be scored and counts (weight above 0), with the points it costs.

    A name without a severity counts in full, as an error does.
    """
    weights = weights or {}
    measured = [
        (name, score, float(weights.get(name, 1.0)))
        for name, score in scores.items()
        if score is not None and float(weights.get(name, 1.0)) > 0
    ]
    total = sum(weight for _, _, weight in measured)
    found = []
    for name, score, weight in measured:
        severity = severities.get(name, "error")
        counts = SEVERITY_WEIGHTS[severity]
        found.append(
            Driver(name, score, severity, counts, weight / total, weight / total * counts * (100 - score))
        )
    return found


def overall(
    scores: Mapping[str, float | None],
    weights: Mapping[str, float] | None = None,
    severities: Mapping[str, str] = DIMENSION_SEVERITY,
) -> float | None:
    """100 less every measured dimension's shortfall, weighed by its weight and its severity.

    With every dimension at severity error this is the weighted mean of the scores; a
    lighter severity makes the same failures cost less. None when nothing could be scored.
    """
    found = drivers(scores, weights, severities)
    if not found:
        return None
    return round(min(100.0, max(0.0, 100.0 - sum(driver.lost for driver in found))), 2)


def percent(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100.0 * part / whole, 2)


@dataclass(frozen=True)
class Tally:
    """What one pass over a source's documents counted, check by check."""

    total: int
    distinct: int  # documents whose title and text no other document repeats
    valid: int  # documents passing every validity check
    consistent: int  # documents passing every cross-field check
    fresh: int  # documents new enough
    present: tuple[int, ...] = ()  # per required field, the documents that have it


def dimension_scores(tally: Tally, expectations: Expectations) -> dict[str, float | None]:
    """Each dimension as a percentage, or None where the expectations give it nothing to measure."""
    present = tally.present
    return {
        "completeness": percent(sum(present), tally.total * len(present)) if present else None,
        "validity": percent(tally.valid, tally.total) if expectations.validity_checks else None,
        "uniqueness": percent(tally.distinct, tally.total),
        "consistency": percent(tally.consistent, tally.total) if expectations.consistency else None,
        "timeliness": percent(tally.fresh, tally.total) if expectations.freshness_days else None,
    }
