"""Signing in and out: sessions by token, lock-outs after failed attempts, the actor a token stands for."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from superinsight.db.base import aware, utcnow
from superinsight.db.models import ProjectPermission, Role, User, UserSession
from superinsight.resources import Resources
from superinsight.services import audit, inputs
from superinsight.services.context import Actor, internal, system_actor
from superinsight.services.errors import AuthenticationError, InvalidInputError
from superinsight.services.security.networks import check_ip
from superinsight.services.security.passwords import HASHER

MAX_FAILED_SIGN_INS = 5
LOCKOUT = timedelta(minutes=15)
WRONG_CREDENTIALS = "That email and password do not match an account in this workspace."


@dataclass(frozen=True)
class SignIn:
    """What the browser keeps: the session token (shown to nobody) and who signed in."""

    token: str
    actor: Actor
    email: str
    expires_at: datetime


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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


@internal("signing in is how an actor comes to exist; failures are throttled and audited")
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
            HASHER.verify(user.password_hash, password)
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


@internal("the identity provider has signed the person in; this opens their session")
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


@internal("ends the session the token names; only its holder has the token")
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
