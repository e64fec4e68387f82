"""A document as it arrives (from a sync, an upload, an edit or the demo), its checks and its hash.

Pure: the writers, the sync mapping and the upload parsers all make and check
this one record type. A refused record raises `DocumentProblem` naming the field
and the reason; each caller says where the record was (a line, a position).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

MAX_EXTERNAL_ID = 255
MAX_TITLE = 1000
MAX_NESTING = 32
"""How deep JSON a person or a file supplies may nest: deeper is a mistake or an attack, and
spelling it (canonical JSON, a store's JSON functions) recurses once per level."""

_CANONICAL = json.JSONEncoder(
    sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str, allow_nan=False
)
_JSON_STRING: Callable[[str], str] = json.encoder.encode_basestring
_NUL_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


@dataclass(frozen=True)
class DocumentInput:
    external_id: str
    title: str
    content: str
    metadata: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    created_at: datetime | None = None


class DocumentProblem(ValueError):
    """Why a record cannot be stored: the field at fault and a sentence about it."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


def in_utc(moment: datetime) -> datetime:
    """A time as UTC (naive read as UTC): SQLite keeps no offset, so a time stored with one would move."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def canonical_json(value: Any) -> str:
    """One spelling of a value as JSON: sorted keys, no spaces, so equal values hash equal."""
    return _CANONICAL.encode(value)


def json_has_nul(text: str) -> bool:
    """Whether JSON text encodes a NUL character (an escape \\u0000 not itself escaped)."""
    return "\\u0000" in text and _NUL_ESCAPE.search(text) is not None


def content_hash(doc: DocumentInput) -> str:
    """Decides whether a re-synced document changed: same inputs, same hash, on any machine."""
    return hash_parts(doc.title, doc.content, canonical_json(doc.metadata), canonical_json(doc.tags))


def hash_parts(title: str, content: str, metadata_json: str, tags_json: str) -> str:
    """`content_hash` from metadata and tags already spelled by `canonical_json`.

    The text hashed is the canonical JSON object of all four fields; a sync that
    has the metadata's JSON anyway (to COPY it) does not spell it twice.
    """
    canonical = (
        f'{{"content":{_JSON_STRING(content)},"metadata":{metadata_json},'
        f'"tags":{tags_json},"title":{_JSON_STRING(title)}}}'
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def nested_deeper_than(value: Any, limit: int) -> bool:
    """Whether containers nest more than `limit` levels ({} is one level), found without recursing."""
    level: list[Any] = [value]
    for _ in range(limit):
        level = [
            item
            for container in level
            if isinstance(container, dict | list | tuple)
            for item in (container.values() if isinstance(container, dict) else container)
        ]
    return any(isinstance(item, dict | list | tuple) for item in level)


def _list_in(value: Any, path: str) -> str | None:
    """The first place a metadata value holds a list, if any."""
    if isinstance(value, list):
        return path
    if isinstance(value, dict):
        for key, item in value.items():
            found = _list_in(item, f"{path}.{key}")
            if found:
                return found
    return None


def _unreadable(parts: dict[str, str]) -> tuple[str, str] | None:
    """The first field holding a NUL or a lone surrogate, which neither store can keep, and which."""
    for name, text in parts.items():
        nul = json_has_nul(text) if name in ("metadata", "tags") else "\x00" in text
        if nul:
            return name, "text contains a NUL character"
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return name, "text is not valid Unicode (a lone surrogate)"
    return None


def check_document(
    doc: DocumentInput, *, metadata_json: str | None = None, tags_json: str | None = None
) -> tuple[str, str]:
    """Refuse a record that could not be stored or matched exactly by rules; its metadata and tags as JSON.

    Metadata holds scalars and nested objects, not lists: rules compare metadata
    inside the database, and a list has no single value to compare (lists of
    labels belong in tags). A caller that has spelled metadata and tags as JSON
    already passes that text, which is searched faster than the values.
    """
    if nested_deeper_than(doc.metadata, MAX_NESTING):
        raise DocumentProblem("metadata", f"metadata is nested deeper than {MAX_NESTING} levels")
    try:
        parts = {
            "external_id": doc.external_id,
            "title": doc.title,
            "content": doc.content,
            "metadata": canonical_json(doc.metadata) if metadata_json is None else metadata_json,
            "tags": canonical_json(doc.tags) if tags_json is None else tags_json,
        }
    except ValueError:
        raise DocumentProblem("metadata", "a number is NaN or infinite, which JSON cannot hold") from None
    if unreadable := _unreadable(parts):
        raise DocumentProblem(*unreadable)
    if listed := _list_in(doc.metadata, "metadata"):
        raise DocumentProblem("metadata", f"{listed} is a list; put labels in tags instead")
    if not doc.external_id or len(doc.external_id) > MAX_EXTERNAL_ID:
        raise DocumentProblem("external_id", f"external id must be 1 to {MAX_EXTERNAL_ID} characters")
    if len(doc.title) > MAX_TITLE:
        raise DocumentProblem("title", f"title is longer than {MAX_TITLE} characters")
    return parts["metadata"], parts["tags"]
