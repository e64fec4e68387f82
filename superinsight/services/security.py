"""Users, password sign-in with lockout, sessions that expire, and the IP allow-list."""

from __future__ import annotations

import hashlib
import ipaddress
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Integer, delete, func, select
from sqlalchemy.orm import Session

from superinsight.db.base import aware, utcnow
from superinsight.db.models import (
    DataSource,
    IpWhitelist,
    Permission,
    ProjectPermission,
    Role,
    User,
    UserSession,
)
from superinsight.db.models.security import ROLE_NAMES
from superinsight.resources import Resources
from superinsight.services import audit, inputs
from superinsight.services.context import Actor, require, system_actor
from superinsight.services.errors import AuthenticationError, InvalidInputError

MAX_FAILED_SIGN_INS = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 12
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")
WRONG_CREDENTIALS = "That email and password do not match an account in this workspace."

_hasher = PasswordHasher()


@dataclass(frozen=True)
class SignIn:
    """What the browser keeps: the session token (shown to nobody) and who signed in."""

    token: str
    actor: Actor
    email: str
    expires_at: datetime


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInputError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if password.strip() != password or len(set(password)) < 5:
        raise InvalidInputError("choose a password without leading or trailing spaces and with some variety")


def _permissions(session: Session, role_id: int) -> frozenset[str]:
    role = session.get(Role, role_id)
    return frozenset(permission.code for permission in role.permissions) if role else frozenset()


def _actor(session: Session, user: User, ip_address: str | None) -> Actor:
    scoped = session.scalars(
        select(ProjectPermission.scope_id).where(
            ProjectPermission.user_id == user.id, ProjectPermission.scope_type == "source"
        )
    ).all()
    return Actor(
        user.tenant_id,
        user.id,
        user.role.name,
        ip_address,
        _permissions(session, user.role_id),
        frozenset(int(scope) for scope in scoped) if scoped else None,
    )


def limit_to_sources(resources: Resources, actor: Actor, user_id: int, source_ids: list[int]) -> None:
    """Narrow a user to these sources (an empty list gives back access to all of them)."""
    require(actor, "users.manage")
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
    inputs.text(password, "password", 1000)
    if not EMAIL.match(email):
        raise InvalidInputError(f"{email!r} is not an email address")
    if role not in ROLE_NAMES:
        raise InvalidInputError(f"role must be one of {', '.join(ROLE_NAMES)}")
    check_password(password)
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
            password_hash=_hasher.hash(password),
        )
        uow.session.add(user)
        uow.session.flush()
        audit.record(uow.session, actor, "user.create", "user", user.id, after={"email": email, "role": role})
        uow.commit()
        return user.id


def check_ip(resources: Resources, tenant_id: str, ip_address: str | None) -> None:
    """When a tenant has allow-list entries, only addresses inside them get in."""
    with resources.uow() as uow:
        networks = uow.session.scalars(
            select(IpWhitelist.cidr).where(
                IpWhitelist.tenant_id == tenant_id, IpWhitelist.is_active.is_(True)
            )
        ).all()
    if not networks:
        return
    try:
        address = ipaddress.ip_address(ip_address or "")
    except ValueError:
        raise AuthenticationError(
            "your address could not be determined, and this workspace allows only listed addresses"
        ) from None
    if not any(address in ipaddress.ip_network(cidr, strict=False) for cidr in networks):
        raise AuthenticationError(f"this workspace does not accept sign-ins from {address}")


def allow_network(resources: Resources, actor: Actor, cidr: str, description: str = "") -> None:
    require(actor, "users.manage")
    try:
        network = ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        raise InvalidInputError(f"{cidr!r} is not an address or network such as 10.0.0.0/8") from None
    with resources.uow() as uow:
        uow.session.add(
            IpWhitelist(
                tenant_id=actor.tenant_id,
                cidr=str(network),
                description=description,
                created_by=actor.user_id,
            )
        )
        audit.record(
            uow.session, actor, "ip_whitelist.add", "ip_whitelist", None, after={"cidr": str(network)}
        )
        uow.commit()


def sign_in(
    resources: Resources, tenant_id: str, email: str, password: str, ip_address: str | None
) -> SignIn:
    """Check the password, lock the account after repeated failures, open a session."""
    for value, what in ((tenant_id, "workspace"), (email, "email"), (password, "password")):
        try:
            inputs.text(value, what, 1000)
        except InvalidInputError:
            raise AuthenticationError(WRONG_CREDENTIALS) from None
    check_ip(resources, tenant_id, ip_address)
    now = utcnow()
    with resources.uow() as uow:
        user = uow.session.scalar(
            select(User).where(User.tenant_id == tenant_id, User.email == email.strip().lower())
        )
        if user is None or not user.is_active or user.password_hash is None:
            raise AuthenticationError(WRONG_CREDENTIALS)
        if user.locked_until is not None and aware(user.locked_until) > now:
            raise AuthenticationError(
                f"Too many failed sign-ins: this account is locked until {user.locked_until:%H:%M} UTC."
            )
        try:
            _hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            user.failed_login_count += 1
            if user.failed_login_count >= MAX_FAILED_SIGN_INS:
                user.locked_until, user.failed_login_count = now + LOCKOUT, 0
            audit.record(uow.session, system_actor(tenant_id, user.id), "auth.failed", "user", user.id)
            uow.commit()
            raise AuthenticationError(WRONG_CREDENTIALS) from None
        signed = _open_session(resources, uow.session, user, ip_address)
        uow.commit()
        return signed


def _open_session(resources: Resources, session: Session, user: User, ip_address: str | None) -> SignIn:
    """Start a session for a user whose identity was just proven (password or identity provider)."""
    now = utcnow()
    token = secrets.token_urlsafe(32)
    expires_at = now + timedelta(hours=resources.settings.session_hours)
    user.failed_login_count, user.locked_until, user.last_login_at = 0, None, now
    session.add(
        UserSession(
            tenant_id=user.tenant_id,
            user_id=user.id,
            token_hash=_token_hash(token),
            expires_at=expires_at,
            last_seen_at=now,
            ip_address=ip_address,
        )
    )
    actor = _actor(session, user, ip_address)
    audit.record(session, actor, "auth.login", "user", user.id)
    return SignIn(token, actor, user.email, expires_at)


def sign_in_verified(resources: Resources, tenant_id: str, email: str, ip_address: str | None) -> SignIn:
    """Open a session for an email an identity provider (OIDC via st.login) has verified.

    Only people who already have an active account in the workspace get in: the
    provider proves who someone is, the workspace decides what they may do.
    """
    check_ip(resources, tenant_id, ip_address)
    with resources.uow() as uow:
        user = uow.session.scalar(
            select(User).where(
                User.tenant_id == tenant_id, User.email == inputs.text(email, "email").strip().lower()
            )
        )
        if user is None or not user.is_active:
            raise AuthenticationError(f"{email} has no account in this workspace; ask an admin to add you.")
        signed = _open_session(resources, uow.session, user, ip_address)
        uow.commit()
        return signed


def resolve(resources: Resources, token: str, ip_address: str | None) -> Actor:
    """The actor behind a session token, or AuthenticationError if it expired or was revoked."""
    now = utcnow()
    with resources.uow() as uow:
        row = uow.session.execute(
            select(UserSession, User)
            .join(User, User.id == UserSession.user_id)
            .where(UserSession.token_hash == _token_hash(token))
        ).one_or_none()
        if row is None:
            raise AuthenticationError("Please sign in.")
        session, user = row
        if session.revoked_at is not None or aware(session.expires_at) <= now or not user.is_active:
            raise AuthenticationError("Your session has ended. Please sign in again.")
        tenant = user.tenant_id
        actor = _actor(uow.session, user, ip_address)
        session.last_seen_at = now
        uow.commit()
    check_ip(resources, tenant, ip_address)
    return actor


def sign_out(resources: Resources, token: str) -> None:
    with resources.uow() as uow:
        session = uow.session.scalar(select(UserSession).where(UserSession.token_hash == _token_hash(token)))
        if session is not None and session.revoked_at is None:
            session.revoked_at = utcnow()
            audit.record(
                uow.session,
                system_actor(session.tenant_id, session.user_id),
                "auth.logout",
                "user",
                session.user_id,
            )
            uow.commit()


def role_permissions(resources: Resources) -> dict[str, frozenset[str]]:
    """The roles as the database holds them (what the checks use)."""
    with resources.uow() as uow:
        rows = uow.session.execute(select(Role.name, Permission.code).join(Role.permissions)).all()
    granted: dict[str, set[str]] = {}
    for role, code in rows:
        granted.setdefault(role, set()).add(code)
    return {role: frozenset(codes) for role, codes in granted.items()}


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
    if role not in ROLE_NAMES:
        raise InvalidInputError(f"role must be one of {', '.join(ROLE_NAMES)}")
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


def list_networks(resources: Resources, actor: Actor) -> list[tuple[int, str, str]]:
    require(actor, "users.manage")
    with resources.uow() as uow:
        return [
            (row.id, row.cidr, row.description)
            for row in uow.session.scalars(
                select(IpWhitelist).where(IpWhitelist.tenant_id == actor.tenant_id).order_by(IpWhitelist.cidr)
            )
        ]


def remove_network(resources: Resources, actor: Actor, network_id: int) -> None:
    require(actor, "users.manage")
    with resources.uow() as uow:
        row = uow.session.get(IpWhitelist, network_id)
        if row is None or row.tenant_id != actor.tenant_id:
            raise InvalidInputError(f"allow-list entry {network_id} does not exist")
        audit.record(
            uow.session, actor, "ip_whitelist.remove", "ip_whitelist", row.id, before={"cidr": row.cidr}
        )
        uow.session.delete(row)
        uow.commit()
