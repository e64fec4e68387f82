"""Deciding a conflict: a document edited in the workbench whose record also changed at the source.

The decision is pure; the sync run records both versions whatever it decides,
so nothing is lost even when one side wins automatically.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from superinsight.vocabulary import CONFLICT_STRATEGIES

Decision = Literal["take_source", "keep_workbench", "ask"]


def decide(strategy: str, source_changed_at: datetime, workbench_edited_at: datetime) -> Decision:
    """What to do with one conflict. On a tie under newest-wins the source wins: it is the record of truth."""
    if strategy == "source_wins":
        return "take_source"
    if strategy == "workbench_wins":
        return "keep_workbench"
    if strategy == "newest_wins":
        return "keep_workbench" if workbench_edited_at > source_changed_at else "take_source"
    if strategy == "manual":
        return "ask"
    raise ValueError(f"conflict strategy must be one of {', '.join(CONFLICT_STRATEGIES)}")
