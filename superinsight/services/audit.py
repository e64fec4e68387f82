"""Audit entries, added to the caller's session so they commit or vanish with the change."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from superinsight.db.models import AuditLog
from superinsight.services.context import Actor


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: str | int | None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditLog(
            tenant_id=actor.tenant_id,
            user_id=actor.user_id,
            action=action,
            entity_type=entity_type,
            entity_id=None if entity_id is None else str(entity_id),
            before=before,
            after=after,
            ip_address=actor.ip_address,
        )
    )
