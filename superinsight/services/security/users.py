"""User accounts of a workspace: create, list, roles, deactivation, narrowing to sources."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, delete, func, select
from sqlalchemy.orm import Session

from superinsight.db.base import aware, utcnow
from superinsight.db.models import DataSource, Permission, ProjectPermission, Role, User
from superinsight.resources import Resources
from superinsight.services import audit, inputs
from superinsight.services.context import Actor, internal, require
from superinsight.services.errors import InvalidInputError
from superinsight.services.security import passwords
from superinsight.services.security.passwords import EMAIL, HASHER, check_password
from superinsight.vocabulary import ROLES


def limit_to_sources(resources: Resources, actor: Actor, user_id: int, source_ids: list[int]) -> None:
    """Narrow a user to these sources (an empty list gives back access to all of them)."""
    require(actor, "users.manage")
    source_ids = inputs.values(source_ids, "sources a user is limited to")
    with resources.uow() as uow:
        user = _tenant_user(uow.session, actor, user_id)
        known = set(
            uow.session.scalars(
                select(DataSource.id).where(
                    DataSource.tenant_id == actor.tenant_id, DataSource.id.in_(source_ids)
                )
            )
        )
        if known != set(source_ids):
            raise InvalidInputError(f"no such source(s): {sorted(set(source_ids) - known)}")
        uow.session.execute(
            delete(ProjectPermission).where(
                ProjectPermission.user_id == user.id, ProjectPermission.scope_type == "source"
            )
        )
        uow.session.add_all(
            ProjectPermission(
                tenant_id=actor.tenant_id,
                user_id=user.id,
                scope_type="source",
                scope_id=str(sid),
                permission="view",
                granted_by=actor.user_id,
            )
            for sid in sorted(known)
        )
        audit.record(uow.session, actor, "user.scope", "user", user.id, after={"source_ids": sorted(known)})
        uow.commit()


def create_user(
    resources: Resources, actor: Actor, email: str, password: str, role: str, full_name: str = ""
) -> int:
    """A new account in the actor's tenant; only admins (users.manage) may create one."""
    require(actor, "users.manage")
    email = inputs.text(email, "email").strip().lower()
    inputs.text(password, "password", passwords.MAX_PASSWORD_LENGTH)
    full_name = inputs.text(full_name, "full name", 255).strip()
    if not EMAIL.match(email):
        raise InvalidInputError(f"{email!r} is not an email address")
    if role not in ROLES:
        raise InvalidInputError(f"role must be one of {', '.join(ROLES)}")
    check_password(password, email)
    with resources.uow() as uow:
        taken = uow.session.scalar(
            select(User.id).where(User.tenant_id == actor.tenant_id, User.email == email)
        )
        if taken is not None:
            raise InvalidInputError(f"{email} already has an account in this workspace")
        role_id = uow.session.scalar(select(Role.id).where(Role.name == role))
        if role_id is None:
            raise InvalidInputError(f"the role {role!r} is missing: run `superinsight migrate`")
        user = User(
            tenant_id=actor.tenant_id,
            email=email,
            full_name=full_name,
            role_id=role_id,
            password_hash=HASHER.hash(password),
        )
        uow.session.add(user)
        uow.session.flush()
        audit.record(uow.session, actor, "user.create", "user", user.id, after={"email": email, "role": role})
        uow.commit()
        return user.id


@internal("the role table is the same for every workspace and holds no workspace data")
def role_permissions(resources: Resources) -> dict[str, frozenset[str]]:
    """The roles as the database holds them (what the checks use)."""
    with resources.uow() as uow:
        rows = uow.session.execute(select(Role.name, Permission.code).join(Role.permissions)).all()
    granted: dict[str, set[str]] = {}
    for role, code in rows:
        granted.setdefault(role, set()).add(code)
    return {role: frozenset(codes) for role, codes in granted.items()}


@internal("tells the sign-in page whether a first admin must be created; a yes or no")
def has_users(resources: Resources, tenant_id: str) -> bool:
    with resources.uow() as uow:
        return uow.session.scalar(select(User.id).where(User.tenant_id == tenant_id).limit(1)) is not None


@dataclass(frozen=True)
class UserRow:
    id: int
    email: str
    full_name: str
    role: str
    is_active: bool
    last_login_at: datetime | None
    locked: bool
    limited_to: list[str]


def list_users(resources: Resources, actor: Actor) -> list[UserRow]:
    require(actor, "users.manage")
    now = utcnow()
    with resources.uow() as uow:
        scopes: dict[int, list[str]] = {}
        for user_id, source in uow.session.execute(
            select(ProjectPermission.user_id, DataSource.name)
            .join(DataSource, DataSource.id == func.cast(ProjectPermission.scope_id, Integer))
            .where(ProjectPermission.tenant_id == actor.tenant_id, ProjectPermission.scope_type == "source")
            .order_by(DataSource.name)
        ):
            scopes.setdefault(user_id, []).append(source)
        users = uow.session.scalars(
            select(User).where(User.tenant_id == actor.tenant_id).order_by(User.email)
        )
        return [
            UserRow(
                u.id,
                u.email,
                u.full_name,
                u.role.name,
                u.is_active,
                u.last_login_at,
                u.locked_until is not None and aware(u.locked_until) > now,
                scopes.get(u.id, []),
            )
            for u in users
        ]


def _tenant_user(session: Session, actor: Actor, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or user.tenant_id != actor.tenant_id:
        raise InvalidInputError(f"user {user_id} does not exist")
    return user


def _other_active_admins(session: Session, user: User) -> int:
    return len(
        session.scalars(
            select(User.id)
            .join(Role)
            .where(
                User.tenant_id == user.tenant_id,
                Role.name == "admin",
                User.is_active.is_(True),
                User.id != user.id,
            )
        ).all()
    )


def set_role(resources: Resources, actor: Actor, user_id: int, role: str) -> None:
    require(actor, "users.manage")
    if role not in ROLES:
        raise InvalidInputError(f"role must be one of {', '.join(ROLES)}")
    with resources.uow() as uow:
        user = _tenant_user(uow.session, actor, user_id)
        if user.role.name == "admin" and role != "admin" and not _other_active_admins(uow.session, user):
            raise InvalidInputError("a workspace needs at least one active admin")
        before = user.role.name
        user.role = uow.session.scalars(select(Role).where(Role.name == role)).one()
        audit.record(
            uow.session, actor, "user.role", "user", user.id, before={"role": before}, after={"role": role}
        )
        uow.commit()


def set_user_active(resources: Resources, actor: Actor, user_id: int, active: bool) -> None:
    """Deactivating ends the user's sessions at their next request."""
    require(actor, "users.manage")
    with resources.uow() as uow:
        user = _tenant_user(uow.session, actor, user_id)
        if not active and user.role.name == "admin" and not _other_active_admins(uow.session, user):
            raise InvalidInputError("a workspace needs at least one active admin")
        if user.is_active != active:
            user.is_active = active
            audit.record(
                uow.session, actor, "user.activate" if active else "user.deactivate", "user", user.id
            )
            uow.commit()


def reset_password(resources: Resources, actor: Actor, user_id: int, password: str) -> None:
    """Give a user a new password that they must change at their next sign-in; their sessions end."""
    require(actor, "users.manage")
    inputs.text(password, "password", passwords.MAX_PASSWORD_LENGTH)
    with resources.uow() as uow:
        user = _tenant_user(uow.session, actor, user_id)
        passwords.replace(uow.session, user, password, must_change=True)
        audit.record(uow.session, actor, "user.password_reset", "user", user.id, after={"email": user.email})
        uow.commit()
