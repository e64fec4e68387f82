"""Secrets kept out of sight in URLs and text; apart from settings, as logs and stored credentials need it."""

from __future__ import annotations

import re
from urllib.parse import unquote_plus, urlsplit

from pydantic import SecretStr
from sqlalchemy.engine import make_url

HIDDEN = "***"
# What a URL parameter's name says when it holds a secret: the one word list. A name holding
# a long word anywhere is secret (sslpassword, apikey, X-Amz-Signature, client_secret,
# sessionid); a short word counts as a whole part of the name, parts split at `_`, `-`, `.`
# and the like (pw, jwt, oauth_code, sid), so zipcode or spin stay readable.
SECRET_WORDS = (
    "pass", "pwd", "secret", "token", "key", "auth", "sig", "credential", "session", "cookie",
    "bearer", "private", "signature", "hmac", "nonce", "ticket", "saml", "assertion", "sessid",
)  # fmt: skip
# A parameter whose value is itself an address with a password (`?next=postgres://u:pw@db/x`).
_NESTED_CREDENTIALS = re.compile(r"://[^/@\s]*:[^/@\s]*@|%3A%2F%2F[^&]*%3A[^&]*%40", re.IGNORECASE)
SECRET_PARTS = ("pw", "jwt", "code", "otp", "pin", "sid", "ssid", "tan", "hash", "cred", "creds")


def _secret_name(name: str) -> bool:
    lowered = unquote_plus(name).lower()
    letters = re.sub(r"[^a-z]", "", lowered)
    return any(word in letters for word in SECRET_WORDS) or any(
        part in SECRET_PARTS for part in re.split(r"[^a-z0-9]+", lowered)
    )


def _secret_start(piece: str) -> int | None:
    """Where the secret in one `&`-separated parameter starts, or None.

    The parameter is read in parts split at `;` too (some servers separate parameters so):
    the secret is the value of the first part whose name says secret, or that part whole
    when it has no value (`?a=1;TOKEN`), and everything after it.
    """
    offset = 0
    for part in piece.split(";"):
        name, equals, value = part.partition("=")
        if (_secret_name(name) and (value or not equals)) or _NESTED_CREDENTIALS.search(value):
            start = offset + len(name) + 1 if equals else offset
            return start if piece[start:] != HIDDEN else None
        offset += len(part) + 1
    return None


def _hide_pairs(text: str, slot: str, found: list[tuple[str, str]]) -> str:
    pieces = text.split("&")
    for index, piece in enumerate(pieces):
        if (start := _secret_start(piece)) is not None:
            found.append((f"{slot}.{index}", piece[start:]))
            pieces[index] = piece[:start] + HIDDEN
    return "&".join(pieces)


def _hide_path_parameters(path: str, found: list[tuple[str, str]]) -> str:
    """Parameters a path segment carries after `;` (`/shop;jsessionid=...`), read as query parameters are.

    The segment's own name (before its first `;`) is a path, never a secret: `/token/refresh`.
    """
    segments = path.split("/")
    for index, segment in enumerate(segments):
        name, semicolon, parameters = segment.partition(";")
        if semicolon and (start := _secret_start(parameters)) is not None:
            found.append((f"path.{index}", parameters[start:]))
            segments[index] = f"{name};{parameters[:start]}{HIDDEN}"
    return "/".join(segments)


def _url_parts(url: str) -> tuple[str, str, str, str | None, str | None]:
    """(scheme://, authority, path, query, fragment) split by hand, so joining gives back the same text."""
    urlsplit(url)  # raises ValueError for what is not a URL at all
    scheme, sep, rest = url.partition("://")
    head = scheme + sep if sep else ""
    rest = rest if sep else url
    rest, hash_mark, fragment = rest.partition("#")
    rest, question, query = rest.partition("?")
    cut = len(rest) if not sep else next((i for i, c in enumerate(rest) if c == "/"), len(rest))
    return head, rest[:cut], rest[cut:], query if question else None, fragment if hash_mark else None


def _join(head: str, authority: str, path: str, query: str | None, fragment: str | None) -> str:
    return (
        head
        + authority
        + path
        + ("" if query is None else "?" + query)
        + ("" if fragment is None else "#" + fragment)
    )


def hide_url_secrets(url: str) -> tuple[str, list[tuple[str, str]]]:
    """The URL with every secret in it replaced by `***`, and the secrets by where they were.

    Secrets are: the password of the userinfo (all of it for HTTP, where a token often
    stands alone before the `@`), and the value of each query, fragment or path-segment
    (`;name=value`) parameter whose name says it is one. Raises ValueError for what is not a URL.
    """
    head, authority, path, query, fragment = _url_parts(url)
    found: list[tuple[str, str]] = []
    userinfo, at, host = authority.rpartition("@")
    if at and userinfo and userinfo != HIDDEN:
        if head.lower().startswith(("http", "ws", "ftp")):
            found.append(("userinfo", userinfo))
            authority = f"{HIDDEN}@{host}"
        elif ":" in userinfo:
            user, _, password = userinfo.partition(":")
            if password and password != HIDDEN:
                found.append(("password", password))
                authority = f"{user}:{HIDDEN}@{host}"
    path = _hide_path_parameters(path, found)
    query = None if query is None else _hide_pairs(query, "query", found)
    fragment = None if fragment is None else _hide_pairs(fragment, "fragment", found)
    return _join(head, authority, path, query, fragment), found


def restore_url_secrets(public: str, secrets: dict[str, str]) -> str:
    """Put secrets taken out by `hide_url_secrets` back where their `***` stands."""
    head, authority, path, query, fragment = _url_parts(public)
    userinfo, at, host = authority.rpartition("@")
    if at and userinfo == HIDDEN and "userinfo" in secrets:
        authority = f"{secrets['userinfo']}@{host}"
    elif at and userinfo.endswith(f":{HIDDEN}") and "password" in secrets:
        authority = f"{userinfo[: -len(HIDDEN)]}{secrets['password']}@{host}"

    def restore(text: str | None, slot: str, separator: str = "&") -> str | None:
        if text is None:
            return None
        pieces = text.split(separator)
        for index, piece in enumerate(pieces):
            if piece.endswith(HIDDEN) and f"{slot}.{index}" in secrets:
                pieces[index] = piece[: -len(HIDDEN)] + secrets[f"{slot}.{index}"]
        return separator.join(pieces)

    return _join(
        head,
        authority,
        restore(path, "path", "/") or "",
        restore(query, "query"),
        restore(fragment, "fragment"),
    )


def url_secrets(url: str) -> list[str]:
    """Every secret inside a URL, as written and percent-decoded, to redact wherever the URL may show."""
    try:
        found = [value for _, value in hide_url_secrets(url)[1]]
    except ValueError:
        return [url]  # not a URL: the whole value is kept from view
    found += [password] if (password := url_password(url)) else []
    decoded = [unquote_plus(value) for value in found]
    with_user = [part.partition(":")[2] for part in found + decoded if ":" in part]
    return [value for value in dict.fromkeys(found + decoded + with_user) if value]


def url_password(url: str) -> str | None:
    """The password inside a connection URL, if it has one (to hide it wherever the URL may show)."""
    try:
        password = make_url(url).password
    except Exception:  # noqa: BLE001 - an unparsable URL has no password to find
        return None
    return str(password) if password else None


def display_url(url: str | SecretStr | None) -> str:
    """A service address fit to show a person: scheme, host, port, database; no password, token or key."""
    if url is None:
        return "embedded"
    raw = url.get_secret_value() if isinstance(url, SecretStr) else url
    try:
        shown = hide_url_secrets(raw)[0]
    except ValueError:
        return raw.split("://", 1)[0][:20] + "://…"
    # A password holding "/", "?" or "#" ends the address's authority early when split by hand,
    # yet a driver reads it whole: whatever the driver would send is hidden too.
    return redact(shown, [secret for secret in [url_password(raw)] if secret])


def redact(text: str, secrets_to_hide: list[str]) -> str:
    """Text safe to print or log: any secret value in it becomes `***`."""
    for secret in sorted(secrets_to_hide, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text
