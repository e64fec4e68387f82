"""What every connector offers a sync run: a connection test, the fields it sees, and ordered reads.

Every record comes with its position, a `Cursor` that only grows along the
read. A run saves the position of the last record of each committed batch and
resumes strictly after it, which is what makes a re-run after a crash free of
both gaps and duplicates.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice
from typing import Any, NamedTuple, Protocol

from superinsight.sync.cursor import Cursor
from superinsight.sync.transforms import Record

SAMPLE_SIZE = 20


class SourceError(Exception):
    """The source could not be reached or read; the message says what failed and what to check."""


@dataclass(frozen=True)
class ReadSpec:
    key_field: str
    cursor_field: str | None = None
    since: Cursor | None = None


class SourceRecord(NamedTuple):
    """A record and where it sits in the read (a tuple: a sync makes a million of them)."""

    data: Record
    position: Cursor
    changed_at: datetime | None = None


class Connector(Protocol):
    def test(self) -> str:
        """A one-line summary of what was reached; raises SourceError saying what failed."""
        ...

    def sample(self, limit: int = SAMPLE_SIZE) -> list[Record]: ...

    def count(self, spec: ReadSpec) -> int | None:
        """How many records `read` will yield, when the source can tell cheaply."""
        ...

    def read(self, spec: ReadSpec, batch_size: int) -> Iterator[list[SourceRecord]]: ...


def _rank(value: Any) -> tuple[int, Any]:
    """Orders mixed values: missing first, then numbers, then timestamps, then text."""
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, (int, float)):
        return (1, value)
    if isinstance(value, datetime):
        return (2, value.isoformat() if value.tzinfo is None else value.timestamp())
    if isinstance(value, date):
        return (2, value.isoformat())
    return (3, str(value))


def order_key(cursor: Cursor) -> tuple[tuple[int, Any], tuple[int, Any]]:
    return (_rank(cursor.value), _rank(cursor.key))


def after(records: Iterable[SourceRecord], since: Cursor | None) -> list[SourceRecord]:
    """Records strictly past `since`, in position order (for sources that cannot filter themselves)."""
    ordered = sorted(records, key=lambda record: order_key(record.position))
    if since is None:
        return ordered
    start = order_key(since)
    return [record for record in ordered if order_key(record.position) > start]


def in_batches(records: Iterable[SourceRecord], size: int) -> Iterator[list[SourceRecord]]:
    iterator = iter(records)
    while batch := list(islice(iterator, size)):
        yield batch


def position_of(record: Record, spec: ReadSpec) -> Cursor:
    if spec.cursor_field is None:
        return Cursor(record.get(spec.key_field))
    return Cursor(record.get(spec.cursor_field), record.get(spec.key_field))


def changed_at(position: Cursor) -> datetime | None:
    return position.value if isinstance(position.value, datetime) else None
