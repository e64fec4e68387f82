"""Data sources, the jobs that pull from them, their runs, audit and conflicts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from superinsight.db.base import Base, BigIntPK, CreatedMixin, TenantMixin, TimestampMixin
from superinsight.db.models._checks import one_of
from superinsight.vocabulary import (
    CONFLICT_STATUSES,
    CONFLICT_STRATEGIES,
    CONFLICT_TYPES,
    JOB_STATUSES,
    RUN_STATES,
    RUN_TRIGGERS,
    SOURCE_STATUSES,
    SOURCE_TYPES,
    SYNC_MODES,
    TRANSFORMATION_TYPES,
)


class DataSource(TenantMixin, TimestampMixin, Base):
    """Where documents come from. Credentials are only ever stored encrypted."""

    __tablename__ = "data_sources"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name"),
        one_of("source_type", SOURCE_TYPES),
        one_of("status", SOURCE_STATUSES),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    source_type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="active")
    connection_config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    encrypted_credentials: Mapped[str | None] = mapped_column(Text)
    schema_config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    expectations: Mapped[dict[str, Any]] = mapped_column(default=dict)
    quality_weights: Mapped[dict[str, Any]] = mapped_column(default=dict)
    timeout_seconds: Mapped[int] = mapped_column(Integer, default=30)
    last_health_check: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    health_status: Mapped[str | None] = mapped_column(String(16))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class SyncJob(TenantMixin, TimestampMixin, Base):
    __tablename__ = "sync_jobs"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name"),
        one_of("mode", SYNC_MODES),
        one_of("status", JOB_STATUSES),
        one_of("conflict_resolution", CONFLICT_STRATEGIES),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("data_sources.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    mode: Mapped[str] = mapped_column(String(32), default="full_refresh_append")
    status: Mapped[str] = mapped_column(String(16), default="active")
    schedule_cron: Mapped[str | None] = mapped_column(String(64))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    batch_size: Mapped[int] = mapped_column(Integer, default=1000)
    max_retries: Mapped[int] = mapped_column(Integer, default=3)
    retry_delay_seconds: Mapped[int] = mapped_column(Integer, default=30)
    timeout_seconds: Mapped[int] = mapped_column(Integer, default=3600)
    cursor_field: Mapped[str | None] = mapped_column(String(255))
    cursor_value: Mapped[str | None] = mapped_column(Text)
    primary_key: Mapped[str | None] = mapped_column(String(255))
    conflict_resolution: Mapped[str] = mapped_column(String(16), default="source_wins")
    filter_conditions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    total_executions: Mapped[int] = mapped_column(Integer, default=0)
    total_successes: Mapped[int] = mapped_column(Integer, default=0)
    total_failures: Mapped[int] = mapped_column(Integer, default=0)
    total_records: Mapped[int] = mapped_column(BigInteger, default=0)
    last_executed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    next_scheduled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SyncRule(TenantMixin, CreatedMixin, Base):
    """Maps one source field onto a document's title, content, external id or metadata."""

    __tablename__ = "sync_rules"
    __table_args__ = (UniqueConstraint("job_id", "target_field"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("sync_jobs.id", ondelete="CASCADE"))
    source_field: Mapped[str] = mapped_column(String(255))
    target_field: Mapped[str] = mapped_column(String(255))


class TransformationRule(TenantMixin, CreatedMixin, Base):
    """One step of a job's per-record pipeline; declarative only, never code."""

    __tablename__ = "transformation_rules"
    __table_args__ = (
        UniqueConstraint("job_id", "position"),
        one_of("transformation_type", TRANSFORMATION_TYPES),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("sync_jobs.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    transformation_type: Mapped[str] = mapped_column(String(32))
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)


class SyncExecution(TenantMixin, CreatedMixin, Base):
    """One run of a job. At most one run per job is queued or running (a partial unique index)."""

    __tablename__ = "sync_executions"
    __table_args__ = (
        one_of("status", RUN_STATES),
        one_of("trigger", RUN_TRIGGERS),
        Index("ix_sync_executions_job_id_created_at", "job_id", "created_at"),
        Index(
            "uq_sync_executions_active_job",
            "job_id",
            unique=True,
            postgresql_where=text("status IN ('queued', 'running')"),
            sqlite_where=text("status IN ('queued', 'running')"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("sync_jobs.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    trigger: Mapped[str] = mapped_column(String(16), default="manual")
    scheduled_for: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    records_read: Mapped[int] = mapped_column(BigInteger, default=0)
    records_inserted: Mapped[int] = mapped_column(BigInteger, default=0)
    records_updated: Mapped[int] = mapped_column(BigInteger, default=0)
    records_unchanged: Mapped[int] = mapped_column(BigInteger, default=0)
    records_skipped: Mapped[int] = mapped_column(BigInteger, default=0)
    conflicts: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    progress: Mapped[float] = mapped_column(default=0.0)
    cursor_start: Mapped[str | None] = mapped_column(Text)
    cursor_end: Mapped[str | None] = mapped_column(Text)
    worker_id: Mapped[str | None] = mapped_column(String(128))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    error_message: Mapped[str | None] = mapped_column(Text)


class SyncAuditLog(TenantMixin, CreatedMixin, Base):
    __tablename__ = "sync_audit_logs"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("sync_jobs.id", ondelete="CASCADE"), index=True)
    execution_id: Mapped[int | None] = mapped_column(ForeignKey("sync_executions.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class DataConflict(TenantMixin, CreatedMixin, Base):
    """A document changed both in the workbench and at its source; both sides are kept."""

    __tablename__ = "data_conflicts"
    __table_args__ = (
        one_of("conflict_type", CONFLICT_TYPES),
        one_of("status", CONFLICT_STATUSES),
        Index("ix_data_conflicts_tenant_id_status", "tenant_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("sync_jobs.id", ondelete="CASCADE"))
    execution_id: Mapped[int | None] = mapped_column(ForeignKey("sync_executions.id", ondelete="SET NULL"))
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    conflict_type: Mapped[str] = mapped_column(String(16), default="content")
    source_version: Mapped[dict[str, Any]] = mapped_column()
    workbench_version: Mapped[dict[str, Any]] = mapped_column()
    resolution_strategy: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(24), default="pending")
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
