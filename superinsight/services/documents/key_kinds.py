"""Which JSON kinds each metadata key holds, per source: written with the documents, read by rules.

Every writer of `documents.metadata` (a batch of a sync, an upload or the demo; an
edit; a conflict settled for the source's version) calls `record` in the transaction
that writes the documents, so whatever a reader sees of the documents, the table
already lists their kinds. Nothing is ever taken out (an edit or a delete leaves its
rows behind): the table is a superset, which is safe for both readers. The rule
compiler only drops branches for kinds *not* listed, which no document holds; a
kind listed but no longer held just keeps a branch that no row takes. The rule
editor may offer a key no document holds any more, as a scan of a moment ago would.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, func, literal, not_, or_, select, true
from sqlalchemy.orm import Session

from superinsight.db import dialect
from superinsight.db.models import Document, MetadataKeyKind
from superinsight.rules.sqlkinds import Condition
from superinsight.rules.sqlknown import KeyKinds, KindsByKey

MAX_KEY = 255
"""Longer keys are not recorded: a rule names fields of at most 64 letters, digits and _."""


def record(session: Session, tenant_id: str, source_id: int, rows: Any, metadata: Any, *where: Any) -> None:
    """Add the (key, kind) pairs of `metadata` in `rows` (a table, filtered by `where`) for the source.

    One INSERT ... SELECT DISTINCT ... ON CONFLICT DO NOTHING: the database reads the
    JSON it has just been given, and a pair already listed costs nothing.
    """
    entries, kind = dialect.json_object_kinds(session, metadata)
    pairs = (
        select(literal(tenant_id), literal(source_id), entries.c.key, kind)
        .distinct()
        .select_from(rows)
        .join(entries, true())
        .where(func.length(entries.c.key) <= MAX_KEY, *where)
    )
    statement = dialect.insert(session, MetadataKeyKind).from_select(
        ["tenant_id", "source_id", "key", "kind"], pairs
    )
    session.execute(statement.on_conflict_do_nothing())


def record_document(session: Session, document: Document) -> None:
    """After one document's metadata changed in the session: its kinds, from the row as written."""
    if document.source_id is None:
        return
    session.flush()
    this = Document.id == document.id
    record(session, document.tenant_id, document.source_id, Document, Document.meta, this)


def known_kinds(session: Session, tenant_id: str) -> KeyKinds:
    """The kinds each metadata key holds across the tenant's documents, for compiling rules.

    Read once per compiled rule; the SQL checks in the same statement that they still hold.
    """
    kinds: dict[str, set[str]] = {}
    table = MetadataKeyKind
    rows = session.execute(select(table.key, table.kind).distinct().where(table.tenant_id == tenant_id))
    for key, kind in rows:
        kinds.setdefault(key, set()).add(kind)

    def unchanged(used: KindsByKey) -> Condition:
        other = [
            and_(table.key == key, table.kind.not_in(sorted(held))) if held else table.key == key
            for key, held in sorted(used.items())
        ]
        return not_(exists().where(table.tenant_id == tenant_id, or_(*other)))

    return KeyKinds("metadata", {key: frozenset(held) for key, held in kinds.items()}, unchanged)
