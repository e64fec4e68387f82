"""A search's every match as CSV or JSON Lines, streamed page by page."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict
from typing import Literal

from superinsight.exports import csv_lines
from superinsight.resources import Resources
from superinsight.services.context import Actor
from superinsight.services.documents.search import Hit, SearchQuery, search

EXPORT_PAGE = 1000
EXPORT_COLUMNS = ("id", "source", "external_id", "title", "snippet", "tags", "created_at")


def _every_hit(resources: Resources, actor: Actor, query: SearchQuery) -> Iterator[Hit]:
    cursor = None
    while True:
        page = search(resources, actor, query, cursor=cursor, limit=EXPORT_PAGE)
        yield from page.hits
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def export(
    resources: Resources, actor: Actor, query: SearchQuery, fmt: Literal["csv", "jsonl"]
) -> Iterator[str]:
    """Every result of the search, masked as on screen, a page at a time (never all in memory)."""
    hits = _every_hit(resources, actor, query)
    if fmt == "csv":
        yield from csv_lines(
            EXPORT_COLUMNS,
            (
                (
                    h.id,
                    h.source,
                    h.external_id,
                    h.title,
                    h.snippet,
                    ",".join(h.tags),
                    h.created_at.isoformat(),
                )
                for h in hits
            ),
        )
        return
    for hit in hits:
        yield json.dumps({**asdict(hit), "created_at": hit.created_at.isoformat()}, ensure_ascii=False) + "\n"
