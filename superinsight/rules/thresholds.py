"""Whether a validation rule's failures are acceptable, as data-quality tools decide it.

`mostly` is Great Expectations': the rule passes while at least that share of
documents do not match its failure condition. `warn_after` / `error_after` are
dbt's `warn_if` / `error_if` and Soda's alert levels: more failures than that
number warns or fails.

A rule with none of them set has no verdict (None): it finds documents, and matching
some is what it is for, not a warning. The page says "no thresholds" instead.
"""

from __future__ import annotations

from typing import Literal

Outcome = Literal["pass", "warn", "fail"]


def outcome(
    failures: int,
    total: int,
    *,
    mostly: float | None = None,
    warn_after: int | None = None,
    error_after: int | None = None,
) -> Outcome | None:
    if failures < 0 or total < failures:
        raise ValueError("failures must be between 0 and the number of documents")
    if mostly is None and warn_after is None and error_after is None:
        return None
    if error_after is not None and failures > error_after:
        return "fail"
    if mostly is not None and total > 0 and (total - failures) / total < mostly:
        return "fail"
    if warn_after is not None and failures > warn_after:
        return "warn"
    return "pass"
