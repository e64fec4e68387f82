"""The address a sign-in comes from: the socket's peer, unless a trusted proxy forwarded it."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from superinsight.config import Settings, parse_networks
from superinsight.services.security.networks import client_address

PROXIES = parse_networks("10.0.0.0/8, 127.0.0.1, ::1")
ips = st.ip_addresses().map(str)
forged = st.lists(
    st.one_of(
        ips, st.sampled_from(["127.0.0.1", "10.0.0.1", "unknown", "", "1.2.3.4:80", "[::1]", " 8.8.8.8 "])
    ),
    max_size=4,
).map(", ".join)


def _plain(ip: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    address = ipaddress.ip_address(ip)
    return getattr(address, "ipv4_mapped", None) or address


@given(
    peer=ips.filter(lambda ip: not any(_plain(ip) in n for n in PROXIES)),
    headers=st.lists(forged, max_size=3),
)
def test_a_forged_header_from_an_untrusted_peer_does_nothing(peer: str, headers: list[str]) -> None:
    assert client_address(peer, headers, PROXIES) == str(_plain(peer))


@given(headers=st.lists(forged, max_size=3))
def test_without_trusted_proxies_the_header_is_never_read(headers: list[str]) -> None:
    assert client_address("10.0.0.1", headers, ()) == "10.0.0.1"


@pytest.mark.parametrize(
    ("peer", "headers", "expected"),
    [
        ("10.0.0.1", ["203.0.113.9"], "203.0.113.9"),
        ("127.0.0.1", ["198.51.100.7, 10.0.0.2"], "198.51.100.7"),  # two proxies in a row
        ("::1", ["1.1.1.1", "203.0.113.9, 10.1.2.3"], "203.0.113.9"),  # repeated headers, rightmost first
        ("10.0.0.1", ["6.6.6.6, 203.0.113.9"], "203.0.113.9"),  # the client's own forged hop is ignored
        ("::ffff:10.0.0.1", ["203.0.113.9"], "203.0.113.9"),  # a mapped IPv4 peer is that IPv4
        ("10.0.0.1", [], "10.0.0.1"),  # no header: the proxy is the client
        ("10.0.0.1", ["unknown"], None),  # a garbled hop: the address is unknown
        ("10.0.0.1", ["203.0.113.9:443"], None),
        ("10.0.0.1", ["10.0.0.2, "], None),
        (None, ["203.0.113.9"], None),
        ("not an address", ["203.0.113.9"], None),
        ("192.0.2.1", ["10.0.0.1"], "192.0.2.1"),
    ],
)
def test_a_trusted_proxy_is_believed_hop_by_hop(
    peer: str | None, headers: list[str], expected: str | None
) -> None:
    assert client_address(peer, headers, PROXIES) == expected


@pytest.mark.parametrize("value", ["10.0.0.0/33", "example.com", "10.0.0.1,,bad", "::1/200"])
def test_a_wrong_trusted_proxy_stops_start_up(value: str) -> None:
    with pytest.raises(ValidationError, match="not an address or network"):
        Settings(_env_file=None, trusted_proxies=value)


def test_trusted_proxies_are_parsed_once_from_the_setting() -> None:
    settings = Settings(_env_file=None, trusted_proxies=" 10.0.0.0/8 ,192.168.1.1,")
    assert [str(n) for n in settings.trusted_proxy_networks] == ["10.0.0.0/8", "192.168.1.1/32"]
    assert Settings(_env_file=None).trusted_proxy_networks == ()
