"""Full-text search for the embedded SQLite store.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 10:22:00

Why: PostgreSQL searches documents through the GIN index of revision 0001; SQLite
needs an FTS5 index kept in step with the documents table by triggers. The
index is external-content (it stores no second copy of the text).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATEMENTS = (
    "CREATE VIRTUAL TABLE documents_fts USING fts5("
    "title, content, content='documents', content_rowid='id', tokenize='porter unicode61')",
    "CREATE TRIGGER documents_fts_insert AFTER INSERT ON documents BEGIN "
    "INSERT INTO documents_fts(rowid, title, content) VALUES (new.id, new.title, new.content); END",
    "CREATE TRIGGER documents_fts_delete AFTER DELETE ON documents BEGIN "
    "INSERT INTO documents_fts(documents_fts, rowid, title, content) "
    "VALUES ('delete', old.id, old.title, old.content); END",
    "CREATE TRIGGER documents_fts_update AFTER UPDATE OF title, content ON documents BEGIN "
    "INSERT INTO documents_fts(documents_fts, rowid, title, content) "
    "VALUES ('delete', old.id, old.title, old.content); "
    "INSERT INTO documents_fts(rowid, title, content) VALUES (new.id, new.title, new.content); END",
    "INSERT INTO documents_fts(documents_fts) VALUES ('rebuild')",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for trigger in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS documents_fts_{trigger}")
    op.execute("DROP TABLE IF EXISTS documents_fts")
