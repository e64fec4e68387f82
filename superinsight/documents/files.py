"""CSV and JSON Lines text read line by line: the one parser behind file sources and uploads.

Each line gives a record or the reason it cannot be one; what a bad line means
is the caller's policy. A sync source refuses the whole file before anything is
written (`records_or_refuse`); an upload imports the good lines and lists the
others. A file that cannot be read at all (no header, repeated columns, broken
quoting) raises `FileProblem` for both.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

Record = dict[str, Any]


class FileProblem(ValueError):
    """The file as a whole cannot be read; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Line:
    """One line of a file: a record, or the reason it is not one."""

    number: int
    record: Record | None = None
    problem: str | None = None


def csv_lines(text: str, name: str, delimiter: str = ",", *, strict: bool = True) -> Iterator[Line]:
    """Rows of a CSV text with a header; a row whose field count differs from the header's is a problem.

    `strict` refuses the file at a stray quote (a sync source must be exact); an upload
    reads on, as spreadsheets do, and the row is then judged by its field count.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=strict)
    try:
        header = next(reader, None)
        if not header or not any(column.strip() for column in header):
            raise FileProblem(f"{name}: the first line must name the columns")
        if len(set(header)) != len(header):
            raise FileProblem(f"{name}: column names repeat in the header")
        for row in reader:
            if not row:
                continue
            if len(row) != len(header):
                yield Line(reader.line_num, problem=f"has {len(row)} fields, the header has {len(header)}")
            else:
                yield Line(reader.line_num, dict(zip(header, row, strict=True)))
    except csv.Error as exc:
        raise FileProblem(f"{name}: line {reader.line_num} is not valid CSV ({exc})") from None


def jsonl_lines(text: str) -> Iterator[Line]:
    """One JSON object per non-blank line."""
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            value: Any = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield Line(number, problem=f"is not JSON ({exc.msg}, column {exc.colno})")
            continue
        except RecursionError:  # the decoder recurses once per level and has no depth limit of its own
            yield Line(number, problem="is nested too deep to read (hundreds of levels)")
            continue
        if isinstance(value, dict):
            yield Line(number, value)
        else:
            yield Line(number, problem="is not a JSON object")


def records_or_refuse(lines: Iterable[Line], name: str) -> list[Record]:
    """Every record, or FileProblem naming the first bad line: nothing is half read."""
    records: list[Record] = []
    for line in lines:
        if line.record is None:
            raise FileProblem(f"{name}: line {line.number} {line.problem}")
        records.append(line.record)
    return records
