"""The day a document arrived, as the overview's "documents per day" counts it, and a batch's days.

Pure: the writers tally here the dates of the documents a statement inserted or deleted,
and add the tally to (or take it from) the arrivals table. A day is the calendar date in
UTC of the document's own date (`created_at`), not of the session's time zone, so every
writer, every connection and both stores file a document under the same day, and what
one writer adds for a day is exactly what a later one takes away for it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime

from superinsight.documents.record import in_utc


def arrival_day(moment: datetime) -> date:
    """The UTC date of a moment; a naive one is UTC already (SQLite returns times without offset)."""
    return in_utc(moment).date()


def tally(moments: Iterable[datetime]) -> Counter[date]:
    """How many of the moments fall on each day."""
    return Counter(map(arrival_day, moments))
