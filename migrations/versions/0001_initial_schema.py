"""Initial schema: the platform's tables, grouped by area in superinsight.db.models.

Revision ID: 0001
Revises:
Create Date: 2026-11-24 08:57:14.884159
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "data_masking_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("field", sa.String(length=255), nullable=True),
        sa.Column("pattern", sa.String(length=500), nullable=True),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column(
            "unmasked_roles",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "method IN ('mask', 'hash', 'redact', 'partial')",
            name=op.f("ck_data_masking_rules_method_allowed"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_masking_rules")),
    )
    op.create_index(
        op.f("ix_data_masking_rules_tenant_id"), "data_masking_rules", ["tenant_id"], unique=False
    )
    op.create_table(
        "data_quality_scores",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("scope_type", sa.String(length=16), nullable=False),
        sa.Column("scope_id", sa.String(length=64), nullable=False),
        sa.Column("completeness", sa.Float(), nullable=True),
        sa.Column("validity", sa.Float(), nullable=True),
        sa.Column("uniqueness", sa.Float(), nullable=True),
        sa.Column("consistency", sa.Float(), nullable=True),
        sa.Column("timeliness", sa.Float(), nullable=True),
        sa.Column("overall", sa.Float(), nullable=True),
        sa.Column("documents_scored", sa.Integer(), nullable=False),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "scope_type IN ('document', 'source', 'tenant')",
            name=op.f("ck_data_quality_scores_scope_type_allowed"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_quality_scores")),
    )
    op.create_index(
        "ix_data_quality_scores_scope",
        "data_quality_scores",
        ["tenant_id", "scope_type", "scope_id", "computed_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_data_quality_scores_tenant_id"), "data_quality_scores", ["tenant_id"], unique=False
    )
    op.create_table(
        "graph_nodes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column(
            "properties",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_graph_nodes")),
        sa.UniqueConstraint("tenant_id", "label", "key", name=op.f("uq_graph_nodes_tenant_id_label_key")),
    )
    op.create_index(op.f("ix_graph_nodes_tenant_id"), "graph_nodes", ["tenant_id"], unique=False)
    op.create_table(
        "industry_datasets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("record_count", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "category IN ('finance', 'healthcare', 'legal', 'general', 'technology', 'retail', 'manufacturing', 'education')",
            name=op.f("ck_industry_datasets_category_allowed"),
        ),
        sa.CheckConstraint(
            "status IN ('available', 'downloading', 'processing', 'integrated', 'error', 'deprecated')",
            name=op.f("ck_industry_datasets_status_allowed"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_industry_datasets")),
    )
    op.create_index(op.f("ix_industry_datasets_tenant_id"), "industry_datasets", ["tenant_id"], unique=False)
    op.create_table(
        "permissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_permissions")),
        sa.UniqueConstraint("code", name=op.f("uq_permissions_code")),
    )
    op.create_table(
        "roles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roles")),
        sa.UniqueConstraint("name", name=op.f("uq_roles_name")),
    )
    op.create_table(
        "graph_edges",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("source_node_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("target_node_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("rel_type", sa.String(length=64), nullable=False),
        sa.Column(
            "properties",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_node_id"],
            ["graph_nodes.id"],
            name=op.f("fk_graph_edges_source_node_id_graph_nodes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_node_id"],
            ["graph_nodes.id"],
            name=op.f("fk_graph_edges_target_node_id_graph_nodes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_graph_edges")),
        sa.UniqueConstraint(
            "source_node_id",
            "target_node_id",
            "rel_type",
            name=op.f("uq_graph_edges_source_node_id_target_node_id_rel_type"),
        ),
    )
    op.create_index(op.f("ix_graph_edges_target_node_id"), "graph_edges", ["target_node_id"], unique=False)
    op.create_index(op.f("ix_graph_edges_tenant_id"), "graph_edges", ["tenant_id"], unique=False)
    op.create_table(
        "role_permissions",
        sa.Column("role_id", sa.Integer(), nullable=False),
        sa.Column("permission_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["permission_id"],
            ["permissions.id"],
            name=op.f("fk_role_permissions_permission_id_permissions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["role_id"], ["roles.id"], name=op.f("fk_role_permissions_role_id_roles"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("role_id", "permission_id", name=op.f("pk_role_permissions")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("full_name", sa.String(length=255), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("role_id", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("failed_login_count", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["role_id"], ["roles.id"], name=op.f("fk_users_role_id_roles")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("tenant_id", "email", name=op.f("uq_users_tenant_id_email")),
    )
    op.create_index(op.f("ix_users_tenant_id"), "users", ["tenant_id"], unique=False)
    op.create_table(
        "audit_logs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity_type", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=True),
        sa.Column(
            "before",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "after",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("ip_address", sa.String(length=64), nullable=True),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_audit_logs_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_logs")),
    )
    op.create_index(op.f("ix_audit_logs_tenant_id"), "audit_logs", ["tenant_id"], unique=False)
    op.create_index(
        "ix_audit_logs_tenant_id_created_at", "audit_logs", ["tenant_id", "created_at"], unique=False
    )
    op.create_table(
        "billing_records",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("item", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=12, scale=4), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_billing_records_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_records")),
    )
    op.create_index(op.f("ix_billing_records_tenant_id"), "billing_records", ["tenant_id"], unique=False)
    op.create_table(
        "business_logic_notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("notification_type", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("delivery_method", sa.String(length=16), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dismissed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "delivery_method IN ('web', 'email', 'webhook')",
            name=op.f("ck_business_logic_notifications_delivery_method_allowed"),
        ),
        sa.CheckConstraint(
            "notification_type IN ('new_pattern', 'rule_change', 'insight_generated', 'quality_drop', 'sync_failed')",
            name=op.f("ck_business_logic_notifications_notification_type_allowed"),
        ),
        sa.CheckConstraint(
            "status IN ('unread', 'read', 'dismissed')",
            name=op.f("ck_business_logic_notifications_status_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_business_logic_notifications_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_logic_notifications")),
    )
    op.create_index(
        op.f("ix_business_logic_notifications_tenant_id"),
        "business_logic_notifications",
        ["tenant_id"],
        unique=False,
    )
    op.create_index(
        "ix_business_logic_notifications_user_id_status",
        "business_logic_notifications",
        ["user_id", "status"],
        unique=False,
    )
    op.create_table(
        "business_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "body",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("rule_type", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("frequency", sa.Integer(), nullable=False),
        sa.Column(
            "examples",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "action IN ('flag', 'tag', 'quality_issue', 'notify')",
            name=op.f("ck_business_rules_action_allowed"),
        ),
        sa.CheckConstraint(
            "severity IN ('info', 'warning', 'error', 'critical')",
            name=op.f("ck_business_rules_severity_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_business_rules_owner_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_rules")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_business_rules_tenant_id_name")),
    )
    op.create_index(op.f("ix_business_rules_tenant_id"), "business_rules", ["tenant_id"], unique=False)
    op.create_table(
        "data_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("source_type", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "connection_config",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("encrypted_credentials", sa.Text(), nullable=True),
        sa.Column(
            "schema_config",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "expectations",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "quality_weights",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("timeout_seconds", sa.Integer(), nullable=False),
        sa.Column("last_health_check", sa.DateTime(timezone=True), nullable=True),
        sa.Column("health_status", sa.String(length=16), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "source_type IN ('database', 'csv', 'jsonl', 'folder', 'http_json', 'upload')",
            name=op.f("ck_data_sources_source_type_allowed"),
        ),
        sa.CheckConstraint(
            "status IN ('active', 'inactive', 'error', 'testing')",
            name=op.f("ck_data_sources_status_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_data_sources_created_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_sources")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_data_sources_tenant_id_name")),
    )
    op.create_index(op.f("ix_data_sources_tenant_id"), "data_sources", ["tenant_id"], unique=False)
    op.create_table(
        "ip_whitelist",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cidr", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_ip_whitelist_created_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ip_whitelist")),
        sa.UniqueConstraint("tenant_id", "cidr", name=op.f("uq_ip_whitelist_tenant_id_cidr")),
    )
    op.create_index(op.f("ix_ip_whitelist_tenant_id"), "ip_whitelist", ["tenant_id"], unique=False)
    op.create_table(
        "project_permissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("scope_type", sa.String(length=16), nullable=False),
        sa.Column("scope_id", sa.String(length=64), nullable=False),
        sa.Column("permission", sa.String(length=32), nullable=False),
        sa.Column("granted_by", sa.Integer(), nullable=True),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "scope_type IN ('source', 'project')", name=op.f("ck_project_permissions_scope_type_allowed")
        ),
        sa.ForeignKeyConstraint(
            ["granted_by"],
            ["users.id"],
            name=op.f("fk_project_permissions_granted_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_project_permissions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_permissions")),
        sa.UniqueConstraint(
            "user_id",
            "scope_type",
            "scope_id",
            "permission",
            name=op.f("uq_project_permissions_user_id_scope_type_scope_id_permission"),
        ),
    )
    op.create_index(
        op.f("ix_project_permissions_tenant_id"), "project_permissions", ["tenant_id"], unique=False
    )
    op.create_index(op.f("ix_project_permissions_user_id"), "project_permissions", ["user_id"], unique=False)
    op.create_table(
        "business_insights",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("insight_type", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("impact_score", sa.Float(), nullable=False),
        sa.Column(
            "recommendations",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "data_points",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["business_rules.id"],
            name=op.f("fk_business_insights_rule_id_business_rules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_insights")),
    )
    op.create_index(op.f("ix_business_insights_tenant_id"), "business_insights", ["tenant_id"], unique=False)
    op.create_table(
        "business_logic_analysis_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("analysis_type", sa.String(length=64), nullable=False),
        sa.Column(
            "parameters",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "results_summary",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("execution_time_ms", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('running', 'completed', 'failed')",
            name=op.f("ck_business_logic_analysis_history_status_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["business_rules.id"],
            name=op.f("fk_business_logic_analysis_history_rule_id_business_rules"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_logic_analysis_history")),
    )
    op.create_index(
        op.f("ix_business_logic_analysis_history_tenant_id"),
        "business_logic_analysis_history",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "business_patterns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("pattern_type", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("strength", sa.Float(), nullable=False),
        sa.Column(
            "evidence",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["business_rules.id"],
            name=op.f("fk_business_patterns_rule_id_business_rules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_patterns")),
    )
    op.create_index(op.f("ix_business_patterns_tenant_id"), "business_patterns", ["tenant_id"], unique=False)
    op.create_table(
        "sync_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("mode", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("schedule_cron", sa.String(length=64), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("batch_size", sa.Integer(), nullable=False),
        sa.Column("max_retries", sa.Integer(), nullable=False),
        sa.Column("retry_delay_seconds", sa.Integer(), nullable=False),
        sa.Column("timeout_seconds", sa.Integer(), nullable=False),
        sa.Column("cursor_field", sa.String(length=255), nullable=True),
        sa.Column("cursor_value", sa.Text(), nullable=True),
        sa.Column("primary_key", sa.String(length=255), nullable=True),
        sa.Column("conflict_resolution", sa.String(length=16), nullable=False),
        sa.Column(
            "filter_conditions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("total_executions", sa.Integer(), nullable=False),
        sa.Column("total_successes", sa.Integer(), nullable=False),
        sa.Column("total_failures", sa.Integer(), nullable=False),
        sa.Column("total_records", sa.BigInteger(), nullable=False),
        sa.Column("last_executed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_scheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "conflict_resolution IN ('source_wins', 'workbench_wins', 'newest_wins', 'manual')",
            name=op.f("ck_sync_jobs_conflict_resolution_allowed"),
        ),
        sa.CheckConstraint(
            "mode IN ('full_refresh_overwrite', 'full_refresh_append', 'incremental_append', 'incremental_dedup')",
            name=op.f("ck_sync_jobs_mode_allowed"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'active', 'paused', 'disabled', 'archived')",
            name=op.f("ck_sync_jobs_status_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["data_sources.id"],
            name=op.f("fk_sync_jobs_source_id_data_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_jobs")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_sync_jobs_tenant_id_name")),
    )
    op.create_index(op.f("ix_sync_jobs_source_id"), "sync_jobs", ["source_id"], unique=False)
    op.create_index(op.f("ix_sync_jobs_tenant_id"), "sync_jobs", ["tenant_id"], unique=False)
    op.create_table(
        "documents",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("title", sa.String(length=1000), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column(
            "metadata",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("sync_status", sa.String(length=16), nullable=False),
        sa.Column("sync_version", sa.Integer(), nullable=False),
        sa.Column("sync_job_id", sa.Integer(), nullable=True),
        sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "sync_status IN ('pending', 'syncing', 'synced', 'conflict', 'failed')",
            name=op.f("ck_documents_sync_status_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["data_sources.id"],
            name=op.f("fk_documents_source_id_data_sources"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sync_job_id"],
            ["sync_jobs.id"],
            name=op.f("fk_documents_sync_job_id_sync_jobs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("source_id", "external_id", name=op.f("uq_documents_source_id_external_id")),
    )
    op.create_index(op.f("ix_documents_tenant_id"), "documents", ["tenant_id"], unique=False)
    op.create_index("ix_documents_tenant_id_id", "documents", ["tenant_id", "id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_documents_fulltext",
            "documents",
            [
                sa.text(
                    "to_tsvector('english'::regconfig, "
                    "(COALESCE(title, ''::character varying)::text || ' '::text) "
                    "|| COALESCE(content, ''::text))"
                )
            ],
            postgresql_using="gin",
        )
    op.create_table(
        "sync_executions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("records_read", sa.BigInteger(), nullable=False),
        sa.Column("records_inserted", sa.BigInteger(), nullable=False),
        sa.Column("records_updated", sa.BigInteger(), nullable=False),
        sa.Column("records_unchanged", sa.BigInteger(), nullable=False),
        sa.Column("records_skipped", sa.BigInteger(), nullable=False),
        sa.Column("conflicts", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("progress", sa.Double(), nullable=False),
        sa.Column("cursor_start", sa.Text(), nullable=True),
        sa.Column("cursor_end", sa.Text(), nullable=True),
        sa.Column("worker_id", sa.String(length=128), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'partial', 'failed', 'cancelled')",
            name=op.f("ck_sync_executions_status_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["sync_jobs.id"], name=op.f("fk_sync_executions_job_id_sync_jobs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_executions")),
    )
    op.create_index(
        "ix_sync_executions_job_id_created_at", "sync_executions", ["job_id", "created_at"], unique=False
    )
    op.create_index(op.f("ix_sync_executions_tenant_id"), "sync_executions", ["tenant_id"], unique=False)
    op.create_table(
        "sync_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("source_field", sa.String(length=255), nullable=False),
        sa.Column("target_field", sa.String(length=255), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["sync_jobs.id"], name=op.f("fk_sync_rules_job_id_sync_jobs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_rules")),
        sa.UniqueConstraint("job_id", "target_field", name=op.f("uq_sync_rules_job_id_target_field")),
    )
    op.create_index(op.f("ix_sync_rules_tenant_id"), "sync_rules", ["tenant_id"], unique=False)
    op.create_table(
        "transformation_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("transformation_type", sa.String(length=32), nullable=False),
        sa.Column(
            "config",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "transformation_type IN ('rename', 'cast', 'trim', 'lowercase', 'default', 'drop', 'mask', 'template', 'computed')",
            name=op.f("ck_transformation_rules_transformation_type_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["sync_jobs.id"],
            name=op.f("fk_transformation_rules_job_id_sync_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transformation_rules")),
        sa.UniqueConstraint("job_id", "position", name=op.f("uq_transformation_rules_job_id_position")),
    )
    op.create_index(
        op.f("ix_transformation_rules_tenant_id"), "transformation_rules", ["tenant_id"], unique=False
    )
    op.create_table(
        "business_rule_applications",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("rule_version", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("analysis_id", sa.Integer(), nullable=True),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["analysis_id"],
            ["business_logic_analysis_history.id"],
            name=op.f("fk_business_rule_applications_analysis_id_business_logic_analysis_history"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_business_rule_applications_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["business_rules.id"],
            name=op.f("fk_business_rule_applications_rule_id_business_rules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_rule_applications")),
        sa.UniqueConstraint(
            "rule_id",
            "rule_version",
            "document_id",
            name=op.f("uq_business_rule_applications_rule_id_rule_version_document_id"),
        ),
    )
    op.create_index(
        op.f("ix_business_rule_applications_document_id"),
        "business_rule_applications",
        ["document_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_business_rule_applications_tenant_id"),
        "business_rule_applications",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "data_conflicts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("execution_id", sa.Integer(), nullable=True),
        sa.Column("document_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("conflict_type", sa.String(length=16), nullable=False),
        sa.Column(
            "source_version",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "workbench_version",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("resolution_strategy", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("resolved_by", sa.Integer(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "conflict_type IN ('version', 'content', 'schema', 'delete', 'constraint')",
            name=op.f("ck_data_conflicts_conflict_type_allowed"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'auto_resolved', 'manually_resolved', 'escalated', 'ignored')",
            name=op.f("ck_data_conflicts_status_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_data_conflicts_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["sync_executions.id"],
            name=op.f("fk_data_conflicts_execution_id_sync_executions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["sync_jobs.id"], name=op.f("fk_data_conflicts_job_id_sync_jobs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by"],
            ["users.id"],
            name=op.f("fk_data_conflicts_resolved_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_conflicts")),
    )
    op.create_index(op.f("ix_data_conflicts_tenant_id"), "data_conflicts", ["tenant_id"], unique=False)
    op.create_index(
        "ix_data_conflicts_tenant_id_status", "data_conflicts", ["tenant_id", "status"], unique=False
    )
    op.create_table(
        "quality_issues",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("document_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("check_name", sa.String(length=128), nullable=False),
        sa.Column("dimension", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "severity IN ('info', 'warning', 'error', 'critical')",
            name=op.f("ck_quality_issues_severity_allowed"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'acknowledged', 'resolved')", name=op.f("ck_quality_issues_status_allowed")
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["users.id"],
            name=op.f("fk_quality_issues_assignee_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_quality_issues_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["business_rules.id"],
            name=op.f("fk_quality_issues_rule_id_business_rules"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["data_sources.id"],
            name=op.f("fk_quality_issues_source_id_data_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_issues")),
    )
    op.create_index(op.f("ix_quality_issues_document_id"), "quality_issues", ["document_id"], unique=False)
    op.create_index(op.f("ix_quality_issues_tenant_id"), "quality_issues", ["tenant_id"], unique=False)
    op.create_index(
        "ix_quality_issues_tenant_id_status", "quality_issues", ["tenant_id", "status"], unique=False
    )
    op.create_table(
        "sync_audit_logs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("execution_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["sync_executions.id"],
            name=op.f("fk_sync_audit_logs_execution_id_sync_executions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["sync_jobs.id"], name=op.f("fk_sync_audit_logs_job_id_sync_jobs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_sync_audit_logs_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_audit_logs")),
    )
    op.create_index(op.f("ix_sync_audit_logs_job_id"), "sync_audit_logs", ["job_id"], unique=False)
    op.create_index(op.f("ix_sync_audit_logs_tenant_id"), "sync_audit_logs", ["tenant_id"], unique=False)
    op.create_table(
        "tasks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("document_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("labelstudio_task_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sync_status", sa.String(length=16), nullable=False),
        sa.Column("sync_version", sa.Integer(), nullable=False),
        sa.Column("sync_hash", sa.String(length=64), nullable=True),
        sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'in_progress', 'completed', 'skipped')",
            name=op.f("ck_tasks_status_allowed"),
        ),
        sa.CheckConstraint(
            "sync_status IN ('pending', 'syncing', 'synced', 'conflict', 'failed')",
            name=op.f("ck_tasks_sync_status_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_tasks_document_id_documents"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
        sa.UniqueConstraint("project_id", "document_id", name=op.f("uq_tasks_project_id_document_id")),
    )
    op.create_index(op.f("ix_tasks_document_id"), "tasks", ["document_id"], unique=False)
    op.create_index(op.f("ix_tasks_tenant_id"), "tasks", ["tenant_id"], unique=False)
    op.create_table(
        "annotations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("task_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("document_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("labelstudio_annotation_id", sa.Integer(), nullable=False),
        sa.Column(
            "result",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("completed_by", sa.String(length=255), nullable=True),
        sa.Column("lead_time_seconds", sa.Float(), nullable=True),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_annotations_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_annotations_task_id_tasks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annotations")),
        sa.UniqueConstraint(
            "task_id",
            "labelstudio_annotation_id",
            name=op.f("uq_annotations_task_id_labelstudio_annotation_id"),
        ),
    )
    op.create_index(op.f("ix_annotations_document_id"), "annotations", ["document_id"], unique=False)
    op.create_index(op.f("ix_annotations_tenant_id"), "annotations", ["tenant_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_annotations_tenant_id"), table_name="annotations")
    op.drop_index(op.f("ix_annotations_document_id"), table_name="annotations")
    op.drop_table("annotations")
    op.drop_index(op.f("ix_tasks_tenant_id"), table_name="tasks")
    op.drop_index(op.f("ix_tasks_document_id"), table_name="tasks")
    op.drop_table("tasks")
    op.drop_index(op.f("ix_sync_audit_logs_tenant_id"), table_name="sync_audit_logs")
    op.drop_index(op.f("ix_sync_audit_logs_job_id"), table_name="sync_audit_logs")
    op.drop_table("sync_audit_logs")
    op.drop_index("ix_quality_issues_tenant_id_status", table_name="quality_issues")
    op.drop_index(op.f("ix_quality_issues_tenant_id"), table_name="quality_issues")
    op.drop_index(op.f("ix_quality_issues_document_id"), table_name="quality_issues")
    op.drop_table("quality_issues")
    op.drop_index("ix_data_conflicts_tenant_id_status", table_name="data_conflicts")
    op.drop_index(op.f("ix_data_conflicts_tenant_id"), table_name="data_conflicts")
    op.drop_table("data_conflicts")
    op.drop_index(op.f("ix_business_rule_applications_tenant_id"), table_name="business_rule_applications")
    op.drop_index(op.f("ix_business_rule_applications_document_id"), table_name="business_rule_applications")
    op.drop_table("business_rule_applications")
    op.drop_index(op.f("ix_transformation_rules_tenant_id"), table_name="transformation_rules")
    op.drop_table("transformation_rules")
    op.drop_index(op.f("ix_sync_rules_tenant_id"), table_name="sync_rules")
    op.drop_table("sync_rules")
    op.drop_index(op.f("ix_sync_executions_tenant_id"), table_name="sync_executions")
    op.drop_index("ix_sync_executions_job_id_created_at", table_name="sync_executions")
    op.drop_table("sync_executions")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_documents_fulltext", table_name="documents")
    op.drop_index("ix_documents_tenant_id_id", table_name="documents")
    op.drop_index(op.f("ix_documents_tenant_id"), table_name="documents")
    op.drop_table("documents")
    op.drop_index(op.f("ix_sync_jobs_tenant_id"), table_name="sync_jobs")
    op.drop_index(op.f("ix_sync_jobs_source_id"), table_name="sync_jobs")
    op.drop_table("sync_jobs")
    op.drop_index(op.f("ix_business_patterns_tenant_id"), table_name="business_patterns")
    op.drop_table("business_patterns")
    op.drop_index(
        op.f("ix_business_logic_analysis_history_tenant_id"), table_name="business_logic_analysis_history"
    )
    op.drop_table("business_logic_analysis_history")
    op.drop_index(op.f("ix_business_insights_tenant_id"), table_name="business_insights")
    op.drop_table("business_insights")
    op.drop_index(op.f("ix_project_permissions_user_id"), table_name="project_permissions")
    op.drop_index(op.f("ix_project_permissions_tenant_id"), table_name="project_permissions")
    op.drop_table("project_permissions")
    op.drop_index(op.f("ix_ip_whitelist_tenant_id"), table_name="ip_whitelist")
    op.drop_table("ip_whitelist")
    op.drop_index(op.f("ix_data_sources_tenant_id"), table_name="data_sources")
    op.drop_table("data_sources")
    op.drop_index(op.f("ix_business_rules_tenant_id"), table_name="business_rules")
    op.drop_table("business_rules")
    op.drop_index("ix_business_logic_notifications_user_id_status", table_name="business_logic_notifications")
    op.drop_index(
        op.f("ix_business_logic_notifications_tenant_id"), table_name="business_logic_notifications"
    )
    op.drop_table("business_logic_notifications")
    op.drop_index(op.f("ix_billing_records_tenant_id"), table_name="billing_records")
    op.drop_table("billing_records")
    op.drop_index("ix_audit_logs_tenant_id_created_at", table_name="audit_logs")
    op.drop_index(op.f("ix_audit_logs_tenant_id"), table_name="audit_logs")
    op.drop_table("audit_logs")
    op.drop_index(op.f("ix_users_tenant_id"), table_name="users")
    op.drop_table("users")
    op.drop_table("role_permissions")
    op.drop_index(op.f("ix_graph_edges_tenant_id"), table_name="graph_edges")
    op.drop_index(op.f("ix_graph_edges_target_node_id"), table_name="graph_edges")
    op.drop_table("graph_edges")
    op.drop_table("roles")
    op.drop_table("permissions")
    op.drop_index(op.f("ix_industry_datasets_tenant_id"), table_name="industry_datasets")
    op.drop_table("industry_datasets")
    op.drop_index(op.f("ix_graph_nodes_tenant_id"), table_name="graph_nodes")
    op.drop_table("graph_nodes")
    op.drop_index(op.f("ix_data_quality_scores_tenant_id"), table_name="data_quality_scores")
    op.drop_index("ix_data_quality_scores_scope", table_name="data_quality_scores")
    op.drop_table("data_quality_scores")
    op.drop_index(op.f("ix_data_masking_rules_tenant_id"), table_name="data_masking_rules")
    op.drop_table("data_masking_rules")
