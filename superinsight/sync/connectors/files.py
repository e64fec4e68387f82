"""CSV and JSON Lines files, and folders of text or markdown files, under the workbench's files root.

Paths are relative to `FILES_ROOT` and may not leave it (no `..`, no symlink
out), so a data source cannot be pointed at the server's own files. A file is
parsed whole before the first record is handed over: a malformed line anywhere
refuses the file before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from superinsight.documents.files import FileProblem, csv_lines, jsonl_lines, records_or_refuse
from superinsight.sync.connectors.base import (
    ReadSpec,
    SourceError,
    SourceRecord,
    after,
    changed_at,
    in_batches,
    position_of,
)
from superinsight.sync.cursor import Cursor
from superinsight.sync.transforms import Record

FOLDER_SUFFIXES = (".txt", ".md", ".markdown")
_TENANT_FOLDER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,62}")
MAX_FILE_BYTES = 2 * 1024**3


def tenant_folder(files_root: Path, tenant_id: str) -> Path:
    """The one folder under the files root a workspace's file sources may read: its own."""
    if not _TENANT_FOLDER.fullmatch(tenant_id):
        raise SourceError(f"the workspace name {tenant_id!r} cannot name a files folder")
    return files_root / tenant_id


def resolve_inside(root: Path, relative: str) -> Path:
    """The path inside `root`, or a SourceError saying that it is not."""
    if not relative or "\x00" in relative:
        raise SourceError("give a path relative to the files folder")
    base = root.resolve()
    path = (base / relative).resolve()
    if not path.is_relative_to(base):
        raise SourceError(f"files must be inside the files folder of this workspace; {relative!r} is not")
    return path


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)


def _read_text(path: Path) -> str:
    if not path.is_file():
        raise SourceError(f"{path.name} does not exist or is not a file")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise SourceError(f"{path.name} is larger than {MAX_FILE_BYTES // 1024**3} GB")
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(f"{path.name} is not UTF-8 text (byte {exc.start})") from None


class FileConnector:
    """One CSV or JSON Lines file. Without a cursor field, positions are (modified time, line)."""

    def __init__(self, root: Path, config: dict[str, Any], kind: str) -> None:
        self._path = resolve_inside(root, str(config.get("path", "")))
        self._kind = kind
        self._delimiter = str(config.get("delimiter") or ",")

    def _records(self) -> list[Record]:
        text, name = _read_text(self._path), self._path.name
        lines = csv_lines(text, name, self._delimiter) if self._kind == "csv" else jsonl_lines(text)
        try:
            return records_or_refuse(lines, name)
        except FileProblem as exc:
            raise SourceError(str(exc)) from None

    def test(self) -> str:
        return f"{self._path.name}: {len(self._records()):,} records"

    def sample(self, limit: int = 20) -> list[Record]:
        return self._records()[:limit]

    def _positioned(self, spec: ReadSpec) -> list[SourceRecord]:
        records = self._records()
        if spec.cursor_field is not None:
            positions = [position_of(record, spec) for record in records]
            return after(
                [
                    SourceRecord(record, at, changed_at(at))
                    for record, at in zip(records, positions, strict=True)
                ],
                spec.since,
            )
        modified = _mtime(self._path)
        return after(
            [
                SourceRecord(record, Cursor(modified, line), modified)
                for line, record in enumerate(records, start=1)
            ],
            spec.since,
        )

    def count(self, spec: ReadSpec) -> int | None:
        return len(self._positioned(spec))

    def read(self, spec: ReadSpec, batch_size: int) -> Iterator[list[SourceRecord]]:
        return in_batches(self._positioned(spec), batch_size)


class FolderConnector:
    """Every .txt/.md file under a folder: one record per file, positioned by (modified time, path)."""

    def __init__(self, root: Path, config: dict[str, Any]) -> None:
        self._folder = resolve_inside(root, str(config.get("path", "")))

    def _files(self) -> list[Path]:
        if not self._folder.is_dir():
            raise SourceError(f"{self._folder.name} does not exist or is not a folder")
        return sorted(
            path
            for path in self._folder.rglob("*")
            if path.suffix.lower() in FOLDER_SUFFIXES and path.is_file() and not path.is_symlink()
        )

    def _record(self, path: Path) -> SourceRecord:
        relative = path.relative_to(self._folder).as_posix()
        text = _read_text(path)
        first = next((line for line in text.splitlines() if line.strip()), path.stem)
        modified = _mtime(path)
        record = {
            "path": relative,
            "name": path.name,
            "title": first.lstrip("# ").strip()[:1000],
            "content": text,
            "modified_at": modified.isoformat(),
            "extension": path.suffix.lower().lstrip("."),
        }
        return SourceRecord(record, Cursor(modified, relative), modified)

    def test(self) -> str:
        return f"{self._folder.name}: {len(self._files()):,} text or markdown files"

    def sample(self, limit: int = 20) -> list[Record]:
        return [self._record(path).data for path in self._files()[:limit]]

    def _positioned(self, spec: ReadSpec) -> list[SourceRecord]:
        return after([self._record(path) for path in self._files()], spec.since)

    def count(self, spec: ReadSpec) -> int | None:
        return len(self._positioned(spec))

    def read(self, spec: ReadSpec, batch_size: int) -> Iterator[list[SourceRecord]]:
        return in_batches(self._positioned(spec), batch_size)
