"""Writing rows out as CSV that is safe to open in a spreadsheet, a line at a time."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP's CSV
# injection guidance), also after leading blanks, which it skips: a leading apostrophe
# makes the cell plain text. Full-width and small forms count too: some spreadsheets read them so.
FORMULA_STARTS = (
    "=", "+", "-", "@", "\t", "\r", "\n",
    "\uff1d", "\uff0b", "\uff0d", "\uff20",  # full-width = + - @
    "\ufe66", "\ufe62", "\ufe63", "\ufe6b",  # small = + - @ (U+FE66, U+FE62, U+FE63, U+FE6B)
)  # fmt: skip
# Invisible characters a spreadsheet may skip before a formula, besides whitespace.
_INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060\u00ad"
# What any spreadsheet may take for the end of a cell or a line (its list separator is
# a comma, a semicolon, a tab or a pipe, by locale and import settings): quoted.
SEPARATORS = (
    ",",
    ";",
    "\t",
    "|",
    "\r",
    "\n",
    '"',
    "\x0b",
    "\x0c",
    "\x1c",
    "\x1d",
    "\x1e",
    "\x85",
    "\u2028",
    "\u2029",
)


def starts_a_formula(text: str) -> bool:
    return text.startswith(FORMULA_STARTS) or text.lstrip().lstrip(_INVISIBLE).lstrip().startswith(
        FORMULA_STARTS
    )


def safe_cell(value: Any) -> str:
    """A cell's text: numbers as they are, objects as JSON, text that could start a formula made plain."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    text = (
        json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
        if isinstance(value, dict | list)
        else str(value)
    )
    return "'" + text if starts_a_formula(text) else text


def quoted(cell: str) -> str:
    """The cell in quotes (its quotes doubled) when it holds a separator or blanks at either end."""
    if any(separator in cell for separator in SEPARATORS) or cell != cell.strip():
        return '"' + cell.replace('"', '""') + '"'
    return cell


def csv_line(cells: Sequence[Any]) -> str:
    return ",".join(quoted(safe_cell(cell)) for cell in cells) + "\r\n"


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The CSV one line at a time, so an export never holds all its rows in memory."""
    yield csv_line(header)
    for row in rows:
        yield csv_line(row)
