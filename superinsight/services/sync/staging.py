"""A batch on its way in: staged records, COPY payloads, and the staging table they land in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from psycopg.errors import UniqueViolation
from sqlalchemy import (
    Column,
    DateTime,
    MetaData,
    String,
    Table,
    Text,
    delete,
)
from sqlalchemy.orm import Session

from superinsight.db import dialect
from superinsight.db.base import JSONType
from superinsight.sync.modes import Mode

_stage_metadata = MetaData()
STAGE = Table(
    "sync_stage",
    _stage_metadata,
    Column("external_id", String(255)),
    Column("title", String(1000)),
    Column("content", Text),
    Column("metadata", JSONType),
    Column("tags", JSONType),
    Column("content_hash", String(64)),
    Column("changed_at", DateTime(timezone=True)),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)


STAGE_COLUMNS = [column.name for column in STAGE.columns]
DIRECT_COLUMNS = (
    "tenant_id",
    "source_id",
    "external_id",
    "title",
    "content",
    "metadata",
    "tags",
    "content_hash",
    "sync_status",
    "sync_version",
    "sync_job_id",
    "last_synced_at",
    "created_at",
    "updated_at",
)


class StagedRecord(NamedTuple):
    """One record ready to write (a tuple: a sync makes a million of them)."""

    external_id: str
    title: str
    content: str
    metadata: dict[str, Any]
    tags: list[str]
    content_hash: str
    changed_at: datetime | None = None
    metadata_json: str = "{}"
    tags_json: str = "[]"


@dataclass(frozen=True)
class Target:
    """Where and how a batch is written; the same for every batch of a run."""

    tenant_id: str
    source_id: int
    job_id: int
    execution_id: int
    mode: Mode
    strategy: str
    now: datetime
    fresh: bool = False
    """The source had no documents when the run began: batches COPY straight into documents."""


@dataclass
class BatchCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    conflicts: int = 0


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_field(value: str | None) -> str:
    return "\\N" if value is None else value.translate(_COPY_ESCAPES)


def copy_payload(records: Sequence[StagedRecord], target: Target, postgres: bool) -> bytes | None:
    """The batch in PostgreSQL's COPY text format, built where there is CPU to spare (None elsewhere).

    Building it off the writing thread keeps the writer busy with the database
    alone. A run into a fresh source gets rows for `documents` itself; any other
    run gets rows for the staging table.
    """
    if not postgres or not records:
        return None
    escape = _COPY_ESCAPES
    if target.fresh:
        now = target.now.isoformat()
        head = f"{_copy_field(target.tenant_id)}\t{target.source_id}\t"
        tail = f"\tsynced\t1\t{target.job_id}\t{now}\t{now}\t{now}"
        lines = [
            f"{head}{r.external_id.translate(escape)}\t{r.title.translate(escape)}\t{r.content.translate(escape)}"
            f"\t{r.metadata_json.translate(escape)}\t{r.tags_json.translate(escape)}\t{r.content_hash}{tail}"
            for r in records
        ]
    else:
        lines = [
            f"{r.external_id.translate(escape)}\t{r.title.translate(escape)}\t{r.content.translate(escape)}"
            f"\t{r.metadata_json.translate(escape)}\t{r.tags_json.translate(escape)}\t{r.content_hash}"
            f"\t{_copy_field(r.changed_at.isoformat() if r.changed_at else None)}"
            for r in records
        ]
    lines.append("")
    return "\n".join(lines).encode("utf-8")


def copy_into_documents(session: Session, payload: bytes) -> bool:
    """COPY a fresh source's batch straight into documents; False if some record was there already."""
    try:
        with session.begin_nested():
            dialect.copy_rows(session, f"COPY documents ({', '.join(DIRECT_COLUMNS)}) FROM STDIN", payload)
    except UniqueViolation:
        return False
    return True


def load_stage(session: Session, records: Sequence[StagedRecord], payload: bytes | None) -> None:
    connection = session.connection()
    if dialect.is_postgresql(session):
        STAGE.create(connection)
        dialect.copy_rows(session, f"COPY sync_stage ({', '.join(STAGE_COLUMNS)}) FROM STDIN", payload or b"")
        return
    STAGE.create(connection, checkfirst=True)
    session.execute(delete(STAGE))
    session.execute(
        STAGE.insert(),
        [{name: getattr(record, name) for name in STAGE_COLUMNS} for record in records],
    )
