"""A source connects where it was checked to connect: no internal targets, no host in a parameter,
no second resolution, never the workbench's own database."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from superinsight.sync.connectors import address as address_module
from superinsight.sync.connectors.address import DRIVERS, AddressError, database_target, http_target

WORKBENCH_PG = "postgresql://si:pw@db.internal.example:5432/workbench"
PUBLIC = "93.184.215.14"
NAMES = {
    "public.example": [PUBLIC],
    "db.internal.example": ["10.0.0.5"],
    "mixed.example": [PUBLIC, "192.168.1.9"],
    "mapped.example": ["::ffff:127.0.0.1"],
}


def _fake_getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
    if host in NAMES:
        addresses = NAMES[host]
    else:
        try:
            addresses = [str(socket.inet_pton(socket.AF_INET6, host) and host)]
        except OSError:
            try:
                socket.inet_aton(host)
            except OSError:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
            addresses = [socket.inet_ntoa(socket.inet_aton(host))]
    return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port or 0)) for a in addresses]


@pytest.fixture(autouse=True)
def resolver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., list[Any]]]:
    monkeypatch.setattr(address_module.socket, "getaddrinfo", _fake_getaddrinfo)
    yield _fake_getaddrinfo


def _db(url: str, allow_internal: bool = False) -> Any:
    return database_target(url, allow_internal=allow_internal, workbench_url=WORKBENCH_PG)


INTERNAL_HOSTS = [
    "127.0.0.1", "127.1", "2130706433", "0x7f000001", "0177.0.0.1", "localhost", "0.0.0.0", "[::1]",
    "[::ffff:127.0.0.1]", "169.254.169.254", "10.1.2.3", "172.16.0.1", "192.168.0.1", "[fe80::1]",
    "mixed.example", "mapped.example", "db.internal.example", "100.100.100.200", "[64:ff9b::a9fe:a9fe]",
    "[2002:a9fe:a9fe::]", "[::ffff:10.0.0.5]",
]  # fmt: skip


@pytest.mark.parametrize("host", INTERNAL_HOSTS)
@pytest.mark.parametrize("scheme", ["postgresql", "mysql+pymysql", "mariadb", "http", "https"])
def test_internal_addresses_are_refused_however_spelled(
    scheme: str, host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(address_module.socket, "getaddrinfo", _with_localhost(_fake_getaddrinfo))
    url = f"{scheme}://u@{host}/db" if not scheme.startswith("http") else f"{scheme}://{host}/api"
    with pytest.raises(AddressError, match="internal address"):
        (http_target(url, allow_internal=False) if scheme.startswith("http") else _db(url))


def _with_localhost(inner: Callable[..., list[Any]]) -> Callable[..., list[Any]]:
    def resolve(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host in ("localhost", "2130706433", "0x7f000001", "0177.0.0.1", "127.1"):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port or 0))]
        return inner(host, port, *args, **kwargs)

    return resolve


PARAMETERS_A_DRIVER_READS_FOR_A_HOST = [
    "host", "hostaddr", "service", "unix_socket", "passfile", "options", "sslpassword", "sslkey",
    "read_default_file", "init_command", "client_flag", "local_infile", "port", "dbname", "HOST",
]  # fmt: skip


@pytest.mark.parametrize("parameter", PARAMETERS_A_DRIVER_READS_FOR_A_HOST)
@pytest.mark.parametrize("scheme", ["postgresql", "postgresql+psycopg", "mysql", "mariadb+pymysql"])
def test_a_url_cannot_carry_a_host_or_driver_option_in_its_parameters(scheme: str, parameter: str) -> None:
    with pytest.raises(AddressError, match=f"may not set {parameter}"):
        _db(f"{scheme}://u:p@public.example/db?{parameter}=/var/run/postgresql", allow_internal=True)


@given(st.sampled_from(sorted(DRIVERS["postgresql"][1] | set(PARAMETERS_A_DRIVER_READS_FOR_A_HOST))))
def test_only_the_listed_parameters_pass(parameter: str) -> None:
    allowed = DRIVERS["postgresql"][1]
    try:
        target = _db(f"postgresql://u@public.example/db?{parameter}=x")
    except AddressError as exc:
        assert parameter not in allowed and f"may not set {parameter}" in str(exc)
    else:
        assert parameter in allowed and target.address == PUBLIC


@pytest.mark.parametrize(
    "host", ["%2Fvar%2Frun%2Fpostgresql", "public.example,10.0.0.5", "a b", "[::1%eth0]"]
)
def test_hosts_that_are_not_names_or_addresses_are_refused(host: str) -> None:
    with pytest.raises(AddressError):
        _db(f"postgresql://u@{host}:5432/db", allow_internal=True)


def test_a_database_with_no_host_is_a_socket_and_refused() -> None:
    with pytest.raises(AddressError, match="names no host"):
        _db("postgresql://u@/db", allow_internal=True)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg2://u@public.example/db",
        "mysql+mysqldb://u@public.example/db",
        "postgresql+asyncpg://u@public.example/db",
    ],
)
def test_other_drivers_are_refused(url: str) -> None:
    with pytest.raises(AddressError, match="leave the driver out"):
        _db(url)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "gopher://public.example/", "sqlite:////etc/passwd"])
def test_files_and_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(AddressError):
        _db(url)


def test_the_host_is_resolved_once_and_the_target_carries_that_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answers = iter([[PUBLIC], ["127.0.0.1"], ["127.0.0.1"]])

    def rebinding(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in next(answers)]

    monkeypatch.setattr(address_module.socket, "getaddrinfo", rebinding)
    target = http_target("https://rebind.example/api?key=1", allow_internal=False)
    assert (target.host, target.address, target.url) == (
        "rebind.example",
        PUBLIC,
        "https://rebind.example/api?key=1",
    )


def test_a_public_database_gets_its_driver_named_and_its_address_pinned() -> None:
    target = _db("postgresql://reader:pw@public.example/shop?sslmode=require")
    assert target.url == "postgresql+psycopg://reader:pw@public.example/shop?sslmode=require"
    assert (target.host, target.port, target.address) == ("public.example", None, PUBLIC)
    assert _db("mysql://r@public.example:3307/shop").url.startswith("mysql+pymysql://")


@pytest.mark.parametrize(
    "url",
    [
        WORKBENCH_PG,
        "postgresql+psycopg://other:pw@db.internal.example/workbench",
        "postgresql://si@10.0.0.5:5432/workbench?sslmode=disable",
        "postgresql://si@db.internal.example/workbench",
        "postgresql://si@[::ffff:10.0.0.5]/workbench",
    ],
)
def test_the_workbench_database_is_never_a_source_even_when_internal_targets_are_allowed(url: str) -> None:
    with pytest.raises(AddressError, match="workbench's own database"):
        _db(url, allow_internal=True)


def test_another_database_on_the_workbench_server_may_be_a_source_when_allowed() -> None:
    assert _db("postgresql://si@db.internal.example/shop", allow_internal=True).address == "10.0.0.5"
    assert _db("postgresql://si@db.internal.example:6543/workbench", allow_internal=True).port == 6543


def test_the_embedded_store_file_is_never_a_source(tmp_path: Any) -> None:
    store = tmp_path / "workbench.db"
    own = f"sqlite:///{store}"
    for url in (
        own,
        f"sqlite:///{tmp_path}/./workbench.db",
        f"sqlite+pysqlite:///{tmp_path}/x/../workbench.db",
    ):
        with pytest.raises(AddressError, match="workbench's own database"):
            database_target(url, allow_internal=True, workbench_url=own)
    other = database_target(f"sqlite:///{tmp_path}/other.db", allow_internal=True, workbench_url=own)
    assert other.address is None


def test_a_local_workbench_is_found_behind_any_loopback_spelling(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(address_module.socket, "getaddrinfo", _with_localhost(_fake_getaddrinfo))
    own = "postgresql://postgres@127.0.0.1:5432/workbench"
    for url in (
        "postgresql://postgres@localhost/workbench",
        "postgresql://x@127.1:5432/workbench",
        "postgresql://x@[::1]/workbench",
        "postgresql://x@[::ffff:127.0.0.1]/workbench",
    ):
        with pytest.raises(AddressError, match="workbench's own database"):
            database_target(url, allow_internal=True, workbench_url=own)


@given(st.text(max_size=200))
def test_any_text_is_refused_cleanly_or_accepted(url: str) -> None:
    for check in (lambda: _db(url), lambda: http_target(url, allow_internal=False)):
        try:
            check()
        except AddressError as exc:
            assert str(exc)


def test_a_workbench_on_a_socket_is_refused_behind_every_local_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(address_module.socket, "getaddrinfo", _with_localhost(_fake_getaddrinfo))
    own = "postgresql://wb@/workbench?host=/var/run/postgresql"
    for url in ("postgresql://wb@127.0.0.1/workbench", "postgresql://wb@localhost/workbench"):
        with pytest.raises(AddressError, match="workbench's own database"):
            database_target(url, allow_internal=True, workbench_url=own)
    assert database_target("postgresql://wb@127.0.0.1/shop", allow_internal=True, workbench_url=own).address
