"""The five quality dimensions and how much each one's failures count against the overall score.

Shared by the checks (which dimension an issue belongs to, at what severity) and by the
score arithmetic (how a dimension's shortfall is weighed), so neither imports the other.
"""

from __future__ import annotations

DIMENSIONS = ("completeness", "validity", "uniqueness", "consistency", "timeliness")

# How much of a dimension's shortfall counts against the overall score, by the severity of its
# checks' issues: an error's failures count in full, a warning's at half, an info's at a tenth.
# A source whose every document repeats another (uniqueness, info) so loses at most 10 points of
# the overall score, where missing required fields (warning) cost up to 50. Critical counts as
# error: nothing costs more than every point a dimension's weight holds.
SEVERITY_WEIGHTS: dict[str, float] = {"info": 0.1, "warning": 0.5, "error": 1.0, "critical": 1.0}
# The severity of each dimension's checks: the issues scoring files carry it, and the score weighs it.
DIMENSION_SEVERITY: dict[str, str] = {
    "completeness": "warning",
    "validity": "warning",
    "uniqueness": "info",
    "consistency": "warning",
    "timeliness": "info",
}
