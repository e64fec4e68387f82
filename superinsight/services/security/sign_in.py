"""Signing in and out: sessions by token, lock-outs after failed attempts, the actor a token stands for."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from superinsight.db.base import aware, utcnow
from superinsight.db.models import ProjectPermission, Role, User, UserSession
from superinsight.resources import Resources
from superinsight.services import audit, inputs
from superinsight.services.context import Actor, internal, system_actor
from superinsight.services.errors import AuthenticationError, InvalidInputError, PasswordChangeRequiredError
from superinsight.services.security import passwords, throttle
from superinsight.services.security.networks import check_ip, normal_address

# Also the answer from outside a workspace's allow-list, whatever the password (see sign_in).
WRONG_CREDENTIALS = (
    "That email and password do not match an account in this workspace, "
    "or the workspace does not accept sign-ins from your address."
)
MAX_FAILED_SIGN_INS = throttle.MAX_FAILED_SIGN_INS
# Checked when an email has no account, so an unknown email costs the same time as a wrong password.
_DUMMY_HASH = passwords.HASHER.hash(secrets.token_urlsafe(32))


@dataclass(frozen=True)
class SignIn:
    """What the browser keeps: the session token (shown to nobody) and who signed in."""

    token: str = field(repr=False)
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


@internal("audits a refused sign-in: the sign-in paths call it before anyone has an actor")
def record_failure(
    resources: Resources, tenant_id: str, user_id: int | None, address: str | None, email: str, reason: str
) -> None:
    """Audit a refused attempt in its own transaction (it must stay when the refusal is raised)."""
    with resources.uow() as uow:
        audit.record(
            uow.session,
            Actor(tenant_id, user_id, "anonymous", address),
            "auth.failed",
            "user",
            user_id,
            after={"email": inputs.printable(email), "reason": reason},
        )
        uow.commit()


def _locked(until: datetime, whose: str) -> AuthenticationError:
    return AuthenticationError(f"Too many failed sign-ins {whose}: try again after {aware(until):%H:%M} UTC.")


@dataclass(frozen=True)
class _Attempt:
    """What the claim step found: whose account (if any), its hash, and a lock that refuses the try."""

    user_id: int | None
    password_hash: str | None
    locked: AuthenticationError | None
    reason: str


def _claim(resources: Resources, tenant_id: str, email: str, password: str, address: str | None) -> _Attempt:
    """Find the account and claim one try for the address and the account (or unknown email), committed."""
    plausible = inputs.plausible(email, 255) and inputs.plausible(password, 1000)
    with resources.uow() as uow:
        user = (
            uow.session.scalar(select(User).where(User.tenant_id == tenant_id, User.email == email))
            if plausible
            else None
        )
        user_id = user.id if user is not None else None
        password_hash = user.password_hash if user is not None and user.is_active else None
        reason = (
            "wrong password" if password_hash else "no such account" if user is None else "account inactive"
        )
        locked: AuthenticationError | None = None
        if address is not None and (
            until := throttle.claim(
                uow.session, tenant_id, throttle.address_key(address), throttle.MAX_FAILED_PER_ADDRESS
            )
        ):
            locked, reason = _locked(until, "from your address"), "address throttled"
        elif until := (
            throttle.claim_account(uow.session, user_id)
            if password_hash and user_id is not None
            else throttle.claim(
                uow.session, tenant_id, throttle.email_key(email), MAX_FAILED_SIGN_INS, windowed=False
            )
        ):
            locked, reason = _locked(until, "for this account"), "account locked"
        uow.commit()
    return _Attempt(user_id, password_hash, locked, reason)


@internal("signing in is how an actor comes to exist; failures are throttled and audited")
def sign_in(
    resources: Resources,
    tenant_id: str,
    email: str,
    password: str,
    ip_address: str | None,
    *,
    new_password: str | None = None,
) -> SignIn:
    """Check the password; every failure is counted per account (or unknown email) and per address.

    With `new_password` the password is changed as the session opens (how a user
    changes their own, and must after an admin's reset: without it such an account
    gets `PasswordChangeRequiredError` and no session).

    Tries are claimed before the password is checked, each in one atomic update,
    so concurrent attempts cannot get more than the limit. An unknown email is
    answered like a wrong password, after the same work (a count claimed, a hash
    checked), and is locked after as many failures as an account. An address
    outside the workspace's allow-list is counted and answered as a wrong
    password, its own hash never checked: from outside the list nobody can tell
    a right password, nor whether the workspace exists or keeps a list (the
    audit says why). Every refusal is audited with the address it came from.
    """
    address = normal_address(ip_address)
    if new_password is not None:
        if new_password == password:
            raise InvalidInputError("the new password must differ from the current one")
        passwords.check_password(new_password, email)
    if not inputs.plausible(tenant_id, 64):
        _verify(_DUMMY_HASH, password)
        raise AuthenticationError(WRONG_CREDENTIALS)
    attempt = _claim(resources, tenant_id, email.strip().lower(), password, address)
    if attempt.locked is not None:
        record_failure(resources, tenant_id, attempt.user_id, address, email, attempt.reason)
        raise attempt.locked
    try:
        check_ip(resources, tenant_id, address)
    except AuthenticationError:
        _verify(_DUMMY_HASH, password)  # never the account's hash: no answer says if it was right
        record_failure(resources, tenant_id, attempt.user_id, address, email, "address not allowed")
        raise AuthenticationError(WRONG_CREDENTIALS) from None
    if not _verify(attempt.password_hash or _DUMMY_HASH, password) or attempt.password_hash is None:
        record_failure(resources, tenant_id, attempt.user_id, address, email, attempt.reason)
        raise AuthenticationError(WRONG_CREDENTIALS)
    with resources.uow() as uow:
        user = uow.session.get(User, attempt.user_id)
        if user is None or not user.is_active:
            raise AuthenticationError(WRONG_CREDENTIALS)
        if address is not None:
            throttle.release(
                uow.session, tenant_id, throttle.address_key(address), throttle.MAX_FAILED_PER_ADDRESS
            )
        if new_password is not None:
            passwords.replace(uow.session, user, new_password, must_change=False)
            audit.record(
                uow.session,
                Actor(tenant_id, user.id, user.role.name, address),
                "user.password_change",
                "user",
                user.id,
            )
        elif user.must_change_password:
            user.failed_login_count, user.locked_until = 0, None
            uow.commit()
            raise PasswordChangeRequiredError(
                "Your password was reset by an admin: choose a new one to sign in."
            )
        signed = open_session(resources, uow.session, user, address)
        uow.commit()
        return signed


def _verify(password_hash: str, password: str) -> bool:
    try:
        # Longer than any password that can be set: checked cut, so a huge one costs no more time.
        return bool(passwords.HASHER.verify(password_hash, password[:1000].encode("utf-8", "surrogatepass")))
    except (VerificationError, InvalidHashError):
        return False


def open_session(resources: Resources, session: Session, user: User, ip_address: str | None) -> SignIn:
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


SEEN_EVERY = timedelta(minutes=1)
"""How stale a session's `last_seen_at` may get. Every page run resolves its token; writing the
time on each made every click a write and a commit (90 ms of a SQLite click under load)."""


@internal("turns a session token into its actor: how every other check gets an actor at all")
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
        if now - aware(session.last_seen_at) >= SEEN_EVERY:
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
