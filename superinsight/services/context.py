"""Who is asking: every service call carries an actor, scoped to its tenant and permissions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from superinsight.services.errors import PermissionDeniedError
from superinsight.services.permissions import PERMISSIONS, ROLE_PERMISSIONS

DEMO_TENANT = "demo"
Func = TypeVar("Func", bound=Callable[..., Any])


def internal(reason: str) -> Callable[[Func], Func]:
    """Mark a service function that checks no actor, with why that is safe.

    tests/unit/test_service_guards.py fails for any function a page, the CLI or a
    job can reach that neither checks its actor nor carries this mark.
    """

    def mark(func: Func) -> Func:
        func.__internal__ = reason  # type: ignore[attr-defined]
        return func

    return mark


def job_entry(queued_by: str) -> Callable[[Func], Func]:
    """Mark what a worker runs: it takes ids, not an actor, and acts as the system actor, so
    the check belongs to the one call that queues it (`queued_by`)."""
    return internal(f"a job entry point, queued only by {queued_by}; the worker runs it as the system actor")


@dataclass(frozen=True)
class Actor:
    """A signed-in user (or the system), with what their role allows. Denies by default."""

    tenant_id: str
    user_id: int | None = None
    role: str = "viewer"
    ip_address: str | None = None
    permissions: frozenset[str] = field(default_factory=frozenset)
    # project_permissions can narrow a user to some sources; None means all of the tenant's.
    source_ids: frozenset[int] | None = None

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def sees_source(self, source_id: int | None) -> bool:
        return self.source_ids is None or source_id in self.source_ids


def require_whole_tenant(actor: Actor, action: str) -> None:
    """Some actions touch every source at once; a user narrowed to some sources may not take them."""
    if actor.source_ids is not None:
        raise PermissionDeniedError(f"your access is limited to some sources, so you may not {action}")


def require(actor: Actor, permission: str) -> None:
    """Refuse, before anything is read or written, an action the actor's role does not allow."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")
    if not actor.can(permission):
        raise PermissionDeniedError(
            f"your role ({actor.role}) may not {PERMISSIONS[permission]}; ask an admin for access"
        )


@internal("builds an actor from a role for tests and the CLI; checks nothing and reads nothing")
def role_actor(tenant_id: str, role: str, user_id: int | None = None, ip_address: str | None = None) -> Actor:
    return Actor(tenant_id, user_id, role, ip_address, ROLE_PERMISSIONS[role])


@internal("the actor of the CLI and of jobs already authorised when they were started")
def system_actor(tenant_id: str = DEMO_TENANT, user_id: int | None = None) -> Actor:
    """The CLI, scheduled jobs and jobs already authorised when they were started."""
    return Actor(tenant_id, user_id, "system", None, frozenset(PERMISSIONS))
