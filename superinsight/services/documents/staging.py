"""A batch on its way into documents: staged records, COPY payloads, and the staging table they land in.

Every writer (a sync run, an upload, the demo) stages its records here, so one
path decides what is new, what changed and what a conflict is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple, dataclass
from datetime import datetime
from typing import Any, NamedTuple

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
from superinsight.documents import record as document_record
from superinsight.documents.record import DocumentInput, in_utc
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
    Column("created_at", DateTime(timezone=True)),
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
    """When the source changed the record (decides conflicts); None when it does not say."""
    created_at: datetime | None = None
    """The document's own date; None dates it when it is first written."""
    metadata_json: str = "{}"
    tags_json: str = "[]"


def stage(doc: DocumentInput, changed_at: datetime | None = None) -> StagedRecord:
    """Check a record (raising `DocumentProblem`) and spell its JSON once, for the hash and the COPY alike."""
    metadata_json, tags_json = document_record.check_document(doc)
    return StagedRecord(
        doc.external_id,
        doc.title,
        doc.content,
        doc.metadata,
        doc.tags,
        document_record.hash_parts(doc.title, doc.content, metadata_json, tags_json),
        changed_at,
        None if doc.created_at is None else in_utc(doc.created_at),
        metadata_json,
        tags_json,
    )


@dataclass(frozen=True)
class Target:
    """Where and how a batch is written; the same for every batch of a run."""

    tenant_id: str
    source_id: int
    job_id: int | None
    """The sync job writing, None for a person's upload or the demo."""
    execution_id: int | None
    mode: Mode
    strategy: str | None
    """How a sync settles a document edited here whose record changed at the source; None when the
    writer is a person replacing documents (an upload), whose new version is the decision."""
    now: datetime
    fresh: bool = False
    """The source had no documents when the run began: batches COPY straight into documents."""


@dataclass
class WriteCounts:
    """What writing did to documents: a batch's counts, or the sum of a whole import's."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    conflicts: int = 0

    def __add__(self, other: WriteCounts) -> WriteCounts:
        pairs = zip(astuple(self), astuple(other), strict=True)
        return WriteCounts(*(mine + theirs for mine, theirs in pairs))


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_time(value: datetime | None) -> str:
    return "\\N" if value is None else value.isoformat()


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
        head = f"{target.tenant_id.translate(escape)}\t{target.source_id}\t"
        job = "\\N" if target.job_id is None else target.job_id
        lines = [
            f"{head}{r.external_id.translate(escape)}\t{r.title.translate(escape)}\t{r.content.translate(escape)}"
            f"\t{r.metadata_json.translate(escape)}\t{r.tags_json.translate(escape)}\t{r.content_hash}"
            f"\tsynced\t1\t{job}\t{now}\t{r.created_at.isoformat() if r.created_at else now}\t{now}"
            for r in records
        ]
    else:
        lines = [
            f"{r.external_id.translate(escape)}\t{r.title.translate(escape)}\t{r.content.translate(escape)}"
            f"\t{r.metadata_json.translate(escape)}\t{r.tags_json.translate(escape)}\t{r.content_hash}"
            f"\t{_copy_time(r.changed_at)}\t{_copy_time(r.created_at)}"
            for r in records
        ]
    lines.append("")
    return "\n".join(lines).encode("utf-8")


def copy_into_documents(session: Session, payload: bytes) -> bool:
    """COPY a fresh source's batch straight into documents; False if some record was there already."""
    return dialect.copy_rows_unless_duplicate(
        session, f"COPY documents ({', '.join(DIRECT_COLUMNS)}) FROM STDIN", payload
    )


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
