"""Documents and what hangs off them: tasks, annotations, quality issues, audit, billing."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from superinsight.db.base import Base, BigIntPK, CreatedMixin, TenantMixin, TimestampMixin
from superinsight.db.models._checks import one_of
from superinsight.vocabulary import (
    DOCUMENT_SYNC_STATUSES,
    ISSUE_STATUSES,
    JSON_KINDS,
    SEVERITIES,
    TASK_STATUSES,
)


class Document(TenantMixin, TimestampMixin, Base):
    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("source_id", "external_id"),
        one_of("sync_status", DOCUMENT_SYNC_STATUSES),
        Index("ix_documents_tenant_id_id", "tenant_id", "id"),
        # "Newest" and "oldest" pages walk the documents' own dates (keyset on date, id).
        Index("ix_documents_tenant_id_created_at_id", "tenant_id", "created_at", "id"),
        # Only edited documents can conflict with a sync; this keeps finding them cheap.
        Index(
            "ix_documents_source_id_edited",
            "source_id",
            "external_id",
            postgresql_where=text("edited_at IS NOT NULL"),
            sqlite_where=text("edited_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("data_sources.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(1000), default="")
    content: Mapped[str] = mapped_column(Text, default="")
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
    tags: Mapped[list[Any]] = mapped_column(default=list)
    # Label name -> how many pulled annotations gave it (recomputed by each labeling pull).
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'"))
    content_hash: Mapped[str] = mapped_column(String(64))
    sync_status: Mapped[str] = mapped_column(String(16), default="synced")
    sync_version: Mapped[int] = mapped_column(Integer, default=1)
    sync_job_id: Mapped[int | None] = mapped_column(ForeignKey("sync_jobs.id", ondelete="SET NULL"))
    last_synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    edited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class MetadataKeyKind(Base):
    """A metadata key some document of a source holds, and one JSON kind it held there.

    Kept by the writers in the transaction that writes the documents, never by a scan:
    the rule compiler leaves out the branches for kinds no document holds, and the rule
    editor lists the keys. Only ever added to (an edit or delete leaves a row behind),
    so it is a superset of what the documents hold, which is all either use needs.
    """

    __tablename__ = "metadata_key_kinds"
    __table_args__ = (one_of("kind", JSON_KINDS),)

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source_id: Mapped[int] = mapped_column(
        ForeignKey("data_sources.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)


class DocumentArrival(Base):
    """How many of a tenant's documents from one source have their own date on one day (UTC).

    Kept by the writers in the transactions that insert and delete documents
    (`services.documents.arrivals`), so the overview's chart reads a few hundred rows
    instead of grouping every document; a day that reaches 0 has no row. Documents
    without a source count under source 0, which is why there is no foreign key:
    deleting a source deletes its rows itself.
    """

    __tablename__ = "document_arrivals"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    documents: Mapped[int] = mapped_column(Integer)


class DocumentTagCount(Base):
    """How many of a tenant's documents from one source, dated one day (UTC), carry one tag.

    Kept by triggers on documents (migration 0021), whatever writes them, so the Documents
    page's top tags for a search narrowed only by sources and dates sum these rows instead
    of reading every document's tags. A tag twice in one document counts twice, as the
    page's own GROUP BY over the tags' elements does; source 0 is "no source", as in
    `DocumentArrival`; a group that reaches 0 has no row.
    """

    __tablename__ = "document_tag_counts"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    tag: Mapped[str] = mapped_column(Text, primary_key=True)
    documents: Mapped[int] = mapped_column(Integer)


class Task(TenantMixin, TimestampMixin, Base):
    """A document handed to Label Studio in one of its projects."""

    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("project_id", "document_id"),
        one_of("status", TASK_STATUSES),
        one_of("sync_status", DOCUMENT_SYNC_STATUSES),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(Integer)
    labelstudio_task_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    sync_status: Mapped[str] = mapped_column(String(16), default="pending")
    sync_version: Mapped[int] = mapped_column(Integer, default=1)
    sync_hash: Mapped[str | None] = mapped_column(String(64))
    last_synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Annotation(TenantMixin, TimestampMixin, Base):
    """An annotation pulled back from Label Studio, kept with the document it labels."""

    __tablename__ = "annotations"
    __table_args__ = (UniqueConstraint("task_id", "labelstudio_annotation_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    labelstudio_annotation_id: Mapped[int] = mapped_column(Integer)
    result: Mapped[list[Any]] = mapped_column(default=list)
    completed_by: Mapped[str | None] = mapped_column(String(255))
    lead_time_seconds: Mapped[float | None] = mapped_column(Float)


class AuditLog(TenantMixin, CreatedMixin, Base):
    __tablename__ = "audit_logs"
    __table_args__ = (Index("ix_audit_logs_tenant_id_created_at", "tenant_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column()
    after: Mapped[dict[str, Any] | None] = mapped_column()
    ip_address: Mapped[str | None] = mapped_column(String(64))


class BillingRecord(TenantMixin, CreatedMixin, Base):
    __tablename__ = "billing_records"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    period_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    period_end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    item: Mapped[str] = mapped_column(String(64))
    # Annotation billing: whose work in which project, and the time Label Studio measured.
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("labeling_projects.id", ondelete="CASCADE"), index=True
    )
    annotator: Mapped[str | None] = mapped_column(String(255))
    seconds: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    quantity: Mapped[int] = mapped_column(BigInteger, default=0)
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 4), default=Decimal(0))
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal(0))
    currency: Mapped[str] = mapped_column(String(3), default="USD")


class QualityIssue(TenantMixin, TimestampMixin, Base):
    __tablename__ = "quality_issues"
    __table_args__ = (
        one_of("status", ISSUE_STATUSES),
        one_of("severity", SEVERITIES),
        Index("ix_quality_issues_tenant_id_status", "tenant_id", "status"),
        # The Data quality page's list: one source's issues of a dimension and status, newest first.
        Index(
            "ix_quality_issues_source_dimension_status_id",
            "tenant_id",
            "source_id",
            "dimension",
            "status",
            "id",
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    source_id: Mapped[int | None] = mapped_column(ForeignKey("data_sources.id", ondelete="CASCADE"))
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("business_rules.id", ondelete="SET NULL"))
    check_name: Mapped[str] = mapped_column(String(128))
    dimension: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16), default="warning")
    status: Mapped[str] = mapped_column(String(16), default="open")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    description: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class QualityIssueCount(Base):
    """How many issues of a source are in one dimension and status.

    Kept by triggers on quality_issues (migration 0019), in the statement that changes an
    issue, foreign-key cascades included, so the Quality page reads a few rows instead of
    counting a source's issues on every render. A group that reaches 0 is deleted: the
    rows are exactly a GROUP BY over the issues that have a source. No foreign key: the
    rows of a deleted source leave with its issues.
    """

    __tablename__ = "quality_issue_counts"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    dimension: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    issues: Mapped[int] = mapped_column(Integer)
