"""Checks for what people type, shared by every service that takes text."""

from __future__ import annotations

from typing import Any

from superinsight.services.errors import InvalidInputError


def has_nul(value: Any) -> bool:
    """A NUL character anywhere in a value, its keys or its items (no store keeps one)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(map(has_nul, value)) or any(map(has_nul, value.values()))
    if isinstance(value, list | tuple):
        return any(map(has_nul, value))
    return False


def text(value: str, what: str, max_length: int = 255) -> str:
    """The value, if it is text a person could mean: no NUL, not absurdly long."""
    if has_nul(value):
        raise InvalidInputError(f"{what} contains a NUL character")
    if len(value) > max_length:
        raise InvalidInputError(f"{what} is longer than {max_length} characters")
    return value
