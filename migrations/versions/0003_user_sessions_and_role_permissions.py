"""User sessions, and the four roles with their permissions.

Revision ID: 0003
Revises: 0002
Why: sign-in needs sessions that expire; permissions are checked against these
rows. The role data is written out here, not imported, so this revision means
the same thing forever.

Create Date: 2026-11-24 09:54:35.593701
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


PERMISSIONS = [
    ("documents.view", "browse and search documents (masked where masking rules apply)"),
    ("documents.view_unmasked", "see values that masking rules hide"),
    ("documents.edit", "upload and edit documents"),
    ("rules.edit", "write, test, enable, disable and delete business rules"),
    ("rules.apply", "apply rules to all documents"),
    ("sync.run", "run sync jobs"),
    ("sources.manage", "add and change data sources"),
    ("labeling.launch", "launch Label Studio projects and pull annotations"),
    ("quality.triage", "change the status of quality issues"),
    ("users.manage", "manage users, roles, permissions and the IP allow-list"),
    ("audit.view", "search and export the audit log"),
    ("workspace.manage", "load demo data and other workspace-wide actions"),
]
ROLES = [
    (
        "admin",
        "everything, including users and the audit log",
        [
            "audit.view",
            "documents.edit",
            "documents.view",
            "documents.view_unmasked",
            "labeling.launch",
            "quality.triage",
            "rules.apply",
            "rules.edit",
            "sources.manage",
            "sync.run",
            "users.manage",
            "workspace.manage",
        ],
    ),
    (
        "analyst",
        "works with documents, rules, sync and labeling",
        [
            "documents.edit",
            "documents.view",
            "documents.view_unmasked",
            "labeling.launch",
            "quality.triage",
            "rules.apply",
            "rules.edit",
            "sources.manage",
            "sync.run",
        ],
    ),
    ("annotator", "labels documents in Label Studio", ["documents.view", "labeling.launch"]),
    ("viewer", "reads, with sensitive values masked", ["documents.view"]),
]


def _seed_roles() -> None:
    roles = sa.table(
        "roles",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("description", sa.String),
    )
    permissions = sa.table(
        "permissions",
        sa.column("id", sa.Integer),
        sa.column("code", sa.String),
        sa.column("description", sa.String),
    )
    links = sa.table(
        "role_permissions", sa.column("role_id", sa.Integer), sa.column("permission_id", sa.Integer)
    )
    op.bulk_insert(
        permissions,
        [{"id": i, "code": code, "description": text} for i, (code, text) in enumerate(PERMISSIONS, start=1)],
    )
    op.bulk_insert(
        roles,
        [{"id": i, "name": name, "description": text} for i, (name, text, _) in enumerate(ROLES, start=1)],
    )
    permission_ids = {code: i for i, (code, _) in enumerate(PERMISSIONS, start=1)}
    op.bulk_insert(
        links,
        [
            {"role_id": i, "permission_id": permission_ids[code]}
            for i, (_, _, codes) in enumerate(ROLES, start=1)
            for code in codes
        ],
    )


def upgrade() -> None:
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ip_address", sa.String(length=64), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_sessions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_sessions_token_hash")),
    )
    op.create_index(op.f("ix_user_sessions_tenant_id"), "user_sessions", ["tenant_id"], unique=False)
    op.create_index(op.f("ix_user_sessions_user_id"), "user_sessions", ["user_id"], unique=False)
    _seed_roles()


def downgrade() -> None:
    op.execute("DELETE FROM role_permissions")
    op.execute("DELETE FROM roles")
    op.execute("DELETE FROM permissions")
    op.drop_index(op.f("ix_user_sessions_user_id"), table_name="user_sessions")
    op.drop_index(op.f("ix_user_sessions_tenant_id"), table_name="user_sessions")
    op.drop_table("user_sessions")
