"""The IP allow-list: which addresses may sign in to a workspace."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from sqlalchemy import select

from superinsight.config import IPNetwork
from superinsight.db.models import IpWhitelist
from superinsight.resources import Resources
from superinsight.services import audit, inputs
from superinsight.services.context import Actor, internal, require
from superinsight.services.errors import AuthenticationError, InvalidInputError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def normal_address(ip_address: str | None) -> str | None:
    """An address in its one spelling (IPv4-mapped IPv6 as IPv4), or None when it is not one."""
    try:
        address = ipaddress.ip_address((ip_address or "").strip())
    except ValueError:
        return None
    return str(getattr(address, "ipv4_mapped", None) or address)


def client_address(
    peer: str | None, forwarded_for: Sequence[str], trusted_proxies: Sequence[IPNetwork]
) -> str | None:
    """Who is really asking: the socket's peer, unless a trusted proxy forwarded the request.

    Only when the peer is one of `trusted_proxies` is `X-Forwarded-For` read, from the
    right (the hop the proxy itself added) past further trusted proxies to the first
    address that is not one: that is the client. Anyone can send the header, so from
    an untrusted peer it means nothing; a garbled hop means the address is unknown.
    """
    hops = [peer or ""] + [hop for header in reversed(forwarded_for) for hop in reversed(header.split(","))]
    address: IPAddress | None = None
    for hop in hops:
        try:
            address = ipaddress.ip_address(hop.strip())
        except ValueError:
            return None
        address = getattr(address, "ipv4_mapped", None) or address
        if not any(address in network for network in trusted_proxies):
            break
    return str(address)


@internal("part of signing in, which is how an actor comes to exist")
def check_ip(resources: Resources, tenant_id: str, ip_address: str | None) -> None:
    """When a tenant has allow-list entries, only addresses inside them get in."""
    with resources.uow() as uow:
        networks = uow.session.scalars(
            select(IpWhitelist.cidr).where(
                IpWhitelist.tenant_id == tenant_id, IpWhitelist.is_active.is_(True)
            )
        ).all()
    if not networks:
        return
    try:
        address = ipaddress.ip_address(ip_address or "")
    except ValueError:
        raise AuthenticationError(
            "your address could not be determined, and this workspace allows only listed addresses"
        ) from None
    if not any(address in ipaddress.ip_network(cidr, strict=False) for cidr in networks):
        raise AuthenticationError(f"this workspace does not accept sign-ins from {address}")


def allow_network(resources: Resources, actor: Actor, cidr: str, description: str = "") -> None:
    require(actor, "users.manage")
    description = inputs.text(description, "description", 255).strip()
    try:
        network = ipaddress.ip_network(inputs.text(cidr, "address or network", 64).strip(), strict=False)
    except ValueError:
        raise InvalidInputError(f"{cidr!r} is not an address or network such as 10.0.0.0/8") from None
    with resources.uow() as uow:
        uow.session.add(
            IpWhitelist(
                tenant_id=actor.tenant_id,
                cidr=str(network),
                description=description,
                created_by=actor.user_id,
            )
        )
        audit.record(
            uow.session, actor, "ip_whitelist.add", "ip_whitelist", None, after={"cidr": str(network)}
        )
        uow.commit()


def list_networks(resources: Resources, actor: Actor) -> list[tuple[int, str, str]]:
    require(actor, "users.manage")
    with resources.uow() as uow:
        return [
            (row.id, row.cidr, row.description)
            for row in uow.session.scalars(
                select(IpWhitelist).where(IpWhitelist.tenant_id == actor.tenant_id).order_by(IpWhitelist.cidr)
            )
        ]


def remove_network(resources: Resources, actor: Actor, network_id: int) -> None:
    require(actor, "users.manage")
    with resources.uow() as uow:
        row = uow.session.get(IpWhitelist, network_id)
        if row is None or row.tenant_id != actor.tenant_id:
            raise InvalidInputError(f"allow-list entry {network_id} does not exist")
        audit.record(
            uow.session, actor, "ip_whitelist.remove", "ip_whitelist", row.id, before={"cidr": row.cidr}
        )
        uow.session.delete(row)
        uow.commit()
