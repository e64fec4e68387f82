"""Keyset pages of a search: the order each sort means, and the link from a page to the next.

A page link holds the last row's sort key (its relevance or its date, and its
id), so page 10,000 costs what page 1 does. "Newest" is the document's own date
(from its source when the sync mapping names a date field), not when it arrived.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, literal, or_, tuple_

from superinsight.db.base import aware
from superinsight.db.models import Document
from superinsight.services.errors import InvalidInputError

_INVALID = "that page link is not valid; start the search again"


def order(score: ColumnElement[Any] | None, oldest_first: bool) -> list[ColumnElement[Any]]:
    """ORDER BY for relevance (a score) or for the documents' dates; the id settles ties."""
    if score is not None:
        return [score.desc(), Document.id.desc()]
    if oldest_first:
        return [Document.created_at.asc(), Document.id.asc()]
    return [Document.created_at.desc(), Document.id.desc()]


def after(cursor: str, score: ColumnElement[Any] | None, oldest_first: bool) -> ColumnElement[bool]:
    """The rows past the page that `cursor` ended, in the same order."""
    key, last_id = _decode(cursor)
    if score is not None:
        if not isinstance(key, int | float) or isinstance(key, bool):
            raise InvalidInputError(_INVALID)
        return or_(score < key, and_(score == key, Document.id < last_id))
    if not isinstance(key, str):
        raise InvalidInputError(_INVALID)
    try:
        when = datetime.fromisoformat(key)
    except ValueError:
        raise InvalidInputError(_INVALID) from None
    pair = tuple_(Document.created_at, Document.id)
    last = tuple_(literal(when, Document.created_at.type), literal(last_id, Document.id.type))
    return pair > last if oldest_first else pair < last


def next_cursor(score: float | None, created_at: datetime, document_id: int) -> str:
    """The link to the page after a row: its relevance when ranked, else its date."""
    key: Any = float(score) if score is not None else aware(created_at).isoformat()
    return base64.urlsafe_b64encode(json.dumps([key, document_id]).encode()).decode()


def _decode(cursor: str) -> tuple[Any, int]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, binascii.Error):
        raise InvalidInputError(_INVALID) from None
    if not (isinstance(values, list) and len(values) == 2 and type(values[1]) is int):
        raise InvalidInputError(_INVALID)
    return values[0], values[1]
