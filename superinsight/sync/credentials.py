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

from superinsight.redaction import HIDDEN, hide_url_secrets, restore_url_secrets, url_password, url_secrets

_PURPOSE = b"superinsight data source credentials"
# Secrets found in an HTTP source's URL (its userinfo, a `?api_key=`...) are kept with the
# encrypted credentials under these keys; the stored and shown URL has `***` in their place.
URL_SECRET = "url-secret:"  # noqa: S105 - a key prefix, not a secret


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


def url_secrets_apart(
    config: dict[str, Any], secrets: dict[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """A source's URL as stored keeps no secret: those in it move to the credentials (encrypted).

    A URL sent back with its `***` keeps the saved secrets only when they are among
    `secrets` (an edit that keeps the credentials); otherwise it must be typed whole.
    """
    url = config.get("url")
    if not isinstance(url, str):
        return config, secrets
    try:
        public, found = hide_url_secrets(url)
    except ValueError:
        return config, secrets  # the connector's address check says what is wrong with it
    if found:
        kept = {key: value for key, value in secrets.items() if not key.startswith(URL_SECRET)}
        secrets = kept | {URL_SECRET + slot: value for slot, value in found}
    if HIDDEN in public and not any(key.startswith(URL_SECRET) for key in secrets):
        raise CredentialsError("type the URL whole again: the parts shown as *** are not saved for it")
    return config | {"url": public}, secrets


def url_with_secrets(
    config: dict[str, Any], secrets: dict[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """What a connector gets: the URL whole again, and the URL's secrets not among the other credentials."""
    parts = {key[len(URL_SECRET) :]: value for key, value in secrets.items() if key.startswith(URL_SECRET)}
    if not parts or not isinstance(config.get("url"), str):
        return config, secrets
    rest = {key: value for key, value in secrets.items() if not key.startswith(URL_SECRET)}
    return config | {"url": restore_url_secrets(config["url"], parts)}, rest


def every_secret(secrets: dict[str, str]) -> list[str]:
    """Each credential, and each secret inside one that is a URL, to redact from any message."""
    values = list(secrets.values())
    for value in secrets.values():
        if "://" in value:
            values += [*url_secrets(value), url_password(value) or ""]
    return [value for value in dict.fromkeys(values) if value]
