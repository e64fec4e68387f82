"""Who is asking: every service call carries an actor and is scoped to its tenant."""

from __future__ import annotations

from dataclasses import dataclass

DEMO_TENANT = "demo"


@dataclass(frozen=True)
class Actor:
    tenant_id: str
    user_id: int | None = None
    role: str = "admin"
    ip_address: str | None = None


def system_actor(tenant_id: str = DEMO_TENANT) -> Actor:
    """The CLI and scheduled jobs act as the system, not as a person."""
    return Actor(tenant_id=tenant_id, user_id=None, role="admin", ip_address=None)
