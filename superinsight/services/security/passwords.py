"""Passwords: how they are hashed and checked."""

from __future__ import annotations

import re

from argon2 import PasswordHasher

from superinsight.services.errors import InvalidInputError

MIN_PASSWORD_LENGTH = 12
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")
HASHER = PasswordHasher()


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInputError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if password.strip() != password or len(set(password)) < 5:
        raise InvalidInputError("choose a password without leading or trailing spaces and with some variety")
