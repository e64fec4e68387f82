"""Encrypting a source's credentials at rest with a key derived from the workbench's secret key.

Fernet (AES-128-CBC with an HMAC) refuses a token that was tampered with or
made with another key, so a wrong `SECRET_KEY` fails loudly instead of
connecting with garbage.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_PURPOSE = b"superinsight data source credentials"


class CredentialsError(ValueError):
    """Stored credentials could not be read back (a changed secret key, or a damaged value)."""


def _fernet(secret_key: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(
        secret_key.encode("utf-8")
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt(secret_key: str, credentials: dict[str, str]) -> str:
    return (
        _fernet(secret_key).encrypt(json.dumps(credentials, sort_keys=True).encode("utf-8")).decode("ascii")
    )


def decrypt(secret_key: str, token: str | None) -> dict[str, str]:
    if not token:
        return {}
    try:
        raw: Any = json.loads(_fernet(secret_key).decrypt(token.encode("ascii")))
    except (InvalidToken, ValueError):
        raise CredentialsError(
            "the saved credentials cannot be decrypted; was SECRET_KEY changed? Enter them again"
        ) from None
    return {str(key): str(value) for key, value in raw.items()}
