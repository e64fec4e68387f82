"""Notifications: what changed that a user should know, read and dismissed per user."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, or_, select, true, update
from sqlalchemy.orm import aliased

from superinsight.db import dialect
from superinsight.db.base import utcnow
from superinsight.db.models import BusinessLogicNotification, NotificationReceipt
from superinsight.resources import Resources
from superinsight.services.context import Actor, require
from superinsight.services.errors import InvalidInputError
from superinsight.vocabulary import RECEIPT_STATUSES


@dataclass(frozen=True)
class NotificationRow:
    id: int
    kind: str
    title: str
    message: str
    status: str
    created_at: datetime


def _visible(actor: Actor) -> ColumnElement[bool]:
    """The notifications shown to this actor: their own and, unless narrowed to some sources,
    the workspace's (for nobody in particular)."""
    own = BusinessLogicNotification.user_id == actor.user_id
    if actor.source_ids is not None:
        # Workspace-wide news (rule runs, quality drops) is about every source: only their own.
        return and_(own, literal(actor.user_id is not None))
    if actor.user_id is None:
        return true()
    return or_(own, BusinessLogicNotification.user_id.is_(None))


def _status(actor: Actor) -> tuple[Any, Any]:
    """The status column as this actor sees it, and the join that gives it.

    A user's own reading is a receipt, so marking a workspace notification read or
    dismissed changes it for them only; the CLI and jobs (no user) use the row's own.
    """
    receipt = aliased(NotificationReceipt)
    joined = and_(receipt.notification_id == BusinessLogicNotification.id, receipt.user_id == actor.user_id)
    if actor.user_id is None:
        return BusinessLogicNotification.status, None
    return func.coalesce(receipt.status, BusinessLogicNotification.status), (receipt, joined)


def notifications(
    resources: Resources, actor: Actor, *, unread_only: bool = False, limit: int = 100
) -> list[NotificationRow]:
    """The tenant's notifications for this user, or for nobody in particular."""
    require(actor, "documents.view")
    status, join = _status(actor)
    query = select(BusinessLogicNotification, status).where(
        BusinessLogicNotification.tenant_id == actor.tenant_id, _visible(actor), status != "dismissed"
    )
    if join is not None:
        query = query.outerjoin(*join)
    if unread_only:
        query = query.where(status == "unread")
    with resources.uow() as uow:
        rows = uow.session.execute(query.order_by(BusinessLogicNotification.id.desc()).limit(limit)).all()
        return [
            NotificationRow(r.id, r.notification_type, r.title, r.message, seen, r.created_at)
            for r, seen in rows
        ]


def unread_count(resources: Resources, actor: Actor) -> int:
    """How many notifications this user has not read: the sidebar's inbox figure."""
    require(actor, "documents.view")
    status, join = _status(actor)
    query = (
        select(func.count())
        .select_from(BusinessLogicNotification)
        .where(BusinessLogicNotification.tenant_id == actor.tenant_id, _visible(actor), status == "unread")
    )
    if join is not None:
        query = query.outerjoin(*join)
    with resources.uow() as uow:
        return int(uow.session.scalar(query) or 0)


def mark_notifications(resources: Resources, actor: Actor, ids: Sequence[int], status: str) -> int:
    """Mark notifications read or dismissed for this user; returns how many changed."""
    require(actor, "documents.view")
    if status not in RECEIPT_STATUSES:
        raise InvalidInputError("notifications can be marked read or dismissed")
    current, join = _status(actor)
    query = select(BusinessLogicNotification.id).where(
        BusinessLogicNotification.tenant_id == actor.tenant_id,
        _visible(actor),
        BusinessLogicNotification.id.in_(list(ids)),
        current != status,
    )
    if join is not None:
        query = query.outerjoin(*join)
    now = utcnow()
    with resources.uow() as uow:
        changing = list(uow.session.scalars(query))
        if changing and actor.user_id is None:
            stamp = {"status": status, "read_at" if status == "read" else "dismissed_at": now}
            uow.session.execute(
                update(BusinessLogicNotification)
                .where(BusinessLogicNotification.id.in_(changing))
                .values(**stamp)
            )
        elif changing:
            statement = dialect.insert(uow.session, NotificationReceipt).values(
                [
                    {"tenant_id": actor.tenant_id, "notification_id": id_, "user_id": actor.user_id}
                    | {"status": status, "at": now}
                    for id_ in changing
                ]
            )
            uow.session.execute(
                statement.on_conflict_do_update(
                    index_elements=["notification_id", "user_id"],
                    set_={"status": statement.excluded.status, "at": statement.excluded.at},
                )
            )
        uow.commit()
        return len(changing)
