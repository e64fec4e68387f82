"""Sign-in throttles: failed attempts counted per address and per email without an account.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 21:00:00

Why: a lock on the account alone lets one address try every account, and lets
anyone tell an account that exists (it locks) from one that does not (it never
does). Failures are now counted per (workspace, address) and per unknown email
too, in rows the database updates atomically, so concurrent attempts cannot
slip past the count.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sign_in_throttles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_throttles")),
        sa.UniqueConstraint("tenant_id", "key", name=op.f("uq_sign_in_throttles_tenant_id_key")),
    )
    op.create_index(op.f("ix_sign_in_throttles_tenant_id"), "sign_in_throttles", ["tenant_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_sign_in_throttles_tenant_id"), table_name="sign_in_throttles")
    op.drop_table("sign_in_throttles")
