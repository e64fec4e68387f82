"""Field mapping: which source field becomes a document's external id, title, content, tags, date, metadata.

Targets are `external_id`, `title`, `content`, `tags`, `created_at` (the
document's own date, so "newest" means newest at the source, not newest synced),
`metadata.<key>`, and `metadata.*` for "every field not mapped elsewhere". Values are made storable
here (timestamps as ISO text, decimals as numbers, lists in metadata as text)
so a record never fails later for its types.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Mapping as MappingType
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from superinsight.documents.record import DocumentInput
from superinsight.sync.transforms import Record, RecordError

FIXED_TARGETS = ("external_id", "title", "content", "tags", "created_at")
ALL_OTHERS = "metadata.*"
_METADATA_KEY = re.compile(r"^metadata\.[A-Za-z_][A-Za-z0-9_]{0,63}$")


class MappingError(ValueError):
    pass


def check(mapping: MappingType[str, str]) -> dict[str, str]:
    """A usable mapping {target: source field}; an external id is required to recognise a record again."""
    checked: dict[str, str] = {}
    for target, source in mapping.items():
        if target not in FIXED_TARGETS and target != ALL_OTHERS and not _METADATA_KEY.match(target):
            raise MappingError(
                f"{target!r} is not a target; use external_id, title, content, tags, created_at, "
                "metadata.<key> or metadata.*"
            )
        if target != ALL_OTHERS and (not isinstance(source, str) or not source.strip()):
            raise MappingError(f"choose the source field for {target}")
        checked[target] = source.strip() if isinstance(source, str) else ""
    if not checked.get("external_id"):
        raise MappingError(
            "map a source field to external_id (a primary key), so records are recognised again"
        )
    return checked


def storable(value: Any) -> Any:
    if value is None or type(value) in (str, int, float, bool):
        return value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        if not value.is_finite():  # NaN, sNaN, ±Infinity: a float the record check refuses, naming it
            return float("nan") if value.is_nan() else float(value)
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, (list, tuple)):
        return ", ".join(str(storable(item)) for item in value)
    if isinstance(value, dict):
        return {str(key): storable(item) for key, item in value.items()}
    return value


def _text(value: Any) -> str:
    if type(value) is str:
        return value
    value = storable(value)
    return "" if value is None else str(value)


def _tags(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    return [text for text in (_text(item).strip() for item in items) if text]


def document_date(field_name: str, value: Any) -> datetime | None:
    """A source's date or timestamp as an aware time: naive times are read as UTC, a day as its midnight.

    Text must be ISO 8601 (what databases, CSV exports and JSON APIs mostly write);
    anything else is a record error naming the field, never a silently wrong date.
    """
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise RecordError(
                f"{field_name}: {value[:40]!r} is not a date; "
                "use ISO 8601 such as 2026-03-04 or 2026-03-04T05:06:00Z"
            ) from None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime.combine(value, time.min, UTC)
    raise RecordError(f"{field_name}: {value!r} is not a date")


def compile_mapping(mapping: MappingType[str, str]) -> Callable[[Record], DocumentInput]:
    """The mapping as a function, with what does not change between records worked out once."""
    key = mapping["external_id"]
    title, content, tags = mapping.get("title"), mapping.get("content"), mapping.get("tags")
    dated = mapping.get("created_at")
    keep_rest = ALL_OTHERS in mapping
    used = frozenset(source for target, source in mapping.items() if target != ALL_OTHERS)
    named = [
        (target.removeprefix("metadata."), source)
        for target, source in mapping.items()
        if target.startswith("metadata.") and target != ALL_OTHERS
    ]

    def apply_to(record: Record) -> DocumentInput:
        external_id = _text(record.get(key)).strip()
        if not external_id:
            raise RecordError(f"{key}: the external id is empty")
        metadata = (
            {name: storable(value) for name, value in record.items() if name not in used} if keep_rest else {}
        )
        for name, source in named:
            metadata[name] = storable(record.get(source))
        return DocumentInput(
            external_id=external_id,
            title=_text(record.get(title)) if title else "",
            content=_text(record.get(content)) if content else "",
            metadata=metadata,
            tags=_tags(record.get(tags)) if tags else [],
            created_at=document_date(dated, record.get(dated)) if dated else None,
        )

    return apply_to


def apply(mapping: MappingType[str, str], record: Record) -> DocumentInput:
    return compile_mapping(mapping)(record)
