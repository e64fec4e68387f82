"""Errors a service raises for a person to read: they say what was wrong, nothing changed."""

from __future__ import annotations


class ServiceError(Exception):
    """Base for refusals a page shows as they are."""


class NotFoundError(ServiceError):
    pass


class InvalidInputError(ServiceError, ValueError):
    pass


class PermissionDeniedError(ServiceError):
    """The actor's role does not allow this; nothing was read or changed."""


class AuthenticationError(ServiceError):
    """Sign-in refused or session no longer valid."""


class PasswordChangeRequiredError(AuthenticationError):
    """The password was right, but an admin reset it: a new one must be chosen before a session opens."""
