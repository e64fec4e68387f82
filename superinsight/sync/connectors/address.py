"""Where a source connects: the address is checked once, resolved once, and connected to as resolved.

Checking a host name and then letting the driver resolve it again is open to
DNS rebinding (a name that answers a public address to the check and a private
one to the driver), and a driver reads more than the URL's host: PostgreSQL's
`host`, `hostaddr` and `service` parameters, MySQL's `unix_socket`, socket
directories. So a URL may carry only a few harmless parameters, the host is
resolved here, and the connectors connect to the address found here. The
workbench's own database is never a source, whatever `SYNC_ALLOW_INTERNAL` says.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

MAX_URL = 2048
# backend -> (the one driver we connect with, the URL parameters it may carry, default port)
DRIVERS: dict[str, tuple[str, frozenset[str], int | None]] = {
    "postgresql": ("psycopg", frozenset({"sslmode", "application_name"}), 5432),
    "mysql": ("pymysql", frozenset({"charset"}), 3306),
    "mariadb": ("pymysql", frozenset({"charset"}), 3306),
    "sqlite": ("pysqlite", frozenset(), None),
}
HTTP_PORTS = {"http": 80, "https": 443}
_HOST = re.compile(
    r"^(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_-]{1,63})*\.?|\[?[0-9A-Fa-f:.]+\]?)$"
)


class AddressError(ValueError):
    """The address was refused; the message says why."""


@dataclass(frozen=True)
class Target:
    """An address to connect to: the URL (with its driver named), its host, and the one IP to use.

    `address` is None only for a SQLite file, which has no host.
    """

    url: str
    host: str | None
    port: int | None
    address: str | None


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The address a packet really goes to: IPv4 inside IPv6 (mapped, 6to4, NAT64) unwrapped."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def _internal(address: str) -> bool:
    """Anything but a public unicast address: private, loopback, link-local, shared (100.64/10)…"""
    ip = _ip(address)
    return not ip.is_global or ip.is_multicast


def _resolve(host: str | None, port: int | None) -> list[str]:
    if not host:
        raise AddressError("the address names no host")
    if not _HOST.match(host):
        raise AddressError(f"{host!r} is not a host name or an IP address")
    try:
        found = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise AddressError(f"the host {host!r} cannot be found") from None
    return list(dict.fromkeys(str(info[4][0]) for info in found))


def _pinned(host: str | None, port: int | None, allow_internal: bool) -> str:
    """The one address to connect to; every address the name has must be allowed."""
    addresses = _resolve(host, port)
    if not allow_internal and any(_internal(address) for address in addresses):
        raise AddressError(
            f"{host} is an internal address (loopback, private or link-local); "
            "an admin must allow internal targets"
        )
    return addresses[0]


def _parsed(url: str) -> URL:
    if len(url) > MAX_URL or "\x00" in url:
        raise AddressError("that is not a usable address")
    try:
        return make_url(url)
    except (ArgumentError, ValueError):
        raise AddressError("that is not a database address such as postgresql://user@host/db") from None


def _local(address: str) -> bool:
    ip = _ip(address)
    return ip.is_loopback or ip.is_unspecified or ip in _own_addresses()


def _own_addresses() -> set[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return {_ip(str(info[4][0])) for info in socket.getaddrinfo(socket.gethostname(), None)}
    except (socket.gaierror, OSError):
        return set()


def _sqlite_path(url: URL) -> Path | None:
    return Path(url.database).expanduser().resolve() if url.database not in (None, "", ":memory:") else None


def _is_workbench(source: URL, address: str | None, workbench_url: str) -> bool:
    """Whether `source` reaches the very database the workbench keeps its own data in."""
    own = make_url(workbench_url)
    family = {"mariadb": "mysql"}
    if family.get(own.get_backend_name(), own.get_backend_name()) != family.get(
        source.get_backend_name(), source.get_backend_name()
    ):
        return False
    if source.get_backend_name() == "sqlite":
        return _sqlite_path(source) is not None and _sqlite_path(source) == _sqlite_path(own)
    default_port = DRIVERS[source.get_backend_name()][2]
    if (source.port or default_port) != (own.port or default_port):
        return False
    if (source.database or source.username) != (own.database or own.username):
        return False
    if address is None:
        return False
    try:
        own_addresses = {_ip(a) for a in _resolve(own.host, own.port or default_port)}
    except AddressError:
        # A workbench on a socket or an unknown name: fail closed, every local address may be it.
        return _local(address)
    return _ip(address) in own_addresses or (_local(address) and all(_local(str(a)) for a in own_addresses))


def database_target(url: str, *, allow_internal: bool, workbench_url: str) -> Target:
    """A database address to read a source from, resolved once; AddressError when refused."""
    parsed = _parsed(url)
    backend = parsed.get_backend_name()
    if backend not in DRIVERS:
        raise AddressError(f"addresses must start with {', '.join(DRIVERS)}, http or https")
    driver, parameters, default_port = DRIVERS[backend]
    if parsed.drivername.partition("+")[2] not in ("", driver):
        raise AddressError(f"{backend} sources are read with {driver}; leave the driver out of the address")
    if extra := sorted(set(parsed.query) - parameters):
        allowed = ", ".join(sorted(parameters)) or "none"
        raise AddressError(
            f"the address may not set {', '.join(extra)} (parameters allowed here: {allowed}); "
            "put the host and port in the address itself"
        )
    named = parsed.set(drivername=f"{backend}+{driver}")
    if backend == "sqlite":
        if not allow_internal:
            raise AddressError("SQLite files are local files; an admin must allow internal targets")
        address = None
    else:
        address = _pinned(parsed.host, parsed.port or default_port, allow_internal)
    if _is_workbench(named, address, workbench_url):
        raise AddressError("that is the workbench's own database; it cannot be a data source")
    return Target(named.render_as_string(hide_password=False), parsed.host, parsed.port, address)


def http_target(url: str, *, allow_internal: bool) -> Target:
    """An http(s) address to read a source from, resolved once; AddressError when refused."""
    if len(url) > MAX_URL or "\x00" in url:
        raise AddressError("that is not a usable address")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise AddressError("that is not a usable address") from None
    if parts.scheme.lower() not in HTTP_PORTS:
        raise AddressError("an HTTP JSON source needs an http:// or https:// address")
    address = _pinned(parts.hostname, port or HTTP_PORTS[parts.scheme.lower()], allow_internal)
    return Target(url, parts.hostname, port, address)
