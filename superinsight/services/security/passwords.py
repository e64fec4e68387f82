"""Passwords: the policy a new one must meet, and how they are hashed and checked."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from sqlalchemy import update
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn

from superinsight.db.base import utcnow
from superinsight.db.models import User, UserSession
from superinsight.services import inputs
from superinsight.services.errors import InvalidInputError

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1000
# zxcvbn's scale: 0-2 fall to an online or a throttled offline guesser; 3 needs ~10^8 guesses.
MIN_STRENGTH = 3
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")
HASHER = PasswordHasher()
POLICY = (
    f"at least {MIN_PASSWORD_LENGTH} characters, not your email address or its parts, "
    "and not a common or easily guessed password"
)


def _email_parts(email: str) -> list[str]:
    email = email.strip().lower()
    local, _, domain = email.partition("@")
    words = [w for w in re.split(r"[@.+_\-\s]+", email) if len(w) >= 3]
    return sorted({email, local, domain, *words} - {""}, key=len, reverse=True)


def check_password(password: str, email: str = "") -> None:
    """Refuse a password that is short, made of the email address, or common (zxcvbn's estimate).

    The demo accounts' generated passwords pass (tests/unit/test_passwords.py).
    """
    inputs.text(password, "a password", MAX_PASSWORD_LENGTH)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInputError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if password.strip() != password:
        raise InvalidInputError("choose a password without leading or trailing spaces")
    lowered = password.lower()
    parts = _email_parts(email)
    whole = [p for p in parts if "@" in p or "." in p or len(p) >= 4]
    rest = lowered
    for part in parts:
        rest = rest.replace(part, "")
    if any(part in lowered for part in whole) or len(rest) < MIN_PASSWORD_LENGTH - 4:
        raise InvalidInputError("a password must not be your email address or made from its parts")
    estimate = zxcvbn(password[:100], user_inputs=parts)
    if len(set(password)) < 5 or estimate["score"] < MIN_STRENGTH:
        warning = estimate["feedback"].get("warning") or "it is too easy to guess"
        raise InvalidInputError(
            f"choose a stronger password: {warning.rstrip('.').lower()}. "
            "A few unrelated words, or a password manager's, will do"
        )


def replace(session: Session, user: User, password: str, *, must_change: bool) -> None:
    """Store a new password (checked against the policy) and end every session the old one opened."""
    check_password(password, user.email)
    user.password_hash = HASHER.hash(password)
    user.must_change_password = must_change
    user.failed_login_count, user.locked_until = 0, None
    session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
