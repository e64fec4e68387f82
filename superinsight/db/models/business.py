"""Business rules and what applying them produces: applications, insights, patterns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from superinsight.db.base import Base, BigIntPK, CreatedMixin, TenantMixin, TimestampMixin
from superinsight.db.models._checks import one_of
from superinsight.vocabulary import (
    ANALYSIS_STATUSES,
    DATASET_CATEGORIES,
    DATASET_STATUSES,
    DELIVERY_METHODS,
    MASKING_METHODS,
    NOTIFICATION_STATUSES,
    NOTIFICATION_TYPES,
    RECEIPT_STATUSES,
    RULE_ACTIONS,
    SCORE_SCOPES,
    SEVERITIES,
)


class BusinessRule(TenantMixin, TimestampMixin, Base):
    """A JSON Logic condition over a document, with what to do when it matches."""

    __tablename__ = "business_rules"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name"),
        one_of("severity", SEVERITIES),
        one_of("action", RULE_ACTIONS),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[dict[str, Any]] = mapped_column()
    rule_type: Mapped[str] = mapped_column(String(32), default="condition")
    severity: Mapped[str] = mapped_column(String(16), default="warning")
    action: Mapped[str] = mapped_column(String(32), default="flag")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    tags: Mapped[list[Any]] = mapped_column(default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    confidence: Mapped[float] = mapped_column(Float, default=1.0)
    frequency: Mapped[int] = mapped_column(Integer, default=0)
    examples: Mapped[list[Any]] = mapped_column(default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    mostly: Mapped[float | None] = mapped_column(Float)
    warn_after: Mapped[int | None] = mapped_column(Integer)
    error_after: Mapped[int | None] = mapped_column(Integer)


class BusinessRuleVersion(TenantMixin, CreatedMixin, Base):
    """Every saved edit of a rule, so its history can be read and two versions compared."""

    __tablename__ = "business_rule_versions"
    __table_args__ = (UniqueConstraint("rule_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("business_rules.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[dict[str, Any]] = mapped_column()
    severity: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))
    tags: Mapped[list[Any]] = mapped_column(default=list)
    mostly: Mapped[float | None] = mapped_column(Float)
    warn_after: Mapped[int | None] = mapped_column(Integer)
    error_after: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class BusinessPattern(TenantMixin, Base):
    __tablename__ = "business_patterns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("business_rules.id", ondelete="CASCADE"))
    pattern_type: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    strength: Mapped[float] = mapped_column(Float, default=0.0)
    evidence: Mapped[list[Any]] = mapped_column(default=list)
    detected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BusinessInsight(TenantMixin, CreatedMixin, Base):
    __tablename__ = "business_insights"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("business_rules.id", ondelete="CASCADE"))
    insight_type: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    impact_score: Mapped[float] = mapped_column(Float, default=0.0)
    recommendations: Mapped[list[Any]] = mapped_column(default=list)
    data_points: Mapped[list[Any]] = mapped_column(default=list)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class BusinessLogicAnalysisHistory(TenantMixin, CreatedMixin, Base):
    """One run of an analysis (a rule test or apply), kept for timing and audit."""

    __tablename__ = "business_logic_analysis_history"
    __table_args__ = (one_of("status", ANALYSIS_STATUSES),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("business_rules.id", ondelete="SET NULL"))
    analysis_type: Mapped[str] = mapped_column(String(64))
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    results_summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
    execution_time_ms: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="running")
    error_message: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class BusinessRuleApplication(TenantMixin, CreatedMixin, Base):
    """A document matched by one version of a rule in one apply run."""

    __tablename__ = "business_rule_applications"
    __table_args__ = (UniqueConstraint("rule_id", "rule_version", "document_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("business_rules.id", ondelete="CASCADE"))
    rule_version: Mapped[int] = mapped_column(Integer)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    analysis_id: Mapped[int | None] = mapped_column(
        ForeignKey("business_logic_analysis_history.id", ondelete="SET NULL")
    )
    mode: Mapped[str] = mapped_column(String(16), default="apply")
    status: Mapped[str] = mapped_column(String(16), default="matched")
    confidence: Mapped[float] = mapped_column(Float, default=1.0)


class BusinessLogicNotification(TenantMixin, CreatedMixin, Base):
    __tablename__ = "business_logic_notifications"
    __table_args__ = (
        one_of("notification_type", NOTIFICATION_TYPES),
        one_of("status", NOTIFICATION_STATUSES),
        one_of("delivery_method", DELIVERY_METHODS),
        Index("ix_business_logic_notifications_user_id_status", "user_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    notification_type: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(255))
    message: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="unread")
    delivery_method: Mapped[str] = mapped_column(String(16), default="web")
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    dismissed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class NotificationReceipt(TenantMixin, Base):
    """One user's reading of a notification: read or dismissed for them, whatever others did."""

    __tablename__ = "notification_receipts"
    __table_args__ = (one_of("status", RECEIPT_STATUSES),)

    notification_id: Mapped[int] = mapped_column(
        ForeignKey("business_logic_notifications.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class IndustryDataset(TenantMixin, TimestampMixin, Base):
    __tablename__ = "industry_datasets"
    __table_args__ = (one_of("category", DATASET_CATEGORIES), one_of("status", DATASET_STATUSES))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    category: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="available")
    record_count: Mapped[int] = mapped_column(Integer, default=0)


class DataQualityScore(TenantMixin, Base):
    """One scoring run's result for one scope: a point on a quality trend line."""

    __tablename__ = "data_quality_scores"
    __table_args__ = (
        one_of("scope_type", SCORE_SCOPES),
        Index("ix_data_quality_scores_scope", "tenant_id", "scope_type", "scope_id", "computed_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    scope_type: Mapped[str] = mapped_column(String(16))
    scope_id: Mapped[str] = mapped_column(String(64))
    completeness: Mapped[float | None] = mapped_column(Float)
    validity: Mapped[float | None] = mapped_column(Float)
    uniqueness: Mapped[float | None] = mapped_column(Float)
    consistency: Mapped[float | None] = mapped_column(Float)
    timeliness: Mapped[float | None] = mapped_column(Float)
    overall: Mapped[float | None] = mapped_column(Float)
    documents_scored: Mapped[int] = mapped_column(Integer, default=0)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DataMaskingRule(TenantMixin, CreatedMixin, Base):
    """Hides a field, or text matching a pattern, from roles not allowed to see it."""

    __tablename__ = "data_masking_rules"
    __table_args__ = (one_of("method", MASKING_METHODS),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    field: Mapped[str | None] = mapped_column(String(255))
    pattern: Mapped[str | None] = mapped_column(String(500))
    method: Mapped[str] = mapped_column(String(16), default="mask")
    unmasked_roles: Mapped[list[Any]] = mapped_column(default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
