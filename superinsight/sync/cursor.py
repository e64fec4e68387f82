"""Where an incremental sync stopped: the last (cursor value, key) committed.

Records are read in (cursor, key) order and resumed strictly after the saved
pair, so rows sharing a cursor value across a batch boundary are neither
skipped nor read twice. Values keep their type through JSON (a timestamp comes
back as a timestamp), because the source compares them in its own types.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

Value = str | int | float | datetime | date | None


class Cursor(NamedTuple):
    """A position in a read; a tuple, because every record carries one."""

    value: Value
    key: Value = None


def _encode_value(value: Any) -> dict[str, Any]:
    if isinstance(value, datetime):
        return {"t": "datetime", "v": value.isoformat()}
    if isinstance(value, date):
        return {"t": "date", "v": value.isoformat()}
    if isinstance(value, Decimal):
        return {"t": "number", "v": str(value)}
    if isinstance(value, bool) or value is None or isinstance(value, (int, float, str)):
        return {"t": "json", "v": value}
    return {"t": "json", "v": str(value)}


def _decode_value(raw: dict[str, Any]) -> Value:
    kind, value = raw.get("t"), raw.get("v")
    if kind == "datetime":
        return datetime.fromisoformat(value)  # type: ignore[arg-type]
    if kind == "date":
        return date.fromisoformat(value)  # type: ignore[arg-type]
    if kind == "number":
        number = Decimal(value)  # type: ignore[arg-type]
        return int(number) if number == number.to_integral_value() else float(number)
    return value


def dumps(cursor: Cursor | None) -> str | None:
    if cursor is None:
        return None
    return json.dumps({"value": _encode_value(cursor.value), "key": _encode_value(cursor.key)})


def loads(text: str | None) -> Cursor | None:
    if not text:
        return None
    try:
        raw = json.loads(text)
        return Cursor(_decode_value(raw["value"]), _decode_value(raw["key"]))
    except (ValueError, KeyError, TypeError):
        raise ValueError(
            "the saved cursor is damaged; reset the job's cursor to read from the start"
        ) from None


def _shown(value: Value) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M" if value.second == 0 else "%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def describe(cursor: Cursor | None, cursor_field: str | None = None, key_field: str = "key") -> str:
    """The cursor as a person reads it in a run's history: what each part is, not a bare pair.

    A file source has no cursor field: its cursor is the file's modified time and
    a line (or, in a folder, a file); a source read by its key alone keeps only the key.
    """
    if cursor is None:
        return "from the start"
    if cursor_field is None and cursor.key is None:
        return f"{key_field} {_shown(cursor.value)}"
    if cursor_field is None:
        place = f"line {cursor.key}" if isinstance(cursor.key, int) else f"file {cursor.key}"
        return f"modified {_shown(cursor.value)}, {place}"
    return f"{cursor_field} {_shown(cursor.value)}, {key_field} {_shown(cursor.key)}"
