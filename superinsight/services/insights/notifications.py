"""Notifications: what changed that a user should know, read and dismissed per user."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, literal, select, true, update

from superinsight.db.base import utcnow
from superinsight.db.models import BusinessLogicNotification
from superinsight.resources import Resources
from superinsight.services.context import Actor, require
from superinsight.services.errors import InvalidInputError


@dataclass(frozen=True)
class NotificationRow:
    id: int
    kind: str
    title: str
    message: str
    status: str
    created_at: datetime


def notifications(
    resources: Resources, actor: Actor, *, unread_only: bool = False, limit: int = 100
) -> list[NotificationRow]:
    """The tenant's notifications for this user, or for nobody in particular."""
    require(actor, "documents.view")
    query = select(BusinessLogicNotification).where(
        BusinessLogicNotification.tenant_id == actor.tenant_id,
        BusinessLogicNotification.status != "dismissed",
    )
    if actor.source_ids is not None:
        # Workspace-wide news (rule runs, quality drops) is about every source: only their own.
        query = query.where(
            BusinessLogicNotification.user_id == actor.user_id, literal(actor.user_id is not None)
        )
    elif actor.user_id is not None:
        query = query.where(
            (BusinessLogicNotification.user_id == actor.user_id) | BusinessLogicNotification.user_id.is_(None)
        )
    if unread_only:
        query = query.where(BusinessLogicNotification.status == "unread")
    with resources.uow() as uow:
        rows = uow.session.scalars(query.order_by(BusinessLogicNotification.id.desc()).limit(limit)).all()
        return [
            NotificationRow(r.id, r.notification_type, r.title, r.message, r.status, r.created_at)
            for r in rows
        ]


def mark_notifications(resources: Resources, actor: Actor, ids: Sequence[int], status: str) -> int:
    """Mark notifications read or dismissed; returns how many changed."""
    require(actor, "documents.view")
    if status not in ("read", "dismissed"):
        raise InvalidInputError("notifications can be marked read or dismissed")
    stamp: dict[str, Any] = {"status": status, "read_at" if status == "read" else "dismissed_at": utcnow()}
    if actor.source_ids is not None:
        mine = BusinessLogicNotification.user_id == actor.user_id
    elif actor.user_id is not None:
        mine = (BusinessLogicNotification.user_id == actor.user_id) | BusinessLogicNotification.user_id.is_(
            None
        )
    else:
        mine = true()
    with resources.uow() as uow:
        result: CursorResult[Any] = uow.session.execute(  # type: ignore[assignment]
            update(BusinessLogicNotification)
            .where(
                mine,
                BusinessLogicNotification.tenant_id == actor.tenant_id,
                BusinessLogicNotification.id.in_(list(ids)),
                BusinessLogicNotification.status != status,
            )
            .values(**stamp)
        )
        uow.commit()
        return int(result.rowcount or 0)
