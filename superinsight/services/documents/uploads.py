"""Uploaded files become documents: parsed, previewed with rejected rows, then imported."""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath

from superinsight.documents import record as document_record
from superinsight.documents.columns import TAGS_COLUMN
from superinsight.documents.files import FileProblem, Line, Record, csv_lines, jsonl_lines
from superinsight.documents.record import DocumentInput
from superinsight.resources import Resources
from superinsight.services.context import Actor, require
from superinsight.services.documents import sources
from superinsight.services.documents import writer as document_writer
from superinsight.services.documents.staging import WriteCounts
from superinsight.services.errors import InvalidInputError
from superinsight.services.inputs import unstorable

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000
UPLOAD_SOURCE = "Uploads"
_TAG_SEPARATORS = re.compile(r"[,;]")
TEXT_SUFFIXES = (".txt", ".md", ".markdown")


@dataclass(frozen=True)
class Rejected:
    line: int
    reason: str


@dataclass(frozen=True)
class ParsedUpload:
    documents: list[DocumentInput]
    rejected: list[Rejected] = field(default_factory=list)


def _text(name: str, data: bytes) -> str:
    if len(data) > MAX_BYTES:
        size = math.ceil(len(data) / 1024 / 1024 * 10) / 10  # rounded up: never "20.0 MB" over 20
        raise InvalidInputError(f"{name} is {size:,.1f} MB; the limit is {MAX_BYTES // (1024 * 1024)} MB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(
            f"{name} is not UTF-8 text (byte {exc.start} cannot be read); save it as UTF-8 and try again"
        ) from None


def _checked(doc: DocumentInput, line: int, seen: set[str], rejected: list[Rejected]) -> DocumentInput | None:
    try:
        document_record.check_document(doc)
    except document_record.DocumentProblem as problem:
        rejected.append(Rejected(line, str(problem)))
        return None
    if doc.external_id in seen:
        rejected.append(Rejected(line, f"id {doc.external_id!r} appears earlier in the file"))
        return None
    seen.add(doc.external_id)
    return doc


def _documents(
    name: str, lines: Iterator[Line], to_document: Callable[[Record], DocumentInput]
) -> ParsedUpload:
    """The upload's policy for bad lines: import the good ones, list the others with the reason."""
    parsed: list[DocumentInput] = []
    rejected: list[Rejected] = []
    seen: set[str] = set()
    try:
        for line in lines:
            if len(parsed) + len(rejected) >= MAX_ROWS:
                raise InvalidInputError(f"{name} has more than {MAX_ROWS:,} rows; split it")
            if line.record is None:
                rejected.append(Rejected(line.number, str(line.problem)))
                continue
            try:
                doc = to_document(line.record)
            except ValueError as exc:
                rejected.append(Rejected(line.number, str(exc)))
                continue
            if (checked := _checked(doc, line.number, seen, rejected)) is not None:
                parsed.append(checked)
    except FileProblem as exc:
        raise InvalidInputError(str(exc)) from None
    if rejected and not parsed:
        first = rejected[0]
        raise InvalidInputError(
            f"{name} has no line that is a document; first problem: line {first.line}: {first.reason}"
        )
    return ParsedUpload(parsed, rejected)


def csv_columns(name: str, data: bytes) -> list[str]:
    """The column names of an uploaded CSV file, read as the import will read them (quotes included)."""
    header = next(csv.reader(io.StringIO(_text(name, data), newline="")), [])
    if not [column for column in header if column.strip()]:
        raise InvalidInputError(f"{name} has no header row naming its columns")
    return header


def parse_csv(
    name: str, data: bytes, *, id_column: str, title_column: str, content_column: str
) -> ParsedUpload:
    """One document per row; the other columns become metadata."""
    text = _text(name, data)
    header = next(csv.reader(io.StringIO(text, newline="")), [])
    missing = [column for column in (id_column, title_column, content_column) if column not in header]
    if missing:
        raise InvalidInputError(f"{name} has no column {missing[0]!r}; its columns are {', '.join(header)}")
    named = (id_column, title_column, content_column, TAGS_COLUMN)

    def to_document(row: Record) -> DocumentInput:
        meta = {key: value for key, value in row.items() if key not in named}
        tags = [tag.strip() for tag in _TAG_SEPARATORS.split(row.get(TAGS_COLUMN) or "") if tag.strip()]
        return _titled(
            DocumentInput(row[id_column].strip(), row[title_column], row[content_column], meta, tags)
        )

    return _documents(name, csv_lines(text, name, strict=False), to_document)


def _from_json(item: Record) -> DocumentInput:
    external_id = item.get("external_id", item.get("id"))
    if not isinstance(external_id, str | int) or isinstance(external_id, bool):
        raise ValueError('needs an "external_id" (text or number)')
    metadata = item.get("metadata", {})
    tags = item.get("tags", [])
    if not isinstance(metadata, dict):
        raise ValueError('"metadata" must be an object')
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise ValueError('"tags" must be a list of texts')
    return _titled(
        DocumentInput(
            str(external_id), str(item.get("title", "")), str(item.get("content", "")), metadata, tags
        )
    )


def _titled(doc: DocumentInput) -> DocumentInput:
    """A document to list and find needs a title; a row without one is listed with that reason."""
    if not doc.title.strip():
        raise ValueError("the title is empty")
    return doc


def parse_jsonl(name: str, data: bytes) -> ParsedUpload:
    """One JSON object per line: external_id, title, content, metadata, tags."""
    return _documents(name, jsonl_lines(_text(name, data)), _from_json)


def parse_text(name: str, data: bytes) -> ParsedUpload:
    """A text or markdown file is one document; its first heading (or its name) is the title."""
    text = _text(name, data)
    if not text.strip():
        raise InvalidInputError(f"{name} is empty: there is nothing to import")
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    title = first.lstrip("#").strip() if first.startswith("#") else PurePath(name).stem
    doc = DocumentInput(PurePath(name).name, title[:1000], text)
    rejected: list[Rejected] = []
    checked = _checked(doc, 1, set(), rejected)
    return ParsedUpload([checked] if checked else [], rejected)


def parse(name: str, data: bytes, **csv_columns: str) -> ParsedUpload:
    suffix = PurePath(name).suffix.lower()
    if problem := unstorable(name):
        raise InvalidInputError(f"the file name {problem}")
    if suffix == ".csv":
        return parse_csv(name, data, **csv_columns)
    if suffix in (".jsonl", ".ndjson"):
        return parse_jsonl(name, data)
    if suffix in TEXT_SUFFIXES:
        return parse_text(name, data)
    raise InvalidInputError(f"{name}: upload .csv, .jsonl, .txt or .md files")


def import_documents(resources: Resources, actor: Actor, parsed: ParsedUpload) -> WriteCounts:
    """Store what parsing accepted, in the tenant's Uploads source."""
    require(actor, "documents.edit")
    if not parsed.documents:
        raise InvalidInputError("there is nothing to import")
    document_writer.validate(parsed.documents)  # before the Uploads source is made for a refused file
    source_id = sources.ensure_upload_source(resources, actor, UPLOAD_SOURCE)
    return document_writer.upsert_documents(
        resources, actor, source_id, parsed.documents, batch_size=len(parsed.documents)
    )
