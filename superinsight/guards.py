"""Checks for inputs that point outside the workbench: connection URLs and Label Studio configs.

Used by the services that take them (data sources, labeling projects); pure, so
they are tested exhaustively on their own.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DATABASE_SCHEMES = ("postgresql", "mysql", "mariadb", "sqlite")
HTTP_SCHEMES = ("http", "https")
MAX_URL = 2048
MAX_LABEL_CONFIG = 100_000
MAX_CONFIG_ELEMENTS = 500
MAX_CONFIG_DEPTH = 20


class GuardError(ValueError):
    """The input was refused; the message says why."""


def _internal(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_unspecified or ip.is_reserved


def _check_host(host: str | None, allow_internal: bool) -> None:
    if not host:
        raise GuardError("the address names no host")
    if allow_internal:
        return
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except (socket.gaierror, UnicodeError):
        raise GuardError(f"the host {host!r} cannot be found") from None
    if any(_internal(str(address).split("%")[0]) for address in addresses):
        raise GuardError(
            f"{host} is an internal address (loopback, private or link-local); "
            "an admin must allow internal targets"
        )


def check_connection_url(url: str, *, allow_internal: bool = False) -> str:
    """A database or HTTP(S) address the workbench may connect to; never a local file."""
    if len(url) > MAX_URL or "\x00" in url:
        raise GuardError("that is not a usable address")
    scheme = url.split(":", 1)[0].lower()
    if scheme.split("+", 1)[0] in DATABASE_SCHEMES:
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise GuardError("that is not a database address such as postgresql://user@host/db") from None
        if parsed.get_backend_name() == "sqlite":
            if not allow_internal:
                raise GuardError("SQLite files are local files; an admin must allow internal targets")
            return url
        _check_host(parsed.host, allow_internal)
        return url
    if scheme in HTTP_SCHEMES:
        parts = urlsplit(url)
        _check_host(parts.hostname, allow_internal)
        return url
    raise GuardError(f"addresses must start with {', '.join(DATABASE_SCHEMES + HTTP_SCHEMES)}")


def check_label_config(config: str) -> str:
    """A Label Studio labeling config: one <View>, no DTDs or entities, no scripts or event handlers."""
    if len(config) > MAX_LABEL_CONFIG:
        raise GuardError(f"a labeling config may be at most {MAX_LABEL_CONFIG:,} characters")
    lowered = config.lower()
    if "<!doctype" in lowered or "<!entity" in lowered:
        raise GuardError("labeling configs may not declare a DOCTYPE or entities")
    try:
        root = fromstring(config, forbid_dtd=True)
    except DefusedXmlException:
        raise GuardError("labeling configs may not declare a DOCTYPE or entities") from None
    except ParseError as exc:
        raise GuardError(f"the labeling config is not valid XML: {exc}") from None
    if root.tag != "View":
        raise GuardError("a labeling config starts with <View>")
    count = 0

    def walk(element: Element, depth: int) -> None:
        nonlocal count
        count += 1
        if depth > MAX_CONFIG_DEPTH or count > MAX_CONFIG_ELEMENTS:
            raise GuardError("the labeling config is too large or too deeply nested")
        if element.tag.lower() in ("script", "iframe", "object", "embed"):
            raise GuardError(f"<{element.tag}> is not allowed in a labeling config")
        for attribute, value in element.attrib.items():
            if attribute.lower().startswith("on") or value.strip().lower().startswith("javascript:"):
                raise GuardError(f"the attribute {attribute!r} is not allowed in a labeling config")
        for child in element:
            walk(child, depth + 1)

    walk(root, 1)
    return config
