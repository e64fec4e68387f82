"""Annotators of each labeling project, and the permission that manages projects and their annotators.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 10:30:00

Why: an annotator saw every labeling project of the workspace. A project now has
members (who added them and when); a user whose role lacks `labeling.manage` sees
only the projects they are a member of. `labeling.manage` (admins and analysts)
launches projects, sends more documents to them and chooses their annotators;
`labeling.launch`, which annotators keep, now means working on the projects one
may see (follow them, pull annotations). As in 0003, the permission rows are
written out here, not imported, so this revision means the same thing forever.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MANAGE = ("labeling.manage", "launch Label Studio projects, choose their annotators and see all of them")
MANAGERS = ("admin", "analyst")
LAUNCH = "labeling.launch"
LAUNCH_BEFORE = "launch Label Studio projects and pull annotations"
LAUNCH_AFTER = "work on Label Studio projects: follow their progress and pull annotations"

permissions = sa.table(
    "permissions",
    sa.column("id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("description", sa.String),
)
roles = sa.table("roles", sa.column("id", sa.Integer), sa.column("name", sa.String))
links = sa.table("role_permissions", sa.column("role_id", sa.Integer), sa.column("permission_id", sa.Integer))


def _grant() -> None:
    bind = op.get_bind()
    # 0003 wrote explicit ids, so PostgreSQL's sequence never moved: the next id is chosen here.
    new_id = bind.scalar(sa.select(sa.func.coalesce(sa.func.max(permissions.c.id), 0) + 1))
    op.execute(sa.insert(permissions).values(id=new_id, code=MANAGE[0], description=MANAGE[1]))
    op.execute(
        sa.insert(links).from_select(
            ["role_id", "permission_id"],
            sa.select(roles.c.id, sa.literal(new_id, sa.Integer)).where(roles.c.name.in_(MANAGERS)),
        )
    )
    op.execute(sa.update(permissions).where(permissions.c.code == LAUNCH).values(description=LAUNCH_AFTER))


def upgrade() -> None:
    op.create_table(
        "labeling_project_members",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("added_by", sa.Integer(), nullable=True),
        sa.Column(
            "added_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["added_by"],
            ["users.id"],
            name=op.f("fk_labeling_project_members_added_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["labeling_projects.id"],
            name=op.f("fk_labeling_project_members_project_id_labeling_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_labeling_project_members_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "project_id", "user_id", name=op.f("pk_labeling_project_members")
        ),
    )
    with op.batch_alter_table("labeling_project_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_labeling_project_members_user_id"), ["user_id"], unique=False)
    _grant()


def downgrade() -> None:
    manage_id = sa.select(permissions.c.id).where(permissions.c.code == MANAGE[0]).scalar_subquery()
    op.execute(sa.delete(links).where(links.c.permission_id == manage_id))
    op.execute(sa.delete(permissions).where(permissions.c.code == MANAGE[0]))
    op.execute(sa.update(permissions).where(permissions.c.code == LAUNCH).values(description=LAUNCH_BEFORE))
    with op.batch_alter_table("labeling_project_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_labeling_project_members_user_id"))
    op.drop_table("labeling_project_members")
