"""How long to wait before retrying a failed run: exponential backoff with full jitter.

Jitter spreads retries of many jobs that failed together (a source went down)
so they do not all hit the source again at the same second.
"""

from __future__ import annotations

import random

MAX_DELAY_SECONDS = 3600.0


def backoff_seconds(attempt: int, base_seconds: float, rng: random.Random | None = None) -> float:
    """Delay before attempt `attempt + 1`, given that attempt `attempt` (1-based) failed."""
    if attempt < 1:
        raise ValueError("attempts count from 1")
    ceiling = min(MAX_DELAY_SECONDS, base_seconds * 2 ** (attempt - 1))
    return (rng or random).uniform(ceiling / 2, ceiling)


def should_retry(attempt: int, max_retries: int) -> bool:
    """`max_retries` retries after the first attempt, so at most `max_retries + 1` attempts."""
    return attempt <= max_retries
