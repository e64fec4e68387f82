"""Notifications are read and dismissed per user: one user's reading takes nothing from the others."""

from __future__ import annotations

from superinsight.db.models import BusinessLogicNotification
from superinsight.resources import Resources
from superinsight.services.context import Actor, role_actor, system_actor
from superinsight.services.insights import notifications
from superinsight.services.security import users

TENANT = "acme"
ADMIN = system_actor(TENANT)


def _user(resources: Resources, email: str) -> Actor:
    user_id = users.create_user(resources, ADMIN, email, "Quiet-Harbour-Lantern-92", "viewer")
    return role_actor(TENANT, "viewer", user_id=user_id)


def _shown(resources: Resources, actor: Actor, **options: bool) -> dict[str, str]:
    return {row.title: row.status for row in notifications.notifications(resources, actor, **options)}


def test_a_workspace_notification_read_or_dismissed_by_one_user_stays_for_the_others(
    resources: Resources,
) -> None:
    ann, bob = _user(resources, "ann@acme.example"), _user(resources, "bob@acme.example")
    with resources.uow() as uow:
        uow.session.add_all(
            [
                BusinessLogicNotification(tenant_id=TENANT, notification_type="quality_drop", title="Drop"),
                BusinessLogicNotification(tenant_id=TENANT, notification_type="rule_change", title="Run"),
                BusinessLogicNotification(
                    tenant_id=TENANT, user_id=ann.user_id, notification_type="rule_change", title="Ann's"
                ),
            ]
        )
        uow.commit()
    ids = {row.title: row.id for row in notifications.notifications(resources, ann)}
    assert (notifications.unread_count(resources, ann), notifications.unread_count(resources, bob)) == (3, 2)
    assert notifications.mark_notifications(resources, ann, [ids["Drop"]], "dismissed") == 1
    assert notifications.mark_notifications(resources, ann, [ids["Run"], ids["Ann's"]], "read") == 2
    assert notifications.mark_notifications(resources, ann, [ids["Run"]], "read") == 0
    assert _shown(resources, ann) == {"Run": "read", "Ann's": "read"}
    assert _shown(resources, ann, unread_only=True) == {}
    assert _shown(resources, bob) == {"Drop": "unread", "Run": "unread"}
    assert (notifications.unread_count(resources, ann), notifications.unread_count(resources, bob)) == (0, 2)
    assert notifications.mark_notifications(resources, bob, [ids["Ann's"]], "dismissed") == 0
    assert _shown(resources, ann)["Ann's"] == "read"
